/**
 * The ingest fast path's trigger, decided from what the store's own writes return, so that it does not depend on one
 * container seeing the whole burst. Pure; `now` is an argument.
 *
 * Each key has a small per-key summary in the store: for each recent minute bucket, the largest bucket count (and,
 * under COUNT=distinct-secrets, the bucket's tokens) that any writer knew right after its bucket write. A write of
 * the bucket returns that bucket's exact state at the write (the store's conditional update and its return values);
 * the writer then folds it into the summary with one more update, whose return values are the key's recent minutes.
 * Counts in the summary only grow (set union, a maximum), so concurrent writers in any order converge on it.
 *
 * To keep a quiet key's cost at one write per event, the first event of a bucket skips the summary unless its
 * container holds a recent summary of the key (it is "warm": some minute of the key had a second event lately);
 * the writer of the bucket's second event folds the first one in (it knows the count 2). A bucket that alone
 * reaches the threshold needs no summary: its writer knows already. Skipped single-event minutes are found again by
 * reading: a summary write that leaves some window within reach of the threshold, counting each missing minute as one
 * event, reads those minutes' bucket items and folds what they hold into the summary (bucketsToRead); so the cost of
 * reading is paid only near the threshold.
 *
 * Invariants (test/engine/fast-path.property.test.ts, against a brute-force oracle, for any dealing of events over
 * any number of containers and any interleaving of their bucket and summary writes):
 *  - Sound (bounded): a writer is told "crossed" only if, at that moment, the store holds a window ending in
 *    [now - LATENESS_MINUTES, now] that reaches THRESHOLD — the summary never exceeds the buckets. Being told only
 *    triggers an evaluation of the key (runEvaluation with `identities`); the decision, claim and alertId come from
 *    the store as in a scheduled run, so the fast path can cost reads but never alert a key the slow path would not.
 *  - No miss: if, once all writes have landed, a window reaches THRESHOLD counting every bucket that holds two or more
 *    events or whose single event was summarised or read back, then some writer was told "crossed" (with several
 *    writes in flight, one of those writers). With one container (COUNT=events), the writer of the crossing event
 *    itself is told whenever some minute of the look-back holds two events by then — for THRESHOLD above
 *    WINDOW_MINUTES + 1, every crossing.
 *  - Not covered: a crossing completed by a single-event minute whose writer holds no recent summary of the key (a
 *    container that had not seen the key lately), when no later write of the key reads it back. That is the price of
 *    one write per event for quiet keys; the key's next summary write, or the scheduled evaluator, alerts it.
 */
import type { DetectionConfig } from './settings';
import { BUCKET_MS, bucketsPerWindow } from './window';

export type FastPathSettings = Pick<
  DetectionConfig,
  'threshold' | 'windowMinutes' | 'latenessMinutes' | 'suppressionMinutes' | 'count'
>;

/** One minute of a key's summary: the largest bucket count written to it, and its tokens (distinct counting). */
export interface MinuteSummary {
  readonly events: number;
  readonly tokens: ReadonlySet<string>;
}

/** A key's summary: bucket -> minute. */
export type KeySummary = ReadonlyMap<number, MinuteSummary>;

/** What the writer of one event knows right after its bucket write (exact at that write). */
export interface BucketAfterWrite {
  readonly bucket: number;
  /** Events the bucket holds. */
  readonly events: number;
  /** The bucket's distinct tokens (only read under COUNT=distinct-secrets). */
  readonly tokens: ReadonlySet<string>;
}

/** `crossed`: the bucket alone reaches the threshold; `write`: fold it into the summary; `skip`: quiet key. */
export type SummaryStep = 'crossed' | 'write' | 'skip';

const measureOf = (b: { events: number; tokens: ReadonlySet<string> }, settings: FastPathSettings): number =>
  settings.count === 'events' ? b.events : b.tokens.size;

/**
 * The step after a bucket write at `now`; `warm`: the container holds a summary of the key within the look-back. A
 * bucket outside every window an evaluation at `now` reads (a late event past the look-back, or a clock ahead of
 * ours) cannot make one cross now: skipped, the scheduled evaluator judges it.
 */
export function summaryStep(
  after: BucketAfterWrite,
  warm: boolean,
  now: number,
  settings: FastPathSettings,
): SummaryStep {
  const { from, to } = summaryRange(now, settings);
  if (after.bucket < from || after.bucket > to) return 'skip';
  if (measureOf(after, settings) >= settings.threshold) return 'crossed';
  if (after.events <= 1 && !warm) return 'skip';
  return 'write';
}

/** Buckets a summary keeps: those of every window an evaluation at `now` looks at. */
export function summaryRange(now: number, settings: FastPathSettings): { from: number; to: number } {
  const nowBucket = Math.floor(now / BUCKET_MS);
  return { from: nowBucket - settings.latenessMinutes - bucketsPerWindow(settings) + 1, to: nowBucket };
}

/** Whether some window ending in [now - L, now] reaches the threshold in `summary`. */
export function summaryCrossed(summary: KeySummary, now: number, settings: FastPathSettings): boolean {
  const width = bucketsPerWindow(settings);
  const { to } = summaryRange(now, settings);
  for (let end = to - settings.latenessMinutes; end <= to; end++) {
    let events = 0;
    const tokens = new Set<string>();
    for (let b = end - width + 1; b <= end; b++) {
      const m = summary.get(b);
      if (!m) continue;
      events += m.events;
      if (settings.count !== 'events') for (const t of m.tokens) tokens.add(t);
    }
    if ((settings.count === 'events' ? events : tokens.size) >= settings.threshold) return true;
  }
  return false;
}

/**
 * Buckets to read back after a summary write that did not cross: those missing from the summary in every window that
 * could still reach the threshold if each of them held one event (a single-event minute whose cold writer skipped the
 * summary; a missing minute with two or more events has a writer whose own summary write is still to land, and that
 * writer will be told). Under COUNT=distinct-secrets each is taken as one token: a heuristic there, since one
 * BatchGetSecretValue event can carry several. Empty for a key far from the threshold, so quiet keys read nothing.
 */
export function bucketsToRead(summary: KeySummary, now: number, settings: FastPathSettings): number[] {
  const width = bucketsPerWindow(settings);
  const { to } = summaryRange(now, settings);
  const out = new Set<number>();
  for (let end = to - settings.latenessMinutes; end <= to; end++) {
    let events = 0;
    const tokens = new Set<string>();
    const missing: number[] = [];
    for (let b = end - width + 1; b <= end; b++) {
      const m = summary.get(b);
      if (!m) {
        missing.push(b);
        continue;
      }
      events += m.events;
      for (const t of m.tokens) tokens.add(t);
    }
    const measure = settings.count === 'events' ? events : tokens.size;
    if (missing.length > 0 && measure + missing.length >= settings.threshold) for (const b of missing) out.add(b);
  }
  return [...out].sort((a, b) => a - b);
}

/** Merges one bucket into a summary the way the store's update does (maximum of counts, union of tokens). */
export function foldBucket(summary: KeySummary, after: BucketAfterWrite): Map<number, MinuteSummary> {
  const out = new Map(summary);
  const m = summary.get(after.bucket);
  out.set(after.bucket, {
    events: Math.max(m?.events ?? 0, after.events),
    tokens: new Set([...(m?.tokens ?? []), ...after.tokens]),
  });
  return out;
}

/**
 * Per-container memory of keys handed to an evaluation: not evaluated again for SUPPRESSION_MINUTES (the claim would
 * suppress them anyway), so a burst costs one evaluation per key and container, not one per event.
 */
export class QuietKeys {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly settings: Pick<FastPathSettings, 'suppressionMinutes'>,
    private readonly maxKeys = 10_000,
  ) {}

  /** `keys` without those quiet at `now`, deduplicated. */
  hot(keys: Iterable<string>, now: number): string[] {
    return [...new Set(keys)].filter((k) => (this.until.get(k) ?? Number.NEGATIVE_INFINITY) <= now);
  }

  handOff(keys: readonly string[], now: number): void {
    for (const key of keys) {
      this.until.delete(key);
      this.until.set(key, now + this.settings.suppressionMinutes * BUCKET_MS);
    }
    for (const [key, t] of this.until) {
      if (this.until.size <= this.maxKeys && t > now) break;
      this.until.delete(key);
    }
  }
}
