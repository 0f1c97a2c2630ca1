export interface ArtifactInfo {
  deploymentId: string;
  /** Where the OpenNext output (`.open-next/` contents) can be read. */
  location: string;
  bytes: number;
}

/** What the deployer checks before anything goes live. */
export interface BundleReport {
  /** Unzipped size of the server function bundle (Lambda allows 250 MB). */
  serverBundleBytes: number;
  /** OpenNext installs sharp into the image function at build time and exits 0 when that fails. */
  imageHasSharp: boolean;
  hasServerFunction: boolean;
}

/**
 * Contract: `store` copies a finished build's output so it outlives the build's scratch dir;
 * `get` returns null once an artifact is no longer retained.
 */
export interface Artifacts {
  inspect(artifact: ArtifactInfo): Promise<BundleReport>;
  store(deploymentId: string, outputDir: string): Promise<ArtifactInfo>;
  get(deploymentId: string): Promise<ArtifactInfo | null>;
  remove(deploymentId: string): Promise<void>;
}
