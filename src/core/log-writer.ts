import type { BuildLogs } from './ports/build-logs.js';
import type { Clock } from './ports/system.js';

/** What a secret's value becomes inside a log line: short, as CI logs write it (not env ls's HIDDEN_VALUE, a whole value's stand-in). */
const REDACTED = '***';

/** Replaces every occurrence of each secret value (longest first, so overlaps mask fully). */
export function maskSecrets(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length === 0) continue;
    // A multi-line secret is masked line by line, since logs are stored per line.
    for (const part of secret.split(/\r?\n/)) {
      if (part.length >= 3 || part === secret) out = out.split(part).join(REDACTED);
    }
  }
  return out;
}

/** What a build may print into its deployment's log, per try: past it, only the last lines are kept. */
export const BUILD_OUTPUT_CAP_BYTES = 50 * 1024 * 1024;
const KEPT_AT_THE_END = 200;
/** A stored line's JSON wrapping (`{"at":"…","text":"…"}`), counted against the cap too. */
const LINE_OVERHEAD_BYTES = 48;

/**
 * Writes a deployment's log lines in order, masked, in small batches: a build prints thousands of
 * lines and each append is I/O. `flush()` resolves when everything written so far is stored.
 *
 * With `capBytes`, a log never grows past about that much: once it is reached, one marker line is
 * written and later lines are dropped, except the last 200, which `finish()` writes at the end (a
 * failure is explained at the end of a build's output, and that part is kept).
 */
export class LogWriter {
  private pending: string[] = [];
  private chain: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private bytes = 0;
  private readonly dropped = { lines: 0, bytes: 0, last: [] as string[] };

  constructor(
    private readonly logs: BuildLogs,
    private readonly clock: Clock,
    private readonly deploymentId: string,
    private readonly secrets: readonly string[] = [],
    private readonly options: { batchMs?: number; capBytes?: number } = {},
  ) {}

  line(text: string): void {
    const masked = maskSecrets(text, this.secrets);
    const size = utf8Length(masked) + LINE_OVERHEAD_BYTES;
    if (this.options.capBytes !== undefined && this.bytes + size > this.options.capBytes) return this.drop(masked, size);
    this.bytes += size;
    this.pending.push(masked);
    if (this.pending.length >= 200) this.schedule(0);
    else this.schedule(this.options.batchMs ?? 50);
  }

  /** Writes what the cap held back (the count of dropped lines, then the last ones), and flushes. */
  finish(): Promise<void> {
    const { lines, bytes, last } = this.dropped;
    if (lines > 0) {
      const skipped = lines - last.length;
      if (skipped > 0) this.pending.push(`… ${skipped} more lines (${(bytes / 1e6).toFixed(1)} MB with the last ones) were not kept; the last ${last.length} follow:`);
      this.pending.push(...last);
      this.dropped.lines = 0;
      this.dropped.last = [];
    }
    return this.flush();
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

  private drop(line: string, size: number): void {
    if (this.dropped.lines === 0) {
      this.pending.push(`… This build printed more than ${Math.round((this.options.capBytes ?? 0) / 1e6)} MB: anchor keeps that much of its output and its last ${KEPT_AT_THE_END} lines.`);
      this.schedule(0);
    }
    this.dropped.lines += 1;
    this.dropped.bytes += size;
    this.dropped.last.push(line);
    if (this.dropped.last.length > KEPT_AT_THE_END) this.dropped.last.shift();
  }

  private schedule(ms: number): void {
    if (this.timer && ms > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), ms);
  }
}

const encoder = new TextEncoder();

function utf8Length(text: string): number {
  // Most lines are ASCII, whose UTF-8 length is the string's length.
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(text) ? text.length : encoder.encode(text).byteLength;
}
