/**
 * Figure 1, replay throughput and peak memory: `rsr replay DIR --json` and `rsr tune DIR --json` (the built CLI, as a
 * user runs it) against two baselines over the same files (bench/baseline.ts): read + gunzip + JSON.parse, and the
 * floor, read + gunzip + a byte search for the Secrets Manager event source. Each runs in its own child process,
 * interleaved (baseline, floor, rsr replay, rsr tune, … per dataset), median of the runs. Peak memory is the child's
 * VmHWM at exit (bench/peak-memory.ts, preloaded with -r). The alerts of `rsr replay` are compared with those of the
 * full-parse path (readInputs + replay in this process), which is the reference.
 *
 * Two datasets with the same Secrets Manager traffic (identities, minutes, records: the same window state) and
 * 4× apart in total records show that memory follows the window state, not the number of records.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readInputs } from '../lib/adapters/io/read';
import { loadConfig } from '../lib/config/load';
import { replay } from '../lib/usecases/replay';
import { type Dataset, type DatasetSpec, generateDataset } from './generate';
import { generateMixed } from './generate-mixed';
import { median, msSince } from './stats';

export interface ProcessRun {
  readonly ms: number;
  readonly peakRssBytes: number;
  readonly cpuMs: number;
  /** Largest heap surviving a forced full GC (only in the separate, untimed live-heap run). */
  readonly liveHeapBytes: number;
}

export interface ReplayPoint {
  readonly dataset: Omit<Dataset, 'dir'>;
  readonly baseline: ProcessRun[];
  readonly floor: ProcessRun[];
  readonly rsr: ProcessRun[];
  readonly tune: ProcessRun[];
  readonly baselineRecordsPerSec: number;
  readonly rsrRecordsPerSec: number;
  /** rsr records/s over baseline records/s, from the medians. */
  readonly ratio: number;
  /** rsr records/s over the floor's records/s (gunzip + byte search), from the medians. */
  readonly floorRatio: number;
  readonly floorRecordsPerSec: number;
  /** The same two ratios for `rsr tune`. */
  readonly tuneRatio: number;
  readonly tuneFloorRatio: number;
  /** `rsr replay` printed exactly the reference's alerts and summaries (full parse, in process). */
  readonly sameAlertsAsFullParse: boolean;
  /** The same ratio per interleaved pair (spread shows the noise). */
  readonly pairRatios: number[];
  readonly baselinePeakRssMB: number;
  readonly rsrPeakRssMB: number;
  /** rsr's live heap peak (one untimed run with forced GCs): the window state itself. */
  readonly rsrLiveHeapMB: number;
  /** What rsr reported: records read and alerts (each burst must alert exactly once). */
  readonly rsrRecordsRead: number;
  readonly alerts: number;
  readonly expectedAlerts: number;
}

export interface ReplayOptions {
  readonly root: string;
  /** Where baseline.js and peak-memory.js are (bundled by bench/run.mjs). */
  readonly scriptsDir: string;
  /** The rsr entry point to run. */
  readonly cli: string;
  readonly specs: readonly DatasetSpec[];
  readonly runs: number;
  readonly dataRoot: string;
  /** Keep the generated files (reused by the next run with the same specs) instead of deleting them. */
  readonly keepData: boolean;
  readonly log: (line: string) => void;
}

function measured(
  args: readonly string[],
  root: string,
  extraEnv: Record<string, string> = {},
): { run: ProcessRun; stdout: string; stderr: string } {
  const scratch = mkdtempSync(join(tmpdir(), 'rsr-bench-peak-'));
  const peakFile = join(scratch, 'peak.json');
  try {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', BENCH_PEAK_FILE: peakFile, ...extraEnv },
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    const ms = msSince(start);
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    const peak = JSON.parse(readFileSync(peakFile, 'utf8')) as Omit<ProcessRun, 'ms'>;
    return { run: { ms, ...peak }, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const MB = 1024 * 1024;

/** What `rsr replay --json` prints on stdout, computed by the full-parse path (read.ts + replay) in this process. */
export async function fullParseAlerts(dir: string): Promise<string> {
  const items = readInputs([dir], {
    onError: (e) => {
      throw e;
    },
  });
  const result = await replay(items, loadConfig({}, {}));
  return result.notifications.map((n) => `${JSON.stringify(n)}\n`).join('');
}

export async function benchReplay(options: ReplayOptions): Promise<ReplayPoint[]> {
  const datasets: Dataset[] = [];
  for (const spec of options.specs) {
    const d = await generateDataset(spec, options.dataRoot);
    options.log(
      `replay: dataset ${d.records} records, ${d.files} files, ${(d.bytes / MB).toFixed(0)} MB gzipped ` +
        `(${(d.uncompressedBytes / MB).toFixed(0)} MB JSON)${d.generatedMs ? `, generated in ${(d.generatedMs / 1000).toFixed(1)} s` : ', reused'}`,
    );
    datasets.push(d);
  }
  const preload = join(options.scriptsDir, 'peak-memory.js');
  const baselineScript = join(options.scriptsDir, 'baseline.js');
  const cli = options.cli;
  const runs = datasets.map(() => ({
    baseline: [] as ProcessRun[],
    floor: [] as ProcessRun[],
    rsr: [] as ProcessRun[],
    tune: [] as ProcessRun[],
    reference: '',
    out: '',
    err: '',
    liveHeapBytes: 0,
  }));
  try {
    await measure();
  } finally {
    if (!options.keepData) {
      for (const d of datasets) {
        rmSync(d.dir, { recursive: true, force: true });
        rmSync(`${d.dir}.json`, { force: true });
      }
    }
  }
  async function measure(): Promise<void> {
    for (let r = 0; r < options.runs; r++) {
      for (const [i, d] of datasets.entries()) {
        const slot = runs[i] as (typeof runs)[number];
        const base = measured(['-r', preload, baselineScript, d.dir], options.root);
        const counted = (JSON.parse(base.stdout) as { records: number }).records;
        if (counted !== d.records) throw new Error(`baseline read ${counted} records, expected ${d.records}`);
        slot.baseline.push(base.run);
        slot.floor.push(measured(['-r', preload, baselineScript, d.dir, '--floor'], options.root).run);
        const rsr = measured(['-r', preload, cli, 'replay', d.dir, '--json'], options.root);
        slot.rsr.push(rsr.run);
        slot.tune.push(measured(['-r', preload, cli, 'tune', d.dir, '--json'], options.root).run);
        slot.out = rsr.stdout;
        slot.err = rsr.stderr;
        options.log(
          `replay ${d.records}: baseline ${base.run.ms.toFixed(0)} ms, rsr ${rsr.run.ms.toFixed(0)} ms ` +
            `(${((base.run.ms / rsr.run.ms) * 100).toFixed(0)} %), floor ${(slot.floor.at(-1) as ProcessRun).ms.toFixed(0)} ms, ` +
            `tune ${(slot.tune.at(-1) as ProcessRun).ms.toFixed(0)} ms`,
        );
      }
    }
    for (const [i, d] of datasets.entries()) {
      (runs[i] as (typeof runs)[number]).reference = await fullParseAlerts(d.dir);
    }
    // One untimed run per dataset for the live heap (its forced collections slow the process down).
    for (const [i, d] of datasets.entries()) {
      const live = measured(['--expose-gc', '-r', preload, cli, 'replay', d.dir, '--json'], options.root, {
        BENCH_LIVE_HEAP: '1',
      });
      (runs[i] as (typeof runs)[number]).liveHeapBytes = live.run.liveHeapBytes;
    }
  }
  return datasets.map((d, i): ReplayPoint => {
    const slot = runs[i] as (typeof runs)[number];
    const baselineMs = median(slot.baseline.map((x) => x.ms));
    const floorMs = median(slot.floor.map((x) => x.ms));
    const rsrMs = median(slot.rsr.map((x) => x.ms));
    const tuneMs = median(slot.tune.map((x) => x.ms));
    const read = /records read\s+(\d+)/.exec(slot.err);
    const alerts = slot.out
      .split('\n')
      .filter((l) => l.trim() !== '')
      .filter((l) => (JSON.parse(l) as { kind?: string }).kind === 'alert').length;
    const { dir: _dir, ...dataset } = d;
    return {
      dataset,
      baseline: slot.baseline,
      floor: slot.floor,
      rsr: slot.rsr,
      tune: slot.tune,
      baselineRecordsPerSec: d.records / (baselineMs / 1000),
      rsrRecordsPerSec: d.records / (rsrMs / 1000),
      ratio: baselineMs / rsrMs,
      floorRatio: floorMs / rsrMs,
      floorRecordsPerSec: d.records / (floorMs / 1000),
      tuneRatio: baselineMs / tuneMs,
      tuneFloorRatio: floorMs / tuneMs,
      sameAlertsAsFullParse: slot.out === slot.reference,
      pairRatios: slot.baseline.map((b, k) => b.ms / (slot.rsr[k] as ProcessRun).ms),
      baselinePeakRssMB: median(slot.baseline.map((x) => x.peakRssBytes)) / MB,
      rsrPeakRssMB: median(slot.rsr.map((x) => x.peakRssBytes)) / MB,
      rsrLiveHeapMB: slot.liveHeapBytes / MB,
      rsrRecordsRead: read ? Number(read[1]) : Number.NaN,
      alerts,
      expectedAlerts: d.spec.bursts,
    };
  });
}

export interface MixedPoint {
  readonly records: number;
  readonly files: number;
  readonly bytes: number;
  readonly baseline: ProcessRun[];
  readonly rsr: ProcessRun[];
  /** rsr records/s over the gunzip + JSON.parse baseline's, from the medians. */
  readonly ratio: number;
  readonly pairRatios: number[];
  readonly alerts: number;
  readonly sameAlertsAsFullParse: boolean;
}

/**
 * The independent check: `rsr replay` against the gunzip + JSON.parse baseline on files from the second generator
 * (bench/generate-mixed.ts), interleaved in the same run, and its alerts against the full-parse path's.
 */
export async function benchMixed(
  options: Omit<ReplayOptions, 'specs' | 'keepData'> & { readonly records: number },
): Promise<MixedPoint> {
  const d = generateMixed(
    { records: options.records, secretsShare: 0.03, bursts: 4, burstSecrets: 40, seed: 7 },
    options.dataRoot,
  );
  options.log(`mixed: ${d.records} records in ${d.files} files, ${(d.bytes / MB).toFixed(0)} MB gzipped`);
  const baselineScript = join(options.scriptsDir, 'baseline.js');
  const preload = join(options.scriptsDir, 'peak-memory.js');
  const baseline: ProcessRun[] = [];
  const rsr: ProcessRun[] = [];
  let out = '';
  try {
    for (let r = 0; r < options.runs; r++) {
      baseline.push(measured(['-r', preload, baselineScript, d.dir], options.root).run);
      const run = measured(['-r', preload, options.cli, 'replay', d.dir, '--json'], options.root);
      rsr.push(run.run);
      out = run.stdout;
      options.log(
        `mixed: baseline ${(baseline.at(-1) as ProcessRun).ms.toFixed(0)} ms, rsr ${run.run.ms.toFixed(0)} ms`,
      );
    }
    const reference = await fullParseAlerts(d.dir);
    const baselineMs = median(baseline.map((x) => x.ms));
    const rsrMs = median(rsr.map((x) => x.ms));
    return {
      records: d.records,
      files: d.files,
      bytes: d.bytes,
      baseline,
      rsr,
      ratio: baselineMs / rsrMs,
      pairRatios: baseline.map((b, k) => b.ms / (rsr[k] as ProcessRun).ms),
      alerts: out.split('\n').filter((l) => l.includes('"kind":"alert"')).length,
      sameAlertsAsFullParse: out === reference,
    };
  } finally {
    rmSync(d.dir, { recursive: true, force: true });
  }
}
