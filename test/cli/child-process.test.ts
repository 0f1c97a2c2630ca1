import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runBin, tempHome } from './run-cli.js';

let home: ReturnType<typeof tempHome>;
beforeAll(() => {
  home = tempHome();
});
afterAll(() => home.cleanup());

describe('bin/anchor as a real process', () => {
  it('init → projects add → env set (plain, secret) → env ls → env pull → projects rm', async () => {
    const run = (...args: string[]) => runBin(args, { home: home.dir });
    expect((await run('init', '--local')).code).toBe(0);
    mkdirSync(join(home.dir, 'site'));
    const added = await run('projects', 'add', 'shop', '--repo', './site', '--json');
    expect(added.code).toBe(0);
    expect(added.json()).toMatchObject({ project: { name: 'shop' }, webhook: { url: expect.stringContaining('/webhook/p_') } });
    expect((await run('env', 'set', 'shop', 'GREETING=hi')).code).toBe(0);
    expect((await run('env', 'set', 'shop', 'SESSION_KEY=child-process-secret-42', '--secret')).code).toBe(0);
    const ls = await run('env', 'ls', 'shop');
    expect(ls.stdout).toMatch(/GREETING\s+hi\s+plain/);
    expect(ls.stdout).toMatch(/SESSION_KEY\s+•+\s+secret/);
    expect(ls.stdout).not.toContain('child-process-secret-42');
    const pulled = await run('env', 'pull', 'shop');
    expect(pulled.code).toBe(0);
    const file = readFileSync(join(home.dir, '.env.local'), 'utf8');
    expect(file).toContain('GREETING=hi');
    expect(file).toContain('# SESSION_KEY=');
    expect(file).not.toContain('child-process-secret-42');
    const db = readFileSync(join(home.dir, '.anchor', 'platforms', 'local', 'anchor.db'));
    expect(db.includes(Buffer.from('child-process-secret-42'))).toBe(false);
    const rm = await run('projects', 'rm', 'shop', '--yes');
    expect(rm.code).toBe(0);
    expect((await run('projects', 'ls', '--json')).json()).toEqual([]);
  });

  it('exits with the documented codes: usage 2, not found 3', async () => {
    expect((await runBin(['projects', 'show', 'ghost'], { home: home.dir })).code).toBe(3);
    expect((await runBin(['env', 'set', 'x', '9=1'], { home: home.dir })).code).toBe(3);
    expect((await runBin(['bogus'], { home: home.dir })).code).toBe(2);
  });

  it('anchor --help loads neither SQLite nor the AWS SDK (while projects ls does load SQLite)', async () => {
    await runBin(['init', '--local'], { home: home.dir });
    // Runs the CLI's entry in a fresh process and lists the CommonJS modules it loaded.
    const probe = (args: string[]) => {
      const script = `const { main } = await import(${JSON.stringify(new URL('../../dist/cli/main.mjs', import.meta.url).href)});
        const io = { stdout: { write() {} }, stderr: { write() {} }, stdin: null, stdoutIsTTY: false, stderrIsTTY: false, stdinIsTTY: false, cwd: process.cwd() };
        const code = await main(${JSON.stringify(args)}, io);
        const { createRequire } = await import('node:module');
        const loaded = Object.keys(createRequire(import.meta.url).cache);
        process.stdout.write(JSON.stringify({ code, loaded }));`;
      const env = { PATH: process.env.PATH ?? '', HOME: home.dir, ANCHOR_HOME: join(home.dir, '.anchor') };
      return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env })) as { code: number; loaded: string[] };
    };
    const help = probe(['--help']);
    expect(help.code).toBe(0);
    expect(help.loaded.filter((m) => /better-sqlite3|@aws-sdk|@opennextjs|execa/.test(m))).toEqual([]);
    const ls = probe(['projects', 'ls', '--json']);
    expect(ls.code).toBe(0);
    expect(ls.loaded.some((m) => m.includes('better-sqlite3'))).toBe(true);
    expect(execFileSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' })).toContain('Usage: anchor');
  });

  it('starts without the Node modules a command does not use: --help no child_process, projects ls no HTTP, TLS or DNS, and both answer as before', async () => {
    await runBin(['init', '--local'], { home: home.dir });
    await runBin(['projects', 'add', 'lazy', '--repo', 'acme/lazy'], { home: home.dir });
    // The Node built-ins a real `anchor <args>` process loaded, printed as it exits (process.moduleLoadList).
    // (net is loaded either way here: stdout is a pipe.)
    const preload = `process.on('exit', () => require('node:fs').writeSync(2, '\\n@@' + JSON.stringify(process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)))));`;
    const run = async (args: string[]) => {
      const env = { PATH: process.env.PATH ?? '', HOME: home.dir, ANCHOR_HOME: join(home.dir, '.anchor') };
      const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
        const child = execFile(process.execPath, ['-r', join(home.dir, 'builtins.cjs'), BIN, ...args], { encoding: 'utf8', env }, (error, out, err) => resolve({ stdout: out, stderr: err, code: error ? (error as { code?: number }).code ?? 1 : 0 }));
        child.stdin?.end();
      });
      const marker = stderr.lastIndexOf('\n@@');
      return { stdout, code, builtins: JSON.parse(stderr.slice(marker + 3)) as string[] };
    };
    writeFileSync(join(home.dir, 'builtins.cjs'), preload);

    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: anchor /);
    expect(help.stdout).toContain('projects');
    expect(help.builtins.filter((m) => ['child_process', 'http', 'https', 'tls', 'crypto'].includes(m))).toEqual([]);

    const ls = await run(['projects', 'ls', '--json']);
    expect(ls.code).toBe(0);
    expect(JSON.parse(ls.stdout)).toEqual([expect.objectContaining({ name: 'lazy', repo: 'acme/lazy', branch: 'main' })]);
    expect(ls.builtins.filter((m) => ['child_process', 'http', 'https', 'tls', 'dns/promises', '_http_server'].includes(m))).toEqual([]);

    const unknown = await run(['projects', 'show', 'ghost', '--json']);
    expect(unknown.code).toBe(3);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ error: { code: 'PROJECT_NOT_FOUND' } });
  });
});
