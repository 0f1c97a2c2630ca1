import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** dist/ (npm run build): the CLI's own streams, as a real process has them. */
const IO = fileURLToPath(new URL('../../dist/src/cli/io.js', import.meta.url));

/** A process that writes `lines` numbered lines through processIo's stdout, then says it is done on stderr. */
function writer(lines: number) {
  const script = `const { processIo } = await import(${JSON.stringify(IO)});
const io = processIo();
for (let i = 0; i < ${lines}; i++) io.stdout.write('line ' + i + ' ' + 'x'.repeat(100) + '\\n');
io.stderr.write('done\\n');`;
  return spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function collect(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    stream.on('end', () => resolve(text));
  });
}

describe('the CLI\'s output streams', () => {
  it('deliver every line in order through a pipe slower than the writer (several MB)', async () => {
    const child = writer(30_000);
    const stderr = collect(child.stderr);
    let text = '';
    // A slow reader: the pipe fills, and the writer waits for it.
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), 1);
    });
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect(code).toBe(0);
    expect(await stderr).toBe('done\n');
    const lines = text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(30_000);
    expect(lines.every((line, i) => line.startsWith(`line ${i} `))).toBe(true);
  });

  it('end quietly when the reader goes away, as `anchor ... | head` does', async () => {
    const child = writer(100_000);
    const stderr = collect(child.stderr);
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect(code).toBe(0);
    expect(await stderr).toBe('done\n');
  });
});
