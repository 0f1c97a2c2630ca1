import { StringDecoder } from 'node:string_decoder';

/** Longest line kept whole; a longer one is emitted in pieces so memory stays bounded. */
const MAX_LINE = 64 * 1024;

/**
 * Turns a byte stream into the lines a person would have seen in a terminal. `\r` progress
 * output (a bar redrawn in place) keeps only what was on screen when the line ended, so a
 * download bar becomes one line instead of thousands. ANSI colour codes are dropped: the lines
 * end up in log files and web pages, where they are noise.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(private readonly emit: (line: string) => void) {}

  push(chunk: Buffer | string): void {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let newline = this.pending.indexOf('\n');
    while (newline !== -1) {
      this.emitLine(this.pending.slice(0, newline));
      this.pending = this.pending.slice(newline + 1);
      newline = this.pending.indexOf('\n');
    }
    // A redrawn line only ever shows its last state: forget the earlier ones now.
    const cr = this.pending.lastIndexOf('\r');
    if (cr > 0 && cr < this.pending.length - 1) this.pending = this.pending.slice(cr);
    while (this.pending.length > MAX_LINE) {
      this.emitLine(this.pending.slice(0, MAX_LINE));
      this.pending = this.pending.slice(MAX_LINE);
    }
  }

  /** Emits what is left after the stream ended without a final newline. */
  end(): void {
    this.pending += this.decoder.end();
    if (this.pending.length > 0) this.emitLine(this.pending);
    this.pending = '';
  }

  private emitLine(raw: string): void {
    const segments = stripAnsi(raw).split('\r');
    // "\r\n" leaves an empty last segment; a redraw leaves earlier states before the last one.
    let line = segments.pop() ?? '';
    while (line === '' && segments.length > 0) line = segments.pop() ?? '';
    this.emit(line);
  }
}

// CSI sequences (colours, cursor moves) and OSC sequences (terminal titles, hyperlinks).
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}
