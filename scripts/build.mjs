// Bundles the CLI and each Lambda with esbuild: CommonJS, self-contained (AWS SDK included, so behaviour does not
// change with the runtime's SDK version), targeting Node 20 so the same files run locally and on nodejs24.x.
//
// `npm install` and `npm ci` run this through `prepare`. A production install (`--omit=dev`) has no esbuild in
// node_modules, yet the user still expects a working `rsr`: then only the CLI is built, with the exact esbuild
// version the lockfile pins, run through `npm exec` (fetched by npm from the registry it already installs from, into
// npm's cache, not into node_modules). The Lambda bundles are a developer's concern (`serverless package`, bench).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const targets = [
  { entry: 'lib/cli/main.ts', outfile: 'dist/cli.js', minify: false },
  // What `rsr replay` and `rsr tune` load in their read workers (without it they load dist/cli.js, only slower).
  { entry: 'lib/usecases/read-worker.ts', outfile: 'dist/read-worker.js', minify: false },
  { entry: 'functions/ingest/handler.ts', outfile: 'dist/ingest/index.js', minify: true },
  { entry: 'functions/evaluate/handler.ts', outfile: 'dist/evaluate/index.js', minify: true },
];
const TARGET = 'node20';

// The `npm pack` tarball ships dist/cli.js prebuilt and no sources: there is nothing to build if npm runs this there.
if (!existsSync(targets[0].entry) && existsSync(targets[0].outfile)) process.exit(0);

let esbuild;
try {
  esbuild = await import('esbuild');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
}

if (esbuild) {
  const sizes = {};
  for (const t of targets) {
    if (!existsSync(t.entry)) continue;
    const result = await esbuild.build({
      entryPoints: [t.entry],
      outfile: t.outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: TARGET,
      // The functions as serverless.yml's esbuild options build them: the SDK's ES-module builds tree-shake, so
      // unused commands stay out of the bundle (and out of every cold start's compile).
      ...(t.minify ? { mainFields: ['module', 'main'] } : {}),
      minify: t.minify,
      sourcemap: t.minify ? 'external' : false,
      legalComments: 'none',
      metafile: true,
      logLevel: 'warning',
    });
    // The code Lambda loads, not its source map (which the metafile lists as an output too).
    sizes[t.outfile] = Object.entries(result.metafile.outputs)
      .filter(([name]) => !name.endsWith('.map'))
      .reduce((s, [, o]) => s + o.bytes, 0);
  }
  mkdirSync('dist', { recursive: true });
  writeFileSync('dist/sizes.json', `${JSON.stringify(sizes, null, 2)}\n`);
} else {
  buildCliWithoutDevDependencies();
}

function buildCliWithoutDevDependencies() {
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
  const version = lock.packages?.['node_modules/esbuild']?.version;
  if (!version) fail('package-lock.json pins no esbuild version');
  const cli = targets[0];
  // A dev dependency the CLI imports (dynamically, by one command) cannot be bundled when it is not installed: it is
  // left external, so the other commands work and that one says what is missing (lib/cli/main.ts).
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  const absent = Object.keys(pkg.devDependencies ?? {}).filter((n) => !existsSync(`node_modules/${n}/package.json`));
  const meta = 'dist/cli.meta.json';
  const args = [
    'exec',
    '--yes',
    `--package=esbuild@${version}`,
    '--',
    'esbuild',
    cli.entry,
    '--bundle',
    '--platform=node',
    '--format=cjs',
    `--target=${TARGET}`,
    '--legal-comments=none',
    '--log-level=warning',
    `--outfile=${cli.outfile}`,
    `--metafile=${meta}`,
    ...absent.map((n) => `--external:${n}`),
  ];
  process.stderr.write(`rsr build: dev dependencies omitted; building ${cli.outfile} with esbuild@${version}\n`);
  // npm_execpath is the npm running this script (prepare); outside npm, `npm` from PATH.
  const npm = process.env.npm_execpath;
  const r = npm
    ? spawnSync(process.execPath, [npm, ...args], { stdio: 'inherit' })
    : spawnSync('npm', args, { stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) fail(`esbuild@${version} through npm exec exited ${r.status ?? r.signal}`);
  const imports = Object.values(JSON.parse(readFileSync(meta, 'utf8')).inputs).flatMap((i) => i.imports ?? []);
  const left = [...new Set(imports.filter((i) => i.external && absent.includes(i.path)).map((i) => i.path))];
  if (left.length > 0) {
    process.stderr.write(`rsr build: not bundled (dev dependencies, not installed): ${left.join(', ')}\n`);
  }
}

function fail(why) {
  process.stderr.write(`rsr build: cannot build the CLI: ${why}\n`);
  process.exit(1);
}
