import type { Logger } from '../../core/ports/system.js';

/** One line per event on a stream (stderr for the server): time, level, message, fields as JSON. */
export class StreamLogger implements Logger {
  constructor(private readonly stream: { write(chunk: string): unknown }) {}

  info(message: string, fields?: Record<string, unknown>): void {
    this.write('info', message, fields);
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.write('warn', message, fields);
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.write('error', message, fields);
  }

  private write(level: string, message: string, fields?: Record<string, unknown>): void {
    this.stream.write(`${new Date().toISOString()} ${level.padEnd(5)} ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`);
  }
}
