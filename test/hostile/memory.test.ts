/**
 * Memory under 1 MB user agents: 10 000 records through Detector.ingest and 200 SQS messages through the ingest
 * handler, measured after full collections in a child `node --expose-gc` (jest workers cannot collect on demand).
 * Retained heap must follow the window state (≤ 20 agents of ≤ 1 KB per bucket, ≤ 10 000 cached agents), never the
 * input size (10 GB of agents went through).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

/** Two 1 KB agents in UTF-16 per retained value plus map overhead, with room to spare: 64 MB. */
const BOUND_MB = 64;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rsr-memory-probe-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('keeps retained heap bounded while 10 000 records with 1 MB user agents are ingested', () => {
  // Prepare
  const bundle = join(dir, 'probe.js');
  buildSync({
    entryPoints: [join(__dirname, 'probe', 'memory-probe.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
  });
  // Act
  const run = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=512', bundle], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, POWERTOOLS_METRICS_DISABLED: 'true' },
    timeout: 120_000,
  });
  // Assess
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  const result = JSON.parse(run.stdout) as {
    records: number;
    counted: number;
    baseline: number;
    afterDetector: number;
    afterSqs: number;
  };
  console.log(
    `memory probe: ${result.records} records of 1 MB agents; heap ${result.baseline.toFixed(1)} MB -> ` +
      `${result.afterDetector.toFixed(1)} MB (detector) -> ${result.afterSqs.toFixed(1)} MB (SQS handler)`,
  );
  expect(result.counted).toBe(result.records);
  expect(result.afterDetector - result.baseline).toBeLessThan(BOUND_MB);
  expect(result.afterSqs - result.baseline).toBeLessThan(BOUND_MB);
});
