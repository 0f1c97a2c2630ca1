import { it } from 'vitest';
import { pipelineAppFiles } from '../fakes/pipeline-app.js';
import { LocalPlatformHarness } from './local-platform.js';

it('timing', async () => {
  const platform = await new LocalPlatformHarness().start();
  try {
    for (const v of ['v1', 'v2']) {
      const d = (await platform.push(platform.repo.commit(pipelineAppFiles({ version: v }), v))).json.deploymentId ?? '';
      await platform.waitFor(d, ['live', 'failed'], 60_000);
      const lines = await platform.server.ports.logs.read(d, { after: 0 });
      const t0 = Date.parse(lines[0]?.at ?? '');
      console.log(lines.map((l) => `${String(Date.parse(l.at) - t0).padStart(6)} ${l.text.slice(0, 70)}`).join('\n'));
    }
  } finally {
    await platform.stop();
  }
}, 120_000);
