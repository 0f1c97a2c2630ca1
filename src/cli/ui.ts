import { createColors } from 'picocolors';
import type { Io } from './io.js';

export type Colors = ReturnType<typeof createColors>;

export interface Spinner {
  update(text: string): void;
  succeed(text: string): void;
  fail(text: string): void;
  stop(): void;
}

/**
 * All terminal output goes through here: results on stdout (exactly one JSON document with
 * --json), everything else on stderr. Spinners and colour only on a TTY, never in CI or with
 * --json, and colour never with NO_COLOR.
 */
export class Ui {
  readonly colors: Colors;
  readonly json: boolean;
  private readonly fancy: boolean;

  constructor(
    private readonly io: Io,
    options: { json: boolean; ci: boolean; noColor: boolean },
  ) {
    this.json = options.json;
    this.fancy = io.stderrIsTTY && !options.json && !options.ci;
    this.colors = createColors(io.stderrIsTTY && !options.json && !options.ci && !options.noColor);
  }

  /** Prints a command's result: `data` as JSON with --json, else the human lines. */
  result(data: unknown, human: () => string | readonly string[]): void {
    if (this.json) {
      this.io.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
      return;
    }
    const text = human();
    const lines = typeof text === 'string' ? [text] : text;
    if (lines.length > 0) this.io.stdout.write(`${lines.join('\n')}\n`);
  }

  /** One JSON document per line, for --follow streams. */
  jsonLine(data: unknown): void {
    this.io.stdout.write(`${JSON.stringify(data)}\n`);
  }

  /**
   * Resolves once stdout has taken what was written so far (a slow pipe, `| less`), so a long
   * output is produced page by page instead of piling up in memory; at once for a test's strings.
   */
  drained(): Promise<void> {
    const out = this.io.stdout as { writableNeedDrain?: boolean; once?: (event: string, listener: () => void) => unknown; off?: (event: string, listener: () => void) => unknown };
    if (out.writableNeedDrain !== true || out.once === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        for (const event of ['drain', 'close', 'error']) out.off?.(event, done);
        resolve();
      };
      for (const event of ['drain', 'close', 'error']) out.once?.(event, done);
    });
  }

  /** A line of a stream that is the result itself (log lines), on stdout. */
  out(line: string): void {
    this.io.stdout.write(`${line}\n`);
  }

  info(message: string): void {
    if (!this.json) this.io.stderr.write(`${message}\n`);
  }

  success(message: string): void {
    if (!this.json) this.io.stderr.write(`${this.colors.green('✔')} ${message}\n`);
  }

  warn(message: string): void {
    this.io.stderr.write(`${this.colors.yellow('!')} ${message}\n`);
  }

  error(message: string, hint?: string): void {
    this.io.stderr.write(`${this.colors.red('✖')} ${message}\n`);
    if (hint) this.io.stderr.write(`  ${this.colors.dim('→')} ${hint}\n`);
  }

  async spinner(text: string): Promise<Spinner> {
    if (!this.fancy) {
      if (!this.json) this.io.stderr.write(`${text}\n`);
      return {
        update: () => {},
        succeed: (t) => this.success(t),
        fail: (t) => this.error(t),
        stop: () => {},
      };
    }
    const { default: ora } = await import('ora');
    const spinner = ora({ text, stream: this.io.stderr as NodeJS.WritableStream }).start();
    return {
      update: (t) => {
        spinner.text = t;
      },
      succeed: (t) => spinner.succeed(t),
      fail: (t) => spinner.fail(t),
      stop: () => spinner.stop(),
    };
  }
}
