import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Writable } from 'node:stream';

/** The content type by which a streaming Lambda says "a JSON prelude, 8 NUL bytes, then the body". */
export const HTTP_INTEGRATION_RESPONSE = 'application/vnd.awslambda.http-integration-response';

const SEPARATOR = Buffer.alloc(8);
/** A prelude is a status and headers; anything this long without a separator is not one. */
const MAX_PRELUDE = 1024 * 1024;

// Headers that describe the wrapper's framing, not the body we send: the wrapper compresses the
// body itself but keeps the uncompressed content-length, and Node chooses the transfer encoding.
const DROPPED = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

interface Prelude {
  statusCode?: number;
  headers?: Record<string, string | string[] | number | null | undefined>;
  cookies?: string[];
}

/**
 * The `responseStream` that Lambda's runtime hands a streaming handler, writing into a real HTTP
 * response: the prelude becomes the status line and headers, the rest streams through as the
 * body with backpressure. A handler that never announces a prelude gets its bytes sent as a plain
 * 200 body, as a Function URL does.
 */
export class LambdaResponseStream extends Writable {
  private contentType: string | undefined;
  private preludeMode = false;
  private started = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly res: ServerResponse) {
    super();
  }

  /** Called by the wrapper (and by `HttpResponseStream.from`) before the first write. */
  setContentType(contentType: string): void {
    this.contentType = contentType;
    this.preludeMode = contentType === HTTP_INTEGRATION_RESPONSE;
  }

  get headersWritten(): boolean {
    return this.started;
  }

  override _write(chunk: Buffer | string, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
    if (this.started) {
      this.forward(bytes, callback);
      return;
    }
    if (!this.preludeMode) {
      this.start(200, { 'content-type': this.contentType ?? 'application/octet-stream' });
      this.forward(bytes, callback);
      return;
    }
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    const buffered = Buffer.concat(this.pending);
    // JSON never contains a raw NUL, so the first run of 8 NULs ends the prelude.
    const end = buffered.indexOf(SEPARATOR);
    if (end === -1) {
      if (this.pendingBytes > MAX_PRELUDE) callback(new Error('The handler wrote no response prelude separator.'));
      else callback();
      return;
    }
    this.pending = [];
    this.pendingBytes = 0;
    let prelude: Prelude;
    try {
      prelude = JSON.parse(buffered.subarray(0, end).toString('utf8')) as Prelude;
    } catch (error) {
      callback(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.start(prelude.statusCode ?? 200, toHttpHeaders(prelude));
    const rest = buffered.subarray(end + SEPARATOR.length);
    if (rest.length > 0) this.forward(rest, callback);
    else callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.started) {
      // Ended before any body byte: a prelude-only response, or nothing at all.
      const buffered = Buffer.concat(this.pending);
      const end = buffered.indexOf(SEPARATOR);
      if (this.preludeMode && end !== -1) {
        const prelude = JSON.parse(buffered.subarray(0, end).toString('utf8')) as Prelude;
        this.start(prelude.statusCode ?? 200, toHttpHeaders(prelude));
      } else if (this.preludeMode) {
        this.start(502, { 'content-type': 'text/plain; charset=utf-8' });
        this.res.write('The function ended its response without a complete prelude.\n');
      } else {
        this.start(200, { 'content-type': this.contentType ?? 'application/octet-stream' });
      }
    }
    if (this.res.destroyed) {
      callback();
      return;
    }
    this.res.end(() => callback());
  }

  private start(statusCode: number, headers: OutgoingHttpHeaders): void {
    this.started = true;
    if (this.res.headersSent || this.res.destroyed) return;
    this.res.writeHead(statusCode, headers);
    // Send the head now: a streamed page must reach the browser before its slow parts exist.
    this.res.flushHeaders();
  }

  private forward(bytes: Buffer, callback: (error?: Error | null) => void): void {
    // A client that went away is not the handler's problem: drop the rest of the body.
    if (this.res.destroyed || this.res.writableEnded) {
      callback();
      return;
    }
    if (this.res.write(bytes)) {
      callback();
      return;
    }
    const done = (): void => {
      this.res.off('drain', done);
      this.res.off('close', done);
      callback();
    };
    this.res.on('drain', done);
    this.res.on('close', done);
  }
}

function toHttpHeaders(prelude: Prelude): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [rawName, value] of Object.entries(prelude.headers ?? {})) {
    const name = rawName.toLowerCase();
    if (value === undefined || value === null || DROPPED.has(name)) continue;
    if (name === 'content-encoding' && value === 'identity') continue;
    headers[name] = Array.isArray(value) ? value.map(String) : String(value);
  }
  const cookies = [...toList(headers['set-cookie']), ...(prelude.cookies ?? [])];
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  // The body's encoding was chosen from Accept-Encoding, so caches must key on it.
  if (headers['content-encoding'] !== undefined) {
    const vary = toList(headers.vary).join(', ');
    if (!/(^|,)\s*(accept-encoding|\*)\s*(,|$)/i.test(vary)) headers.vary = vary === '' ? 'Accept-Encoding' : `${vary}, Accept-Encoding`;
  }
  return headers;
}

function toList(value: OutgoingHttpHeaders[string]): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [String(value)];
}
