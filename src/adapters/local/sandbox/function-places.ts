import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { handlerChildEntry } from '../runtime/handler-process.js';
import type { FunctionPlace, FunctionPlaces } from '../runtime/local-function-host.js';
import type { ProjectSandboxes } from './project-sandboxes.js';

/** The handler child's modules: the program and what it imports (the test bundle is one file). */
const CHILD_MODULES = ['handler-child.js', 'function-url-event.js', 'lambda-response-stream.js'];

/**
 * Copies the handler child program into the server's run dir, readable by every sandbox uid
 * wherever anchor is installed (under /root, its own files are not), with a package.json that
 * makes Node load it as an ES module. Returns the program's path.
 */
export function installHandlerChild(runDir: string): string {
  const from = dirname(handlerChildEntry());
  const to = join(runDir, 'handler');
  mkdirSync(to, { recursive: true, mode: 0o755 });
  for (const name of CHILD_MODULES) {
    if (existsSync(join(from, name))) copyFileSync(join(from, name), join(to, name));
  }
  writeFileSync(join(to, 'package.json'), '{"type":"module"}\n', { mode: 0o644 });
  return join(to, 'handler-child.js');
}

/**
 * Where a deployment's functions run: in its project's folder outside the platform dir, on a
 * socket in the project's own socket folder, as its project's uid and in its sandbox. Inside, a
 * function sees its deployment (read-only but for the ISR cache), its socket folder, its home and
 * the system; nothing of the platform, of other projects, or of other processes.
 */
export class SandboxedFunctionPlaces implements FunctionPlaces {
  constructor(
    private readonly sandboxes: ProjectSandboxes,
    private readonly childEntry: string,
  ) {}

  async forDeployment(projectName: string, deploymentId: string): Promise<FunctionPlace> {
    const box = await this.sandboxes.forProject(projectName);
    const runtimeDir = join(box.runtime, deploymentId);
    return {
      runtimeDir,
      socketDir: box.sockets,
      childEntry: this.childEntry,
      // The ISR cache is written at run time; the bundles and assets are only read.
      prepared: (dir) => box.handOver(join(dir, 'cache'), { recursive: true }),
      sandbox: (command) =>
        box.command({
          ...command,
          mounts: [
            { source: runtimeDir, writable: false },
            { source: join(runtimeDir, 'cache'), writable: true },
            { source: box.sockets, writable: true },
            { source: dirname(this.childEntry), writable: false },
          ],
        }),
    };
  }
}
