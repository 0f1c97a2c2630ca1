import { constants, open } from 'node:fs/promises';

/**
 * The text of `path`, for a file someone else chose and the server reads with its own rights (a
 * lockfile in a build's checkout, an npmrc a project's settings name). Null when there is nothing
 * there. Throws, with a reason for a log line, when it is not a regular file of at most `maxBytes`:
 * a link (it could lead to the platform's key), a FIFO or a terminal (reading would wait for ever),
 * a device such as /dev/zero (it never ends).
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<string | null> {
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new Error(code === 'ELOOP' ? 'it is a link' : `it cannot be read (${code ?? String(error)})`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new Error('it is not a regular file');
    if (info.size > maxBytes) throw new Error(`it is larger than ${maxBytes} bytes`);
    // No more than its size, even from a file that grows while it is read.
    const buffer = Buffer.alloc(info.size + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > info.size) throw new Error('it changed while it was read');
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    await handle.close();
  }
}
