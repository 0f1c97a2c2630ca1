import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BuildEnd, Builder, BuildRequest } from '../../src/core/ports/builder.js';

/**
 * What a build does, chosen by the subject's fixture: `succeeds` writes `env.json` (the values of
 * MARKER and SECRET_TOKEN it saw) into its OpenNext output and prints `marker <MARKER>`;
 * `fails` stops with an error; `runs-until-stopped` never finishes by itself.
 */
export type BuildScript = 'succeeds' | 'fails' | 'runs-until-stopped';

export type Started = Awaited<ReturnType<Builder['start']>>;

export interface BuilderSubject {
  builder: Builder;
  /** A request for a build of the project `shop` that does what `script` says. */
  request(script: BuildScript, input: { deploymentId: string; env: Record<string, string>; secretKeys: readonly string[]; onLine: (line: string) => void }): BuildRequest;
  /** The commit a build of `script` checks out. */
  commitOf(script: BuildScript): string;
  /** What the reason of a failed build names. */
  failureText: string;
  /** The build's end as core gets it: `ended`, or (a remote builder) the service's end event. */
  end(started: Started): Promise<BuildEnd>;
  /** Once this resolves the build is well under way (past checkout, in its long step). */
  underWay(started: Started): Promise<void>;
  /** Whether anything of the build still runs. */
  running(buildId: string): Promise<boolean>;
  /** A file of a finished build's output (`artifactDir`); null when absent. */
  readOutput(artifactDir: string, path: string): Promise<string | null>;
  cleanup(): Promise<void>;
}

export function describeBuilderContract(name: string, makeAdapter: () => Promise<BuilderSubject>, options: { inReach: boolean }): void {
  describe(`Builder contract: ${name}`, () => {
    let s: BuilderSubject;
    beforeEach(async () => {
      s = await makeAdapter();
    });
    afterEach(async () => {
      await s.cleanup();
    });

    function start(script: BuildScript, deploymentId: string, env: Record<string, string> = {}, lines: string[] = []): Promise<Started> {
      // What core knows of the variables: SECRET_* ones are secrets.
      return s.builder.start(s.request(script, { deploymentId, env, secretKeys: Object.keys(env).filter((key) => key.startsWith('SECRET_')), onLine: (line) => lines.push(line) }));
    }

    it('ends a build that succeeds ok, with the commit it built and its output, built with the request\'s variables', async () => {
      const marker = `m-${randomUUID()}`;
      const lines: string[] = [];
      const started = await start('succeeds', 'd_1', { MARKER: marker, SECRET_TOKEN: 'tok-5ecret' }, lines);
      let linesAtEnd: string[] = [];
      void started.ended?.then(() => (linesAtEnd = [...lines]));

      const end = await s.end(started);

      expect(end).toMatchObject({ ok: true, commitSha: s.commitOf('succeeds') });
      if (!end.ok) throw new Error(end.reason);
      expect(JSON.parse((await s.readOutput(end.output.kind === 'directory' ? end.output.path : end.output.location, 'env.json')) ?? 'null')).toEqual({ MARKER: marker, SECRET_TOKEN: 'tok-5ecret' });
      // A builder in reach hands over every line the build printed before it reports the end.
      if (options.inReach) expect(linesAtEnd).toContain(`marker ${marker}`);
      await s.builder.cleanup(started.buildId);
    });

    it('ends a build that fails neither ok nor stopped, with a reason that says what failed; stopping it then changes nothing', async () => {
      const started = await start('fails', 'd_1');

      const end = await s.end(started);
      await s.builder.stop(started.buildId);
      await s.builder.stop(started.buildId);

      expect(end).toMatchObject({ ok: false, stopped: false });
      if (end.ok) throw new Error('unreachable');
      expect(end.reason).toContain(s.failureText);
      expect(await s.end(started)).toEqual(end);
      await s.builder.cleanup(started.buildId);
    });

    it('gives every build an id of its own', async () => {
      const builds = [await start('runs-until-stopped', 'd_1'), await start('runs-until-stopped', 'd_2')];

      expect(builds[0]?.buildId).not.toBe(builds[1]?.buildId);

      await Promise.all(builds.map((b) => s.builder.stop(b.buildId)));
      await Promise.all(builds.map((b) => s.end(b)));
    });

    it('status says a build runs while it runs, and never that it runs once it was stopped; a remote builder tells its end', async () => {
      const started = await start('runs-until-stopped', 'd_1');
      await s.underWay(started);

      expect(await s.builder.status({ deploymentId: 'd_1', buildId: started.buildId })).toEqual({ state: 'running', buildId: started.buildId });
      await s.builder.stop(started.buildId);
      const end = await s.end(started);

      const after = await s.builder.status({ deploymentId: 'd_1', buildId: started.buildId });
      expect(after.state).not.toBe('running');
      if (!options.inReach) expect(after).toEqual({ state: 'ended', buildId: started.buildId, end });
    });

    it('stop ends a running build as stopped, and nothing of it runs on; a second stop is harmless', async () => {
      const started = await start('runs-until-stopped', 'd_1');
      await s.underWay(started);
      expect(await s.running(started.buildId)).toBe(true);

      await Promise.all([s.builder.stop(started.buildId), s.builder.stop(started.buildId)]);

      expect(await s.end(started)).toMatchObject({ ok: false, stopped: true });
      expect(await s.running(started.buildId)).toBe(false);
      await s.builder.stop(started.buildId);
      await s.builder.cleanup(started.buildId);
    });
  });
}
