import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { AnchorError } from '../../../src/core/errors.js';
import type { ArtifactInfo, Artifacts, BuildOutput, BundleReport, DeploymentRef } from '../../../src/core/ports/artifacts.js';
import { bundleReport, OPEN_NEXT_LAYOUT, parseManifest } from '../../../src/core/opennext-output.js';

/** A file's content, or only its size: a 300 MB server bundle need not be allocated to be too big. */
export type FileContent = string | Uint8Array | { size: number };
/** Files by their path inside a directory (`server-functions/default/index.mjs`). */
export type FileTree = ReadonlyMap<string, FileContent>;

/** Where `store` reads a finished build's output from. */
export interface BuildOutputs {
  read(dir: string): Promise<FileTree | null>;
}

/** Build outputs kept in memory by directory name: what the scripted builder writes. */
export class MemoryBuildOutputs implements BuildOutputs {
  private readonly dirs = new Map<string, FileTree>();

  write(dir: string, files: Record<string, FileContent>): void {
    this.dirs.set(dir, new Map(Object.entries(files)));
  }

  remove(dir: string): void {
    this.dirs.delete(dir);
  }

  has(dir: string): boolean {
    return this.dirs.has(dir);
  }

  async read(dir: string): Promise<FileTree | null> {
    return this.dirs.get(dir) ?? null;
  }
}

/** A real directory's regular files: the Artifacts contract writes its sample outputs to disk. */
export const diskBuildOutputs: BuildOutputs = {
  async read(dir) {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => null);
    if (!entries) return null;
    const files = new Map<string, FileContent>();
    for (const entry of entries.filter((e) => e.isFile())) {
      const path = join(entry.parentPath, entry.name);
      files.set(relative(dir, path), new Uint8Array(await readFile(path)));
    }
    return files;
  },
};

export function sizeOf(content: FileContent): number {
  if (typeof content === 'string') return Buffer.byteLength(content);
  return content instanceof Uint8Array ? content.byteLength : content.size;
}

export function textOf(content: FileContent): string {
  if (typeof content === 'string') return content;
  return content instanceof Uint8Array ? Buffer.from(content).toString('utf8') : `(${content.size} bytes)`;
}

/**
 * Artifacts as copies of the output's files in memory, at `memory://artifacts/<deploymentId>`,
 * filed by project and deployment as S3Artifacts files them: a use case that names the wrong
 * project finds nothing here, as it would on AWS.
 */
export class MemoryArtifacts implements Artifacts {
  private readonly stored = new Map<string, { info: ArtifactInfo; files: FileTree }>();

  constructor(private readonly outputs: BuildOutputs) {}

  async store(ref: DeploymentRef, output: BuildOutput): Promise<ArtifactInfo> {
    const { deploymentId } = ref;
    // A build that uploaded its output itself (CodeBuild) has no folder here to copy from.
    const outputDir = output.kind === 'directory' ? output.path : output.location;
    const files = await this.outputs.read(outputDir);
    if (!files) throw new AnchorError({ code: 'BUILD_OUTPUT_MISSING', kind: 'failed', message: `The build of ${deploymentId} produced no output at ${outputDir}.` });
    const bytes = [...files.values()].reduce((sum, content) => sum + sizeOf(content), 0);
    const info: ArtifactInfo = { deploymentId, location: `memory://artifacts/${deploymentId}`, bytes };
    this.stored.set(keyOf(ref), { info, files: new Map(files) });
    return { ...info };
  }

  async get(ref: DeploymentRef): Promise<ArtifactInfo | null> {
    const found = this.stored.get(keyOf(ref));
    return found ? { ...found.info } : null;
  }

  async remove(ref: DeploymentRef): Promise<void> {
    this.stored.delete(keyOf(ref));
  }

  /** What the deployer checks, read from the file list as FileArtifacts reads it from disk. */
  async inspect(artifact: ArtifactInfo): Promise<BundleReport> {
    const files = this.filesAt(artifact.location);
    const manifest = files.get(OPEN_NEXT_LAYOUT.manifest);
    return bundleReport([...files].map(([name, content]) => ({ name, size: sizeOf(content) })), parseManifest(manifest === undefined ? null : textOf(manifest)));
  }

  /** The files of a stored artifact; throws for one that is not stored (any more). */
  filesAt(location: string): FileTree {
    const found = [...this.stored.values()].find((s) => s.info.location === location);
    if (!found) throw new AnchorError({ code: 'ARTIFACT_MISSING', kind: 'failed', message: `No artifact is stored at ${location}.` });
    return found.files;
  }
}

function keyOf(ref: DeploymentRef): string {
  return `${ref.projectName}/${ref.deploymentId}`;
}
