// npm run bench: speed figures, each as a ratio against a baseline measured in the same run.
// Usage: npm run bench [-- startup webhook follow sandbox tls pipeline idle aws bundles dashboard]   (default: all)
// Node 20 is what this machine runs; the SDK's notice about Node 22 is not a figure.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { line, ratio } = await import('./measure.mjs');
const wanted = new Set(process.argv.slice(2));
const want = (name) => wanted.size === 0 || wanted.has(name);

process.stdout.write(`anchor bench — ${new Date().toISOString()}, Node ${process.version}, ${(await import('node:os')).cpus().length} cores\n`);
const results = {};
if (want('startup')) results.startup = await (await import('./startup.mjs')).benchStartup();
if (want('webhook')) results.webhook = await (await import('./webhook.mjs')).benchWebhook();
if (want('follow')) results.follow = await (await import('./follow.mjs')).benchFollow();
if (want('sandbox')) results.sandbox = await (await import('./sandbox.mjs')).benchSandbox();
if (want('tls')) {
  try {
    results.tls = await (await import('./tls.mjs')).benchTls();
  } catch (error) {
    process.stdout.write(`\nEdge over HTTPS: not measured (${error.message})\n`);
  }
}
if (want('pipeline')) results.pipeline = await (await import('./pipeline.mjs')).benchPipeline();
if (want('idle')) results.idle = await (await import('./scale-to-zero.mjs')).benchScaleToZero();
if (want('aws')) {
  try {
    const { benchS3Publish, printS3Publish } = await import('./s3-publish.mjs');
    results.s3 = await benchS3Publish();
    printS3Publish(results.s3, { line, ratio });
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
if (want('dashboard')) results.dashboard = await (await import('./dashboard.mjs')).benchDashboard();
process.stdout.write('\n');
