import { spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isTerminal } from '../../src/lib/is-terminal.js';

/** dist/ (npm run build): a child process runs it as Node does. */
const IS_TERMINAL = fileURLToPath(new URL('../../dist/src/lib/is-terminal.js', import.meta.url));

describe('isTerminal', () => {
  it('says no for /dev/null, a file and a pipe, as tty.isatty does', () => {
    for (const path of ['/dev/null', fileURLToPath(import.meta.url)]) {
      const fd = openSync(path, 'r');
      try {
        expect(isTerminal(fd), path).toBe(false);
      } finally {
        closeSync(fd);
      }
    }
    // A child's stdout and stderr as pipes, stdin /dev/null: what it says of each, and whether it loaded node:tty.
    const script = `import { isTerminal } from ${JSON.stringify(IS_TERMINAL)}; console.log(JSON.stringify([isTerminal(0), isTerminal(1), isTerminal(2), process.moduleLoadList.some((m) => m === 'NativeModule tty')]));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual([false, false, false, false]);
  });

  it('says yes for a terminal (a pseudo-terminal from script(1)), as tty.isatty does', () => {
    const probe = spawnSync('script', ['-qec', `${process.execPath} --input-type=module -e "import { isTerminal } from '${IS_TERMINAL}'; import { isatty } from 'node:tty'; console.log('answer', isTerminal(1), isatty(1))"`, '/dev/null'], { encoding: 'utf8' });
    if (probe.error) return expect.fail(`script(1) is needed for this test: ${probe.error.message}`);
    expect(probe.stdout).toMatch(/answer true true/);
  });
});
