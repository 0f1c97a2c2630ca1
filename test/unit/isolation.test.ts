import { describe, expect, it } from 'vitest';
import { chooseIsolation, type IsolationFacts } from '../../src/adapters/local/sandbox/isolation.js';

const root = (bwrap: boolean): IsolationFacts => ({ isRoot: true, bwrap: bwrap ? '/usr/bin/bwrap' : null, bwrapProblem: bwrap ? null : 'bubblewrap is not installed' });
const user = (bwrap: boolean): IsolationFacts => ({ isRoot: false, bwrap: '/usr/bin/bwrap', bwrapProblem: bwrap ? null : 'bubblewrap could not start a sandbox: No permissions to create new namespace' });

describe('chooseIsolation (local only)', () => {
  it.each([
    ['root with bubblewrap', root(true), 'uid+bwrap', []],
    ['root without bubblewrap', root(false), 'uid', [/bubblewrap is not installed.*apt-get install bubblewrap/]],
    ['a user with bubblewrap', user(true), 'bwrap', [/not root/]],
    ['a user whose bubblewrap cannot make namespaces', user(false), 'none', [/No permissions to create new namespace/, /not root/]],
  ] as const)('auto takes the strongest there is: %s → %s, saying what is missing', (_name, facts, mode, missing) => {
    const isolation = chooseIsolation('auto', facts);
    expect(isolation.mode).toBe(mode);
    expect(isolation.missing).toHaveLength(missing.length);
    missing.forEach((pattern, i) => expect(isolation.missing[i]).toMatch(pattern));
  });

  it('says plainly that there is no isolation, for the server\'s first line', () => {
    expect(chooseIsolation('auto', user(false)).summary).toMatch(/^NO ISOLATION: .*can read the platform key/);
  });

  it('refuses a mode the machine cannot give, saying what to do (exit 2)', () => {
    expect(() => chooseIsolation('uid', user(true))).toThrow(expect.objectContaining({ code: 'ISOLATION_UNAVAILABLE', kind: 'usage', hint: expect.stringContaining('--isolation bwrap') }));
    expect(() => chooseIsolation('uid+bwrap', root(false))).toThrow(expect.objectContaining({ code: 'ISOLATION_UNAVAILABLE', message: expect.stringContaining('bubblewrap is not installed') }));
    expect(chooseIsolation('none', root(true))).toMatchObject({ mode: 'none', uids: false, bwrap: null });
  });
});
