// OpenNext's createServerBundle (dist/build/createServerBundle.js of @opennextjs/aws 4.1.16) for
// the one case anchor's build driver (open-next-build.mjs) reproduces: a single default server
// function on Node, Next's server not bundled. Every step is OpenNext's own function, in OpenNext's
// order and with its arguments; the one difference is that the code patches go through `applyPatches`
// (the driver's cache) rather than straight to OpenNext's applyCodePatches.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export async function createServerBundle(options, distDir, applyPatches) {
  const load = (file) => import(pathToFileURL(path.join(distDir, file)).href);
  const helper = await load('build/helper.js');
  const modules = {
    helper,
    logger: (await load('logger.js')).default,
    loadMiddlewareManifest: (await load('adapters/config/util.js')).loadMiddlewareManifest,
    minifyAll: (await load('minimize-js.js')).minifyAll,
    ContentUpdater: (await load('plugins/content-updater.js')).ContentUpdater,
    openNextReplacementPlugin: (await load('plugins/replacement.js')).openNextReplacementPlugin,
    openNextResolvePlugin: (await load('plugins/resolve.js')).openNextResolvePlugin,
    getCrossPlatformPathRegex: (await load('utils/regex.js')).getCrossPlatformPathRegex,
    copyTracedFiles: (await load('build/copyTracedFiles.js')).copyTracedFiles,
    copyMiddlewareResources: (await load('build/edge/createEdgeBundle.js')).copyMiddlewareResources,
    installDependencies: (await load('build/installDeps.js')).installDependencies,
    codePatcher: await load('build/patch/codePatcher.js'),
    patches: await load('build/patch/patches/index.js'),
  };
  const { appBuildOutputPath, config } = options;
  const remainingRoutes = new Set();
  const serverPath = path.join(appBuildOutputPath, '.next/standalone', helper.getPackagePath(options), '.next/server');
  const appPath = path.join(serverPath, 'app');
  if (fs.existsSync(appPath)) {
    helper.traverseFiles(appPath, ({ relativePath }) => relativePath.endsWith('page.js') || relativePath.endsWith('route.js'), ({ relativePath }) => {
      remainingRoutes.add(`app/${relativePath.replace(/\.js$/, '')}`);
    });
  }
  const pagePath = path.join(serverPath, 'pages');
  if (fs.existsSync(pagePath)) {
    helper.traverseFiles(pagePath, ({ relativePath }) => relativePath.endsWith('.js'), ({ relativePath }) => {
      remainingRoutes.add(`pages/${relativePath.replace(/\.js$/, '')}`);
    });
  }
  await generateBundle(modules, options, { ...config.default, routes: Array.from(remainingRoutes), patterns: ['*'] }, applyPatches);
}

async function generateBundle(m, options, fnOptions, applyPatches) {
  const name = 'default';
  const { appPath, appBuildOutputPath, config, outputDir, monorepoRoot } = options;
  const { helper } = m;
  m.logger.info(`Building server function: ${name}...`);
  const outputPath = path.join(outputDir, 'server-functions', name);
  const packagePath = helper.getPackagePath(options);
  const outPackagePath = path.join(outputPath, packagePath);
  fs.mkdirSync(outPackagePath, { recursive: true });
  fs.copyFileSync(path.join(options.buildDir, 'cache.cjs'), path.join(outPackagePath, 'cache.cjs'));
  fs.copyFileSync(path.join(options.buildDir, 'composable-cache.cjs'), path.join(outPackagePath, 'composable-cache.cjs'));
  if (!config.middleware?.external) {
    fs.copyFileSync(path.join(options.buildDir, 'middleware.mjs'), path.join(outPackagePath, 'middleware.mjs'));
    const middlewareManifest = m.loadMiddlewareManifest(path.join(options.appBuildOutputPath, '.next'));
    m.copyMiddlewareResources(options, middlewareManifest.middleware['/'], outPackagePath);
  }
  helper.copyOpenNextConfig(options.buildDir, outPackagePath);
  helper.copyEnvFile(appBuildOutputPath, packagePath, outputPath);
  const { tracedFiles, manifests } = await m.copyTracedFiles({
    buildOutputPath: appBuildOutputPath,
    packagePath,
    outputDir: outputPath,
    routes: fnOptions.routes ?? ['app/page.tsx'],
    bundledNextServer: false,
  });
  const { patches } = m;
  await applyPatches(m.codePatcher.applyCodePatches, helper, m.codePatcher.isVersionInRange, tracedFiles, manifests, [
    patches.patchFetchCacheSetMissingWaitUntil,
    patches.patchFetchCacheForISR,
    patches.patchUnstableCacheForISR,
    patches.patchNextServer,
    patches.getEnvVarsPatch(options),
    patches.patchBackgroundRevalidation,
    patches.patchUseCacheForISR,
    patches.patchNodeEnvironment,
  ]);
  await bundleAdapter(m, options, fnOptions, outputPath, packagePath);
  if (monorepoRoot !== appPath) {
    const packagePosixPath = packagePath.split(path.sep).join(path.posix.sep);
    fs.writeFileSync(path.join(outputPath, 'index.mjs'), `export { handler } from "./${packagePosixPath}/index.mjs";`);
  }
  m.installDependencies(outputPath, fnOptions.install);
  if (fnOptions.minify) {
    m.logger.info('Minimizing server function...');
    await m.minifyAll(outputPath, { compress_json: true, mangle: true });
  }
  const docker = fnOptions.override?.generateDockerfile ?? false;
  if (docker) {
    fs.writeFileSync(path.join(outputPath, 'Dockerfile'), typeof docker === 'string' ? docker : '\nFROM node:18-alpine\nWORKDIR /app\nCOPY . /app\nEXPOSE 3000\nCMD ["node", "index.mjs"]\n    ');
  }
}

/** The server adapter's esbuild step, with OpenNext's plugins and banner. */
async function bundleAdapter(m, options, fnOptions, outputPath, packagePath) {
  const { helper, getCrossPlatformPathRegex: regex } = m;
  const { config } = options;
  const at = (op, version) => helper.compareSemver(options.nextVersion, op, version);
  const disableNextPrebundledReact = at('>=', '13.5.1') || at('<=', '13.4.1');
  const isBefore13413 = at('<=', '13.4.13');
  const isAfter141 = at('>=', '14.1');
  const isAfter142 = at('>=', '14.2');
  const isAfter152 = at('>=', '15.2.0');
  const isAfter154 = at('>=', '15.4.0');
  const disableRouting = isBefore13413 || config.middleware?.external;
  const updater = new m.ContentUpdater(options);
  const plugins = [
    m.openNextReplacementPlugin({
      name: 'requestHandlerOverride default',
      target: regex('core/requestHandler.js'),
      deletes: [
        ...(disableNextPrebundledReact ? ['applyNextjsPrebundledReact'] : []),
        ...(disableRouting ? ['withRouting'] : []),
        ...(isAfter142 ? ['patchAsyncStorage'] : []),
        ...(isAfter141 ? ['appendPrefetch'] : []),
        ...(isAfter154 ? [] : ['setInitialURL']),
      ],
    }),
    m.openNextReplacementPlugin({
      name: 'utilOverride default',
      target: regex('core/util.js'),
      deletes: [
        ...(disableNextPrebundledReact ? ['requireHooks'] : []),
        ...(isBefore13413 ? ['trustHostHeader'] : ['requestHandlerHost']),
        ...(isAfter141 ? ['experimentalIncrementalCacheHandler'] : ['stableIncrementalCache']),
        ...(isAfter152 ? [] : ['composableCache']),
        ...(isAfter152 ? [] : ['topLevelComposableCache']),
      ],
    }),
    m.openNextResolvePlugin({ fnName: 'default', overrides: fnOptions.override ?? {} }),
    updater.plugin,
  ];
  await helper.esbuildAsync(
    {
      entryPoints: [path.join(options.openNextDistDir, 'adapters', 'server-adapter.js')],
      external: ['next', './middleware.mjs', './next-server.runtime.prod.js'],
      outfile: path.join(outputPath, packagePath, 'index.mjs'),
      banner: {
        js: [
          `globalThis.monorepoPackagePath = "${packagePath}";`,
          "import process from 'node:process';",
          "import { Buffer } from 'node:buffer';",
          "import { createRequire as topLevelCreateRequire } from 'module';",
          'const require = topLevelCreateRequire(import.meta.url);',
          "import bannerUrl from 'url';",
          "const __dirname = bannerUrl.fileURLToPath(new URL('.', import.meta.url));",
          '',
        ].join(''),
      },
      plugins,
      alias: {},
    },
    options,
  );
}
