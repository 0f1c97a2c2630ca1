import { it } from 'vitest';
import { pipelineAppFiles } from '../fakes/pipeline-app.js';
import { LocalPlatformHarness } from './local-platform.js';

for (const isolation of ['none', 'uid', 'bwrap', 'uid+bwrap'] as const) {
  it(`timing ${isolation}`, async () => {
    const platform = new LocalPlatformHarness();
    await platform.start({});
    await platform.server.close();
    await platform.startServer({ isolation });
    try {
      for (const v of ['v1', 'v2']) {
        const t0 = Date.now();
        const d = (await platform.push(platform.repo.commit(pipelineAppFiles({ version: v }), v))).json.deploymentId ?? '';
        await platform.waitFor(d, ['live', 'failed'], 60_000);
        const log = await platform.logText(d);
        console.log(isolation, v, Date.now() - t0, 'ms', log.split('\n').filter((l) => / in |Live|failed/.test(l)).join(' | '));
      }
    } finally {
      await platform.stop();
    }
  }, 120_000);
}
