import { request } from 'node:http';

export interface SseEvent {
  id: string | null;
  event: string;
  data: unknown;
}

/** Reads a Server-Sent Events answer until an `end` event (or the stream closes); answers status, headers and the events. */
export function readSse(options: { port: number; path: string; headers: Record<string, string>; timeoutMs?: number }): Promise<{ status: number; contentType: string | undefined; events: SseEvent[] }> {
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no end event within ${options.timeoutMs ?? 120_000} ms; got ${JSON.stringify(events.slice(-5))}`));
    }, options.timeoutMs ?? 120_000);
    const req = request({ host: '127.0.0.1', port: options.port, path: options.path, headers: options.headers }, (res) => {
      let buffer = '';
      const finish = () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], events });
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':') && l.includes(': ')).map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]));
          if (fields.event === undefined) continue;
          events.push({ id: fields.id ?? null, event: fields.event, data: JSON.parse(fields.data ?? 'null') });
          if (fields.event === 'end') {
            res.destroy();
            finish();
          }
        }
      });
      res.on('end', finish);
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
