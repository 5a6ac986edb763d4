// Bundles the CLI and each Lambda with esbuild: CommonJS, self-contained (AWS SDK included, so behaviour does not
// change with the runtime's SDK version), targeting Node 20 so the same files run locally and on nodejs24.x.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const targets = [
  { entry: 'lib/cli/main.ts', outfile: 'dist/cli.js', minify: false },
  { entry: 'functions/ingest/handler.ts', outfile: 'dist/ingest/index.js', minify: true },
  { entry: 'functions/evaluate/handler.ts', outfile: 'dist/evaluate/index.js', minify: true },
];

const sizes = {};
for (const t of targets) {
  if (!existsSync(t.entry)) continue;
  const result = await build({
    entryPoints: [t.entry],
    outfile: t.outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
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
