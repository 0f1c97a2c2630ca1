import { AnchorError } from '../core/errors.js';

/** The token piped on stdin (`--token-stdin`): its first line, trimmed; at most 4 KB read. */
export async function readTokenFromStdin(stdin: NodeJS.ReadableStream | null): Promise<string> {
  const none = () => new AnchorError({ code: 'TOKEN_MISSING', kind: 'usage', message: '--token-stdin was given but stdin held no token.', hint: 'Pipe it in, e.g. anchor login <url> --token-stdin < token.txt' });
  if (!stdin) throw none();
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.length > 4096) break;
  }
  const token = (text.split(/\r?\n/)[0] ?? '').trim();
  if (!token) throw none();
  return token;
}
