/**
 * `rsr replay`: the engine over historical records with the in-memory store, in simulated time.
 *
 * Phase 1 counts every record into its (key, minute) bucket; phase 2 runs the evaluator for every simulated
 * minute from the first active bucket to the last one plus the look-back, exactly as the scheduled evaluator would
 * have run had the events arrived on time (idle stretches are skipped). Because phase 2 starts only after all input
 * is counted, the order of records and files cannot change the result (window.ts, invariant 3). Memory follows the
 * (key, active minute) state, not the number of records.
 */

import { MemoryWindowStore } from '../adapters/store/memory';
import type { Notification } from '../engine/alert';
import { Detector, emptyStats, type IngestStats } from '../engine/detector';
import { canReachThreshold, type EvaluationSettings, runEvaluation } from '../engine/evaluate';
import type { SkipReason } from '../engine/event';
import { parseKey } from '../engine/identity';
import type { Mute } from '../engine/ports';
import type { DetectionConfig } from '../engine/settings';
import { MAIN_REASON } from '../engine/signals';
import { BUCKET_MS, bucketsPerWindow } from '../engine/window';

/** A record to prepare, or skipped input: `count` pieces (default 1) skipped for the same reason without parsing. */
export type ReplayItem = { readonly record: unknown } | { readonly skip: SkipReason; readonly count?: number };

export interface ReplayResult {
  readonly stats: IngestStats;
  readonly notifications: Notification[];
  readonly evaluations: number;
  /** Earliest and latest qualifying event time (epoch ms), if any. */
  readonly firstEvent: number | undefined;
  readonly lastEvent: number | undefined;
  readonly suppressed: number;
  readonly overflowed: number;
  /** Crossings silenced by a mute. */
  readonly muted: number;
}

export interface ReplayOptions {
  /** Called for each notification as soon as the simulated evaluator produces it. */
  onNotification?: (n: Notification) => void;
  /** The store to count into (tests pass their own to inspect it). */
  store?: MemoryWindowStore;
  /** Analyst mutes to apply, each in force from its createdAt to its until (simulated time). */
  mutes?: readonly Mute[];
  /**
   * Evaluate every identity at every minute in reach of any bucket, as the scheduled evaluator would (the reference
   * the default is proven equal to, in test/engine/replay-prune.property.test.ts). By default identities none of
   * whose keys can ever reach a threshold are dropped after counting (see quietIdentities).
   */
  evaluateEveryIdentity?: boolean;
}

/**
 * Keys of the identities none of whose keys can ever be a candidate (evaluate.ts canReachThreshold). Dropping them
 * before phase 2 changes no notification: such an identity is never decided, so it never alerts, opens a thread or
 * has a summary, and the minutes its buckets alone kept in reach have nothing to decide for anyone else. It leaves
 * phase 2 the few identities near a threshold instead of every identity at every minute.
 */
export function quietIdentities(store: MemoryWindowStore, config: DetectionConfig): string[] {
  const keysOf = new Map<string, string[]>();
  const hot = new Set<string>();
  for (const [key, bounds] of store.bucketBounds()) {
    const { identity, signal } = parseKey(key);
    const keys = keysOf.get(identity) ?? [];
    keys.push(key);
    keysOf.set(identity, keys);
    if (!hot.has(identity) && canReachThreshold(bounds, signal ?? MAIN_REASON, config)) hot.add(identity);
  }
  const quiet: string[] = [];
  for (const [identity, keys] of keysOf) if (!hot.has(identity)) quiet.push(...keys);
  return quiet;
}

/** Counts all records (phase 1). Exposed for `rsr tune`, which reads the same buckets. */
export async function countRecords(
  items: AsyncIterable<ReplayItem> | Iterable<ReplayItem>,
  detector: Detector,
  store: MemoryWindowStore,
): Promise<{ stats: IngestStats; firstEvent: number | undefined; lastEvent: number | undefined }> {
  const stats = emptyStats();
  const options = { saturation: detector.saturation, now: 0 };
  let firstEvent: number | undefined;
  let lastEvent: number | undefined;
  for await (const item of items) {
    if ('skip' in item) {
      const n = item.count ?? 1;
      stats.received += n;
      stats.skipped[item.skip] += n;
      continue;
    }
    stats.received++;
    const p = detector.prepare(item.record);
    for (const signal of p.signals) {
      stats.signals++;
      store.recordOne(signal, options);
    }
    if (!p.ok) {
      // Failed calls counted by the access-denied signal are used, not skipped.
      if (p.signals.length > 0) stats.usedBySignals++;
      else stats.skipped[p.reason]++;
      continue;
    }
    stats.qualifying++;
    const t = p.event.context.eventTime;
    if (firstEvent === undefined || t < firstEvent) firstEvent = t;
    if (lastEvent === undefined || t > lastEvent) lastEvent = t;
    const outcome = store.recordOne(p.event, options);
    if (outcome === 'counted') stats.counted++;
    else if (outcome === 'duplicate') stats.duplicates++;
    else stats.saturated++;
  }
  return { stats, firstEvent, lastEvent };
}

export async function replay(
  items: AsyncIterable<ReplayItem> | Iterable<ReplayItem>,
  config: EvaluationSettings,
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  const detector = new Detector(config);
  const store = options.store ?? new MemoryWindowStore();
  const { stats, firstEvent, lastEvent } = await countRecords(items, detector, store);
  if (!options.evaluateEveryIdentity) store.dropKeys(quietIdentities(store, config));
  for (const m of options.mutes ?? []) await store.putMute(m, 0);

  const notifications: Notification[] = [];
  const publisher = {
    async publish(n: Notification) {
      notifications.push(n);
      options.onNotification?.(n);
    },
  };
  const active = store.activeBuckets();
  // Evaluate long enough after the last event for every decision and every due burst summary (thread.ts).
  const reach = Math.max(config.latenessMinutes + bucketsPerWindow(config), config.quietMinutes + 1);
  let evaluations = 0;
  let suppressed = 0;
  let overflowed = 0;
  let muted = 0;
  let i = 0;
  for (let minute = active[0] ?? 0; active.length > 0; ) {
    // End of the simulated minute: the bucket is complete, as when the evaluator runs just after it.
    const now = (minute + 1) * BUCKET_MS - 1;
    const report = await runEvaluation(store, publisher, config, now);
    evaluations++;
    suppressed += report.suppressed;
    overflowed += report.overflowed;
    muted += report.muted;
    // Next minute, or jump to the next active bucket when nothing is left in reach.
    while (i < active.length && (active[i] as number) <= minute) i++;
    const next = minute + 1;
    const lastInReach = (active[i - 1] as number) + reach;
    if (next <= lastInReach) minute = next;
    else if (i < active.length) minute = active[i] as number;
    else break;
  }
  return { stats, notifications, evaluations, firstEvent, lastEvent, suppressed, overflowed, muted };
}
