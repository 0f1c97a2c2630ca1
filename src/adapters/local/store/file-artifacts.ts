import { nodeCrypto } from '../../system/node-crypto.js';
import { lstat, mkdir, readdir, readFile, readlink, rename, rm, writeFile } from 'node:fs/promises';
import { linkTree } from '../../../lib/link-tree.js';
import { realPathInside } from '../../../lib/real-path-inside.js';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { AnchorError, errorMessage } from '../../../core/errors.js';
import { storageTrouble } from '../../../lib/storage-errors.js';
import type { ArtifactInfo, Artifacts, BuildOutput, BundleReport, DeploymentRef } from '../../../core/ports/artifacts.js';
import { bundleReport, OPEN_NEXT_LAYOUT, parseManifest, type OutputFile } from '../../../core/opennext-output.js';

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * A deployment's OpenNext output, copied to `<root>/<deploymentId>/` with its size recorded beside
 * it in `<root>/<deploymentId>.json` and its files in `<deploymentId>.files.json`. The copy is made in a scratch name and renamed into place, so
 * `get` never sees half an artifact. Deployment ids are unique on a platform, so the project name
 * is not part of the path.
 */
export class FileArtifacts implements Artifacts {
  constructor(private readonly root: string) {}

  async store({ deploymentId }: DeploymentRef, output: BuildOutput): Promise<ArtifactInfo> {
    // On this machine a build that "uploaded" its output left it in a folder too.
    const outputDir = output.kind === 'directory' ? output.path : output.location;
    const location = this.location(deploymentId);
    const draft = join(this.root, `.draft-${deploymentId}-${nodeCrypto().randomBytes(4).toString('hex')}`);
    await mkdir(this.root, { recursive: true });
    try {
      // Relative links (pnpm-style node_modules in a server bundle) are kept as they are. A link that
      // leaves the output dir is refused: the builder copies what such links lead to inside the
      // build's sandbox (build-sandbox.ts), and following one here, with the server's rights, would
      // copy whatever the build pointed it at (the platform key) into the deployment.
      // Hard links: the build's output is not written again (its scratch dir is removed next), and
      // linking 40 MB takes milliseconds where copying takes a second.
      // The output folder itself too: read through a link, the copy would be of whatever it leads to.
      if ((await lstat(outputDir).catch(() => null))?.isSymbolicLink() === true) throw linksOut('.open-next itself', await readlink(outputDir));
      const files: OutputFile[] = [];
      const sourceRoot = resolve(outputDir);
      await linkTree(sourceRoot, draft, {
        linkTarget: (path) => linkInside(path, sourceRoot),
        onFile: (placed, size) => files.push({ name: relative(draft, placed).split(sep).join('/'), size }),
      });
      files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const bytes = files.reduce((sum, f) => sum + f.size, 0);
      // A list left from an earlier copy of this deployment would describe other files.
      await rm(this.fileList(deploymentId), { force: true });
      await rm(location, { recursive: true, force: true });
      await rename(draft, location);
      const info: ArtifactInfo = { deploymentId, location, bytes };
      // The file list, so that deploying does not walk the artifact's thousand files again (inspect).
      await writeFile(this.fileList(deploymentId), JSON.stringify(files));
      await writeFile(this.sidecar(deploymentId), JSON.stringify({ bytes }));
      return info;
    } catch (error) {
      await rm(draft, { recursive: true, force: true });
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !(await exists(outputDir))) {
        throw new AnchorError({
          code: 'BUILD_OUTPUT_MISSING',
          kind: 'failed',
          message: `The build of ${deploymentId} produced no output at ${outputDir}.`,
          hint: 'Check the end of the build log: the OpenNext build step most likely failed.',
          cause: error,
        });
      }
      if (storageTrouble(error) === 'full') {
        throw new AnchorError({ code: 'DISK_FULL', kind: 'external', message: `the disk under ${this.root} is full (${errorMessage(error)})`, hint: 'Free some space on the platform\'s disk.', cause: error });
      }
      throw error;
    }
  }

  async inspect(artifact: ArtifactInfo): Promise<BundleReport> {
    const manifest = parseManifest(await readFile(join(artifact.location, OPEN_NEXT_LAYOUT.manifest), 'utf8').catch(() => null));
    return bundleReport((await this.storedFileList(artifact)) ?? (await listFiles(artifact.location)), manifest);
  }

  /** The list `store` wrote beside the artifact; null for one stored before there was a list, or elsewhere. */
  private async storedFileList(artifact: ArtifactInfo): Promise<OutputFile[] | null> {
    if (!SAFE_ID.test(artifact.deploymentId) || artifact.location !== this.location(artifact.deploymentId)) return null;
    const files: unknown = await readFile(this.fileList(artifact.deploymentId), 'utf8').then(JSON.parse, () => null);
    return Array.isArray(files) && files.every((f) => typeof (f as OutputFile)?.name === 'string' && typeof (f as OutputFile).size === 'number') ? (files as OutputFile[]) : null;
  }

  async get({ deploymentId }: DeploymentRef): Promise<ArtifactInfo | null> {
    const location = this.location(deploymentId);
    if (!(await exists(location))) return null;
    const bytes = await readFile(this.sidecar(deploymentId), 'utf8')
      .then((text) => (JSON.parse(text) as { bytes: number }).bytes)
      // A crash between the rename and writing the size: count again.
      .catch(async () => (await listFiles(location)).reduce((sum, f) => sum + f.size, 0));
    return { deploymentId, location, bytes };
  }

  async remove({ deploymentId }: DeploymentRef): Promise<void> {
    await rm(this.sidecar(deploymentId), { force: true });
    await rm(this.fileList(deploymentId), { force: true });
    await rm(this.location(deploymentId), { recursive: true, force: true });
  }

  private location(deploymentId: string): string {
    if (!SAFE_ID.test(deploymentId)) {
      throw new AnchorError({ code: 'DEPLOYMENT_ID_INVALID', kind: 'usage', message: `"${deploymentId}" is not a deployment id.`, hint: 'Deployment ids look like d_01J…; run "anchor deployments ls <project>".' });
    }
    return join(this.root, deploymentId);
  }

  private sidecar(deploymentId: string): string {
    return `${this.location(deploymentId)}.json`;
  }

  private fileList(deploymentId: string): string {
    return `${this.location(deploymentId)}.files.json`;
  }
}

function linksOut(path: string, target: string): AnchorError {
  return new AnchorError({
    code: 'OUTPUT_LINKS_OUT',
    kind: 'failed',
    message: `The build output has a link that leads out of it: ${path} → ${target}.`,
    hint: 'A link in .open-next must stay inside it; point it at a file the build can read, or copy the file in.',
  });
}

/**
 * The target to give the copy of the link at `path`: as it is when relative, made relative when
 * absolute but inside the output. A link leading out of the output, as written or through other
 * links on the way, is refused (OUTPUT_LINKS_OUT).
 */
async function linkInside(path: string, sourceRoot: string): Promise<string> {
  const target = await readlink(path);
  const resolved = isAbsolute(target) ? target : resolve(dirname(path), target);
  const inside = relative(sourceRoot, resolved);
  if (inside.startsWith('..') || isAbsolute(inside) || (await realPathInside(sourceRoot, path)) === null) throw linksOut(relative(sourceRoot, path), target);
  return isAbsolute(target) ? relative(dirname(path), resolved) : target;
}

/** Every regular file under `root` (links not followed), with its path inside `root` using `/` and its size. */
async function listFiles(root: string): Promise<OutputFile[]> {
  const files: OutputFile[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.push({ name: relative(root, path).split(sep).join('/'), size: (await lstat(path)).size });
  }
  return files;
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
