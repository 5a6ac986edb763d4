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
 * The ingest fast path (lib/engine/fast-path.ts) is simulated on the same bursts, twice: every event seen by one
 * container, and the events dealt round-robin to two containers. Each arrival runs the real code path on the memory
 * store — record, tracker, and for a hot key runEvaluation with `identities` — and its wall time is measured; the
 * publish happens `ingestMs` (the handler, as above) + that measured time + `awsCallsMs` (the fast path's DynamoDB
 * reads and conditional writes and the SNS publish on AWS, which the memory store does not have: an assumption)
 * after the arrival. With two containers a burst the fast path does not catch is published by the scheduled run.
 */

import { MemoryWindowStore } from '../lib/adapters/store/memory';
import { DEFAULTS } from '../lib/config/load';
import { Detector } from '../lib/engine/detector';
import { type EvaluationSettings, runEvaluation } from '../lib/engine/evaluate';
import { FastPathTracker } from '../lib/engine/fast-path';
import type { AlertPublisher, CountedEvent } from '../lib/engine/ports';
import { BUCKET_MS, bucketOf, bucketsPerWindow } from '../lib/engine/window';
import { principal, secretRead } from './generate';
import { max, quantile, Rng } from './stats';

export interface LatencyOptions {
  readonly bursts: number;
  /** Time from arrival at ingest to the event being counted (measured ingest handler time). */
  readonly ingestMs: number;
  /** Time from the evaluator's start to its publish (measured evaluation time). */
  readonly evaluatorMs: number;
  /** Fast path: AWS round trips the memory store does not have (4 DynamoDB calls and one SNS publish). */
  readonly awsCallsMs?: number;
}

export interface FastPathLatency {
  /** Bursts the fast path published (the rest: by the scheduled run). */
  readonly viaFastPath: number;
  /** Of those, published at the crossing event itself (single container: all of them). */
  readonly atCrossing: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
  /** Measured wall time of the crossing event's ingest work on the memory store (record, tracker, evaluation). */
  readonly processingP50Ms: number;
  readonly processingMaxMs: number;
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
  /** Fast path, every event of a burst seen by one ingest container. */
  readonly fastPathOneContainer: FastPathLatency;
  /** Fast path, a burst's events dealt round-robin to two containers; the scheduled run otherwise. */
  readonly fastPathTwoContainers: FastPathLatency;
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
  /** Publish time (simulated), or undefined when no container's own view crossed. */
  readonly published: number | undefined;
  readonly index: number;
  readonly processingMs: number;
}

/** The burst through the ingest fast path of `containers` containers (round-robin), until the first publish. */
async function fastPathRun(
  arrivals: readonly Arrival[],
  containers: number,
  saturation: number,
  options: LatencyOptions,
  awsCallsMs: number,
): Promise<FastPathRun> {
  const store = new MemoryWindowStore();
  const trackers = Array.from({ length: containers }, () => new FastPathTracker(SETTINGS));
  let sent = 0;
  const publisher: AlertPublisher = { publish: async () => void sent++ };
  for (const [i, a] of arrivals.entries()) {
    const now = a.arrival + options.ingestMs;
    const started = performance.now();
    await store.record([a.event], { saturation, now });
    const hot = (trackers[i % containers] as FastPathTracker).observe([a.event], now);
    if (hot.length > 0) await runEvaluation(store, publisher, SETTINGS, now, undefined, { identities: hot });
    const processingMs = performance.now() - started;
    if (sent > 0) return { published: now + processingMs + awsCallsMs, index: i, processingMs };
  }
  return { published: undefined, index: -1, processingMs: 0 };
}

function fastPathSummary(latencies: number[], processing: number[], atCrossing: number): FastPathLatency {
  return {
    viaFastPath: processing.length,
    atCrossing,
    p50Ms: quantile(latencies, 0.5),
    p95Ms: quantile(latencies, 0.95),
    maxMs: max(latencies),
    processingP50Ms: quantile(processing, 0.5),
    processingMaxMs: max(processing),
  };
}

export async function benchLatency(options: LatencyOptions): Promise<LatencyResult> {
  const awsCallsMs = options.awsCallsMs ?? 100;
  const one = { latencies: [] as number[], processing: [] as number[], atCrossing: 0 };
  const two = { latencies: [] as number[], processing: [] as number[], atCrossing: 0 };
  const rng = new Rng('latency');
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
    // The fast path on the same burst: one container, then two; the scheduled publish is the fallback.
    for (const [containers, into] of [
      [1, one],
      [2, two],
    ] as const) {
      const run = await fastPathRun(arrivals, containers, saturation, options, awsCallsMs);
      if (run.published !== undefined && run.published < published) {
        into.latencies.push(run.published - crossed.arrival);
        into.processing.push(run.processingMs);
        if (run.index === crossing) into.atCrossing++;
      } else into.latencies.push(latency);
    }
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
    fastPathOneContainer: fastPathSummary(one.latencies, one.processing, one.atCrossing),
    fastPathTwoContainers: fastPathSummary(two.latencies, two.processing, two.atCrossing),
  };
}
