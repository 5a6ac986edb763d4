/**
 * Keeps the benchmark (bench/, `npm run bench`) from rotting: its smoke mode on trivial sizes must run every
 * section end to end and produce a complete results document. Speed is not judged here (targets are reported only
 * by real runs); the cold-start section is left out because it needs the built dist/ and several node starts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { runBench } from '../bench/main';
import { cliBundle, ROOT } from './support/cli';

let scratch: string;
const savedEnv = { ...process.env };

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'rsr-bench-test-'));
  // The two small scripts the replay section runs in child processes, bundled as bench/run.mjs bundles them.
  buildSync({
    entryPoints: { baseline: join(ROOT, 'bench/baseline.ts'), 'peak-memory': join(ROOT, 'bench/peak-memory.ts') },
    outdir: scratch,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
  });
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  // The DynamoDB sections point the SDK at their own dynalite; give the other test files theirs back.
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

test('the benchmark smoke run measures every section and writes a complete results document', async () => {
  // Prepare
  const out = join(scratch, 'results.json');
  // Act
  const results = await runBench({
    mode: 'smoke',
    only: new Set(['replay', 'ingest', 'evaluator', 'summary', 'latency']),
    out,
    keepData: false,
    root: ROOT,
    scriptsDir: scratch,
    cli: cliBundle(),
    dataRoot: scratch,
    log: () => {},
    print: false,
  });
  // Assess
  const written = JSON.parse(readFileSync(out, 'utf8')) as typeof results;
  expect(written.mode).toBe('smoke');
  expect(written.replay?.map((p) => [p.rsrRecordsRead, p.alerts])).toEqual([
    [1_500, 1],
    [6_000, 1],
  ]);
  expect(written.ingest?.shapes.map((s) => s.name)).toEqual(['wide', 'hot', 'hot4', 'steady', 'steady-nofast']);
  expect(written.ingest?.shapes[0]?.writeUnitsPerEvent).toBe(1);
  expect(written.evaluator?.map((p) => [p.activeKeysSeen, p.expiredItems, p.alerts])).toEqual([
    [21, 0, 1],
    [21, 200, 1],
  ]);
  expect(written.summary?.summaries).toBe(1);
  expect(written.latency?.late).toBe(0);
  // The ingest fast path publishes every burst whatever the container spread (the store's writes tell the writer).
  for (const fp of written.latency?.fastPath ?? []) {
    if (fp.path === 'direct') expect(fp.viaFastPath).toBe(written.latency?.detected);
  }
  expect(written.costModel?.totals.base).toHaveLength(3);
  expect(written.table.every((row) => row.met !== false || row.figure.startsWith('4 fast path (ingest), SQS'))).toBe(
    true,
  );
}, 60_000);
