import { describe, expect, it } from 'vitest';
import { lastErrorLine, stepFailureReason } from '../../src/adapters/local/build/build-failure.js';

describe('lastErrorLine', () => {
  it('finds the cause in npm ci output, not the log-file pointer after it', () => {
    const tail = [
      'npm error code EUSAGE',
      'npm error',
      'npm error `npm ci` can only install packages when your package.json and package-lock.json are in sync.',
      'npm error',
      'npm error Missing: left-pad@1.3.0 from lock file',
      'npm error',
      'npm error Clean install a project',
      'npm error A complete log of this run can be found in: /root/.npm/_logs/x.log',
    ];
    expect(lastErrorLine(tail)).toBe('Missing: left-pad@1.3.0 from lock file');
  });

  it('skips stack frames and warnings', () => {
    const tail = ['Error: Cannot find module ./missing', '    at Module._resolveFilename (node:internal/modules)', 'npm warn config cache missing something', 'Node.js v20.20.2'];
    expect(lastErrorLine(tail)).toBe('Error: Cannot find module ./missing');
  });

  it('falls back to the last line when none reads like an error', () => {
    expect(lastErrorLine(['compiling', 'killed'])).toBe('killed');
    expect(lastErrorLine([])).toBeNull();
  });
});

describe('stepFailureReason', () => {
  it('names the step, how it ended and the line that says why', () => {
    expect(stepFailureReason('npm ci', { exitCode: 1, signal: null, spawnError: null, tail: ['npm error 404 Not Found - GET https://registry/x'] })).toBe('npm ci failed (exit 1): 404 Not Found - GET https://registry/x');
    expect(stepFailureReason('OpenNext build', { exitCode: null, signal: 'SIGKILL', spawnError: null, tail: [] })).toBe('OpenNext build failed (killed by SIGKILL)');
  });
});

describe('lastErrorLine on OpenNext output', () => {
  it('reports the Next.js error, with its location, not OpenNext\'s "Command failed"', () => {
    const tail = [
      '> Build error occurred',
      'Error: Turbopack build failed with 1 error:',
      './app/page.jsx:1:1',
      "Error: Module not found: Can't resolve './nope'",
      "> 1 | import x from './nope';",
      '    | ^^^^^^^^^^^^^^^^^^^^^^^',
      'https://nextjs.org/docs/messages/module-not-found',
      '    at <unknown> (https://nextjs.org/docs/messages/module-not-found)',
      'node:internal/errors:984',
      '  const err = new Error(message);',
      '              ^',
      'Error: Command failed: npm run build',
      '    at genericNodeError (node:internal/errors:984:15)',
      '  status: 1,',
      '  stderr: null',
      '}',
      'Node.js v20.20.2',
    ];
    expect(lastErrorLine(tail)).toBe("./app/page.jsx:1:1: Error: Module not found: Can't resolve './nope'");
  });
});
