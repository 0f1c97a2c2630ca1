export interface ArtifactInfo {
  deploymentId: string;
  /** Where the OpenNext output (`.open-next/` contents) can be read. */
  location: string;
  bytes: number;
}

/** Contract: `store` copies a finished build's output so it outlives the build's scratch dir. */
export interface Artifacts {
  store(deploymentId: string, outputDir: string): Promise<ArtifactInfo>;
  get(deploymentId: string): Promise<ArtifactInfo | null>;
  remove(deploymentId: string): Promise<void>;
}
