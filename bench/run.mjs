// npm run bench: speed figures, each as a ratio against a baseline measured in the same run.
// Usage: npm run bench [-- startup webhook pipeline aws bundles]   (default: all)
const wanted = new Set(process.argv.slice(2));
const want = (name) => wanted.size === 0 || wanted.has(name);

process.stdout.write(`anchor bench — ${new Date().toISOString()}, Node ${process.version}, ${(await import('node:os')).cpus().length} cores\n`);
const results = {};
if (want('startup')) results.startup = await (await import('./startup.mjs')).benchStartup();
if (want('webhook')) results.webhook = await (await import('./webhook.mjs')).benchWebhook();
if (want('follow')) results.follow = await (await import('./follow.mjs')).benchFollow();
if (want('pipeline')) results.pipeline = await (await import('./pipeline.mjs')).benchPipeline();
if (want('aws')) {
  try {
    results.s3 = await (await import('./s3-publish.mjs')).benchS3Publish();
  } catch (error) {
    process.stdout.write(`\nS3 publish: not measured (${error.message})\n`);
  }
}
if (want('bundles')) {
  try {
    results.bundles = await (await import('./handler-bundles.mjs')).benchHandlerBundles();
  } catch (error) {
    process.stdout.write(`\nHandler bundles: not measured (${error.message})\n`);
  }
}
process.stdout.write('\n');
