/**
 * Figure 4, detection latency in simulated time: from the arrival at ingest of the event that makes a window reach
 * the threshold, to the SNS publish of its alert.
 *
 * Model (the deployed shape): events reach the ingest Lambda after a CloudTrail delivery delay and are counted
 * `ingestMs` later; the scheduled evaluator starts at every whole minute T and publishes `evaluatorMs` after it
 * starts, having seen every event counted before T. It evaluates the windows ending at the current, partial minute
 * too, so a crossing needs no minute to close: it is published by the first run after it is counted. latency =
 * publish time − arrival of the crossing event.
 *
 * Every burst is simulated with the real engine (Detector → MemoryWindowStore → runEvaluation at each tick), and the
 * crossing event is found independently, by counting arrived events per minute bucket. A burst whose alert comes
 * later than the first tick after its crossing is counted as `late` (there should be none).
 *
 * The ingest fast path (lib/engine/fast-path.ts) is simulated on the same bursts with the store's protocol model
 * (bench/fast-path-model.ts: bucket writes, the per-key summary, each container's cached summary; the decisions are
 * the engine's own functions), the events dealt at random over 1, 2, 4 and 8 containers, and once more through the
 * SQS buffer: an event waits for its batch, which closes `batchWindowMs` after its first message (a lone burst never
 * fills a batch of 100, so the window is the wait), and each batch goes to a random one of two containers. A burst is
 * published by the fast path at the first event whose writer is told, `ingestMs` (measured: the ingest handler's
 * median on dynalite, bucket write included) + `awsCallsMs` (modelled, see FAST_PATH_CALLS) after that event is
 * processed; otherwise by the scheduled run. latency = the earlier publish − arrival of the crossing event.
 */

import { MemoryWindowStore } from '../lib/adapters/store/memory';
import { DEFAULTS } from '../lib/config/load';
import { Detector } from '../lib/engine/detector';
import { type EvaluationSettings, runEvaluation } from '../lib/engine/evaluate';
import type { AlertPublisher, CountedEvent } from '../lib/engine/ports';
import { BUCKET_MS, bucketOf, bucketsPerWindow } from '../lib/engine/window';
import { FastPathModel } from './fast-path-model';
import { principal, secretRead } from './generate';
import { max, quantile, Rng } from './stats';

export interface LatencyOptions {
  readonly bursts: number;
  /** Time from arrival at ingest to the event being counted (measured ingest handler time). */
  readonly ingestMs: number;
  /** Time from the evaluator's start to its publish (measured evaluation time). */
  readonly evaluatorMs: number;
  /** SQS buffer batch window (the deployment's ingestBatchWindowSeconds default is 1 s). */
  readonly batchWindowsMs?: readonly number[];
}

/**
 * Modelled AWS round trips of a fast-path publish after the bucket write (in-Region figures, an assumption; the
 * ingest handler time measured on dynalite already holds the bucket write): summary UpdateItem 6 ms, lastAlert
 * GetItem 4 ms, readBuckets BatchGetItem 8 ms, claim UpdateItem 6 ms, SNS Publish 25 ms, markSent UpdateItem 6 ms.
 */
export const FAST_PATH_CALLS = { summary: 6, lastAlert: 4, readBuckets: 8, claim: 6, publish: 25, markSent: 6 };
const FAST_PATH_CALLS_MS = Object.values(FAST_PATH_CALLS).reduce((a, b) => a + b, 0);

export interface FastPathLatency {
  /** `direct` (EventBridge → ingest) or `sqs` (through the buffer). */
  readonly path: 'direct' | 'sqs';
  readonly containers: number;
  readonly batchWindowMs: number;
  /** Bursts the fast path published (the rest: by the scheduled run). */
  readonly viaFastPath: number;
  /** Of those, published at the crossing event itself. */
  readonly atCrossing: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Write requests per event of the burst (bucket + summary writes, up to the publish), from the model. */
  readonly writesPerEvent: number;
}

export interface LatencyResult {
  readonly bursts: number;
  readonly detected: number;
  readonly late: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
  readonly minMs: number;
  /** Same bursts, measured from the crossing event's eventTime (adds the CloudTrail delivery delay). */
  readonly fromEventTimeP50Ms: number;
  readonly fromEventTimeP95Ms: number;
  readonly ingestMs: number;
  readonly evaluatorMs: number;
  readonly deliveryDelay: string;
  readonly awsCallsMs: number;
  readonly awsCalls: typeof FAST_PATH_CALLS;
  /** Fast path, per container count (random dealing) and on the SQS buffer path. */
  readonly fastPath: FastPathLatency[];
}

const SETTINGS: EvaluationSettings = DEFAULTS;
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
/** CloudTrail → EventBridge delivery delay per event: mostly seconds, sometimes a few minutes (an assumption). */
const DELIVERY = '70 %: 2–30 s, 30 %: 30–180 s, per event';
function deliveryDelay(rng: Rng): number {
  return rng.chance(0.7) ? rng.int(2_000, 30_000) : rng.int(30_000, 180_000);
}

interface Arrival {
  readonly arrival: number;
  readonly eventTime: number;
  readonly event: CountedEvent;
}

/** One burst: `count` reads spread over `spanMs` from a random start, each arriving after its own delay. */
function burst(rng: Rng, detector: Detector, index: number): Arrival[] {
  const who = principal(rng, `burst-${index}`);
  const count = rng.int(SETTINGS.threshold, 300);
  const spanMs = rng.int(10_000, SETTINGS.windowMinutes * 60_000);
  const start = T0 + rng.int(0, 3_600_000);
  const out: Arrival[] = [];
  for (let n = 0; n < count; n++) {
    const eventTime = start + Math.floor(rng.next() * spanMs);
    const prepared = detector.prepare(JSON.parse(secretRead(rng, eventTime, who, n)));
    if (!prepared.ok) throw new Error(`burst record does not qualify: ${prepared.reason}`);
    out.push({ arrival: eventTime + deliveryDelay(rng), eventTime, event: prepared.event });
  }
  return out.sort((a, b) => a.arrival - b.arrival);
}

/** Index (in arrival order) of the event after which some window of arrived events holds the threshold. */
function crossingIndex(arrivals: readonly Arrival[]): number {
  const width = bucketsPerWindow(SETTINGS);
  const perBucket = new Map<number, number>();
  for (const [i, a] of arrivals.entries()) {
    const b = bucketOf(a.eventTime);
    perBucket.set(b, (perBucket.get(b) ?? 0) + 1);
    // Only windows containing bucket b can have changed.
    for (let end = b; end < b + width; end++) {
      let sum = 0;
      for (let k = end - width + 1; k <= end; k++) sum += perBucket.get(k) ?? 0;
      if (sum >= SETTINGS.threshold) return i;
    }
  }
  return -1;
}

interface FastPathRun {
  /** Time (simulated) the told event was processed, or undefined when no writer was told. */
  readonly processed: number | undefined;
  readonly index: number;
  readonly writes: number;
}

/**
 * The burst through the store protocol model over `containers` containers, events dealt at random; with a batch
 * window, events are processed when their SQS batch closes (a batch goes to one container).
 */
function fastPathRun(arrivals: readonly Arrival[], containers: number, batchWindowMs: number, rng: Rng): FastPathRun {
  const model = new FastPathModel(SETTINGS, containers);
  let batchClose = Number.NEGATIVE_INFINITY;
  let container = 0;
  for (const [i, a] of arrivals.entries()) {
    let processed = a.arrival;
    if (batchWindowMs > 0) {
      if (a.arrival > batchClose) {
        batchClose = a.arrival + batchWindowMs;
        container = rng.int(0, containers - 1);
      }
      processed = batchClose;
    } else {
      container = rng.int(0, containers - 1);
    }
    const e = { bucket: a.event.bucket, tokens: a.event.values };
    const r = model.writeBucket(container, e, processed);
    const told = r.crossed || (r.pending !== undefined && model.writeSummary(r.pending));
    if (told) return { processed, index: i, writes: model.writes / (i + 1) };
  }
  return { processed: undefined, index: -1, writes: model.writes / Math.max(1, arrivals.length) };
}

function fastPathSummary(
  config: { path: 'direct' | 'sqs'; containers: number; batchWindowMs: number },
  acc: { latencies: number[]; via: number; atCrossing: number; writes: number[] },
): FastPathLatency {
  return {
    ...config,
    viaFastPath: acc.via,
    atCrossing: acc.atCrossing,
    p50Ms: quantile(acc.latencies, 0.5),
    p95Ms: quantile(acc.latencies, 0.95),
    p99Ms: quantile(acc.latencies, 0.99),
    maxMs: max(acc.latencies),
    writesPerEvent: acc.writes.reduce((x, y) => x + y, 0) / Math.max(1, acc.writes.length),
  };
}

export async function benchLatency(options: LatencyOptions): Promise<LatencyResult> {
  const awsCallsMs = FAST_PATH_CALLS_MS;
  const configs = [
    ...[1, 2, 4, 8].map((containers) => ({ path: 'direct' as const, containers, batchWindowMs: 0 })),
    ...(options.batchWindowsMs ?? [1_000, 5_000]).map((w) => ({
      path: 'sqs' as const,
      containers: 2,
      batchWindowMs: w,
    })),
  ];
  const accs = configs.map(() => ({ latencies: [] as number[], via: 0, atCrossing: 0, writes: [] as number[] }));
  const rng = new Rng('latency');
  const dealing = new Rng('latency-dealing');
  const detector = new Detector(SETTINGS);
  const saturation = SETTINGS.threshold * SETTINGS.saturationFactor;
  const latencies: number[] = [];
  const fromEventTime: number[] = [];
  let late = 0;
  for (let b = 0; b < options.bursts; b++) {
    const arrivals = burst(rng, detector, b);
    const crossing = crossingIndex(arrivals);
    if (crossing < 0) continue;
    const crossed = arrivals[crossing] as Arrival;
    const store = new MemoryWindowStore();
    let published: number | undefined;
    const publisher: AlertPublisher = { publish: async () => {} };
    let next = 0;
    // Ticks from the minute of the first arrival until the alert is published.
    for (
      let tick = (bucketOf(arrivals[0]?.arrival ?? T0) + 1) * BUCKET_MS;
      published === undefined;
      tick += BUCKET_MS
    ) {
      while (next < arrivals.length && (arrivals[next] as Arrival).arrival + options.ingestMs <= tick) {
        const a = arrivals[next++] as Arrival;
        store.recordOne(a.event, { saturation, now: a.arrival + options.ingestMs });
      }
      const report = await runEvaluation(store, publisher, SETTINGS, tick);
      if (report.alerts > 0) published = tick + options.evaluatorMs;
      if (tick > crossed.arrival + 30 * 60_000) throw new Error(`burst ${b} never alerted`);
    }
    const latency = published - crossed.arrival;
    // The first tick at or after the crossing event is counted is the one that must publish it.
    const firstTick = Math.ceil((crossed.arrival + options.ingestMs) / BUCKET_MS) * BUCKET_MS;
    if (published > firstTick + options.evaluatorMs) late += 1;
    latencies.push(latency);
    fromEventTime.push(published - crossed.eventTime);
    // The fast path on the same burst, per configuration; the scheduled publish is the fallback.
    configs.forEach((config, c) => {
      const acc = accs[c] as (typeof accs)[number];
      const run = fastPathRun(arrivals, config.containers, config.batchWindowMs, dealing);
      const fast = run.processed === undefined ? undefined : run.processed + options.ingestMs + awsCallsMs;
      acc.writes.push(run.writes);
      if (fast !== undefined && fast < published) {
        acc.latencies.push(fast - crossed.arrival);
        acc.via++;
        if (run.index === crossing) acc.atCrossing++;
      } else acc.latencies.push(latency);
    });
  }
  return {
    bursts: options.bursts,
    detected: latencies.length,
    late,
    p50Ms: quantile(latencies, 0.5),
    p95Ms: quantile(latencies, 0.95),
    maxMs: max(latencies),
    minMs: -max(latencies.map((l) => -l)),
    fromEventTimeP50Ms: quantile(fromEventTime, 0.5),
    fromEventTimeP95Ms: quantile(fromEventTime, 0.95),
    ingestMs: options.ingestMs,
    evaluatorMs: options.evaluatorMs,
    deliveryDelay: DELIVERY,
    awsCallsMs,
    awsCalls: FAST_PATH_CALLS,
    fastPath: configs.map((config, c) => fastPathSummary(config, accs[c] as (typeof accs)[number])),
  };
}
