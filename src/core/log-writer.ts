import type { BuildLogs } from './ports/build-logs.js';
import type { Clock } from './ports/system.js';

const MASK = '***';

/** Replaces every occurrence of each secret value (longest first, so overlaps mask fully). */
export function maskSecrets(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length === 0) continue;
    // A multi-line secret is masked line by line, since logs are stored per line.
    for (const part of secret.split(/\r?\n/)) {
      if (part.length >= 3 || part === secret) out = out.split(part).join(MASK);
    }
  }
  return out;
}

/**
 * Writes a deployment's log lines in order, masked, in small batches: a build prints thousands of
 * lines and each append is I/O. `flush()` resolves when everything written so far is stored.
 */
export class LogWriter {
  private pending: string[] = [];
  private chain: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly logs: BuildLogs,
    private readonly clock: Clock,
    private readonly deploymentId: string,
    private readonly secrets: readonly string[] = [],
    private readonly batchMs = 50,
  ) {}

  line(text: string): void {
    this.pending.push(maskSecrets(text, this.secrets));
    if (this.pending.length >= 200) this.schedule(0);
    else this.schedule(this.batchMs);
  }

  async write(text: string): Promise<void> {
    this.line(text);
    await this.flush();
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0) {
      const at = this.clock.now().toISOString();
      this.chain = this.chain.then(() => this.logs.append(this.deploymentId, batch, at)).catch(() => undefined);
    }
    return this.chain;
  }

  private schedule(ms: number): void {
    if (this.timer && ms > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), ms);
  }
}
