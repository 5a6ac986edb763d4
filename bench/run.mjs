#!/usr/bin/env node
// `npm run bench [-- --quick] [-- --only replay,ingest,evaluator,latency,cold-start] [-- --out FILE]`
//
// Builds what the benchmark measures (the real `npm run build` output in dist/), bundles the TypeScript in bench/
// into bench/out/ with esbuild (dependencies stay in node_modules), then runs bench/out/main.js. Plain ESM with
// built-ins and esbuild only, so it works on a fresh clone after `npm install`.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench', 'out');
const args = process.argv.slice(2);

if (!args.includes('--no-build')) {
  const built = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

mkdirSync(out, { recursive: true });
await build({
  // main: the orchestrator; baseline and peak-memory: tiny scripts run in child processes.
  entryPoints: {
    main: join(root, 'bench', 'main.ts'),
    baseline: join(root, 'bench', 'baseline.ts'),
    'peak-memory': join(root, 'bench', 'peak-memory.ts'),
  },
  outdir: out,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
});

const run = spawnSync(process.execPath, ['--enable-source-maps', '--expose-gc', join(out, 'main.js'), ...args], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
