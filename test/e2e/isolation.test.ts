import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { setEnv } from '../../src/core/use-cases/env.js';
import { readIsolationFacts, type IsolationMode } from '../../src/adapters/local/sandbox/isolation.js';
import { socketPathOf } from '../../src/adapters/local/runtime/function-socket.js';
import { findProcesses } from '../../src/lib/process-table.js';
import { buildProbeResults, probeAppFiles, type ProbeAttempt, type ProbeTargets } from '../fakes/probe-app.js';
import { pipelineAppFiles } from '../fakes/pipeline-app.js';
import { LocalPlatformHarness } from './local-platform.js';

const facts = readIsolationFacts(process.env.PATH);
const bwrapWorks = facts.bwrap !== null && facts.bwrapProblem === null;
/** Every isolation this machine can run: each must keep a site and its build out of everything. */
const modes: IsolationMode[] = [...(facts.isRoot && bwrapWorks ? ['uid+bwrap' as const] : []), ...(facts.isRoot ? ['uid' as const] : []), ...(bwrapWorks ? ['bwrap' as const] : [])];

const OTHER_SECRET = 'other-projects-secret-4f1c9a';

let platform: LocalPlatformHarness;
afterEach(async () => platform?.stop());

/** Project "other" live with a secret; project "shop" about to deploy the probe. What shop's build and site will try. */
async function platformWithVictim(isolation: IsolationMode): Promise<{ targets: ProbeTargets; other: { id: string; deploymentId: string; secretPid: number | null }; platformDir: string }> {
  platform = await new LocalPlatformHarness().start({ isolation });
  const other = await platform.addProject('other');
  await setEnv(platform.server.ports, { project: 'other', key: 'OTHER_SECRET', value: OTHER_SECRET, secret: true, targets: ['build', 'runtime'] });
  const otherDeployment = await platform.pushTo(other, other.repo.commit(pipelineAppFiles({ version: 'other-v1' }), 'other'));
  expect(await platform.waitFor(otherDeployment, ['live', 'failed'])).toBe('live');

  const platformDir = join(platform.home, 'platform');
  const otherLease = await platform.server.functions.route('other')?.acquire('server');
  if (!otherLease || 'unavailable' in otherLease) throw new Error('the other site has no server process');
  otherLease.release();
  const otherSocket = socketPathOf(otherLease.url);
  const otherArea = platform.server.sandbox.sandboxes.areaOf(other.project.id) ?? '';
  // The other site's function process (node, inside its sandbox): its environment holds its secret.
  const [otherProcess] = await findProcesses((info) => info.comm === 'node' && readFileSync(`/proc/${info.pid}/cmdline`, 'latin1').includes(`${otherDeployment}.server`));
  const targets: ProbeTargets = {
    files: [
      'package.json',
      join(platformDir, 'secret.key'),
      join(platformDir, 'anchor.db'),
      join(platformDir, 'server.json'),
      join(platformDir, 'platform.json'),
      `/proc/${process.pid}/environ`,
      ...(otherProcess ? [`/proc/${otherProcess.pid}/environ`] : []),
      join(otherArea, 'runtime', otherDeployment, 'server-functions', 'default', 'index.mjs'),
      join(platformDir, 'artifacts', otherDeployment, 'server-functions', 'default', 'index.mjs'),
    ],
    dirs: [platformDir, join(platformDir, 'artifacts'), otherArea, join(otherArea, 'runtime'), join(otherArea, 'home'), platform.server.sandbox.runDir, '/var/lib/anchor/uids'],
    sockets: [
      { path: platform.server.controlSocket, method: 'POST', url: '/v1/remove-project', body: JSON.stringify({ projectId: other.project.id }) },
      { path: platform.server.controlSocket, method: 'POST', url: '/v1/activate', body: JSON.stringify({ deploymentId: otherDeployment }) },
      { path: otherSocket, method: 'GET', url: '/' },
    ],
    tcp: [{ port: platform.server.port, method: 'POST', url: '/_anchor/control/activate', body: JSON.stringify({ projectName: 'other', deploymentId: otherDeployment, revision: 999 }) }],
  };
  return { targets, other: { id: other.project.id, deploymentId: otherDeployment, secretPid: otherProcess?.pid ?? null }, platformDir };
}

/**
 * Inside bubblewrap the folders that lead to the sandbox's own mounts exist (empty but for the
 * way on): a listing that shows only those names shows nothing of the platform.
 */
function ownWayIn(): Set<string> {
  const shopArea = platform.server.sandbox.sandboxes.areaOf(platform.project.id) ?? '';
  return new Set(['sites', 'handler', shopArea.split('/').pop() ?? '']);
}

function expectNothingReached(results: ProbeAttempt[], canary: string, platformDir: string): void {
  // The probe works: what is the site's (or the build's) own is readable.
  expect(results.find((r) => r.target === canary)).toMatchObject({ ok: true });
  const wayIn = ownWayIn();
  const reached = results.filter((r) => {
    if (r.target === canary || !r.ok) return false;
    if (r.kind === 'list') return r.detail.split(',').some((name) => name !== '' && !wayIn.has(name));
    return r.kind === 'read' || r.kind === 'socket' || r.kind === 'tcp';
  });
  expect(reached).toEqual([]);
  const everything = JSON.stringify(results);
  expect(everything).not.toContain(OTHER_SECRET);
  expect(everything).not.toContain(readFileSync(join(platformDir, 'secret.key'), 'latin1'));
  // Each attempt failed for the reason isolation gives, not by chance (a typo would be ENOENT everywhere).
  expect(results.filter((r) => !r.ok && r.kind !== 'tcp').every((r) => /EACCES|ENOENT|ECONNREFUSED|EPERM/.test(r.detail))).toBe(true);
}

describe.each(modes)('a site and its build cannot reach the platform or other sites (isolation %s)', (isolation) => {
  it('every read and call from the build and from the site fails; the other project is untouched', async () => {
    const { targets, other, platformDir } = await platformWithVictim(isolation);
    expect(other.secretPid).not.toBeNull();
    await setEnv(platform.server.ports, { project: 'shop', key: 'PROBE_BUILD_TARGETS', value: JSON.stringify(targets), secret: false, targets: ['build'] });
    await setEnv(platform.server.ports, { project: 'shop', key: 'PROBE_TARGETS', value: JSON.stringify({ ...targets, files: ['index.mjs', ...(targets.files ?? []).slice(1)] }), secret: false, targets: ['runtime'] });
    const shop = (await platform.push(platform.repo.commit(probeAppFiles({ version: 'probe' }), 'probe'))).json.deploymentId ?? '';
    expect(await platform.waitFor(shop, ['live', 'failed'])).toBe('live');

    expectNothingReached(buildProbeResults(await platform.logText(shop)), 'package.json', platformDir);
    const site = await platform.site('/probe');
    expect(site.status).toBe(200);
    const results = JSON.parse(site.body) as ProbeAttempt[];
    expectNothingReached(results, 'index.mjs', platformDir);
    // The old control route over TCP is gone: the edge answers it as an unknown platform path.
    expect(results.find((r) => r.kind === 'tcp')?.detail).toMatch(/^HTTP 404/);

    // The calls did nothing: the other project still serves its own live deployment.
    expect(platform.server.functions.route('other')?.deploymentId).toBe(other.deploymentId);
    expect((await platform.site('/', {}, 'other')).body).toContain('<h1>other-v1</h1>');
    expect(await platform.server.ports.projects.getById(other.id)).not.toBeNull();
  }, 180_000);
});
