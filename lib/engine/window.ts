/**
 * Window math: the one place that says how events become windows, and what is promised about them.
 *
 * Definitions (B = WINDOW_MINUTES + 1, T = THRESHOLD, S = SUPPRESSION_MINUTES, L = LATENESS_MINUTES):
 *  - An event with eventTime t falls in minute bucket b(t) = floor(t / 60 000 ms).
 *  - The window ending at bucket e covers buckets e-B+1 … e, i.e. the half-open time range
 *    [(e-B+1)·60 s, (e+1)·60 s): B whole minutes. Its count is the number of distinct qualifying eventIDs in it
 *    (COUNT=events) or the number of distinct secret tokens in it (COUNT=distinct-secrets).
 *  - An evaluation at time `now` (bucket n) looks at windows ending at e in [n-L, n]; buckets after n do not
 *    exist yet. The scheduled evaluator runs every minute; `rsr replay` simulates that run for every minute.
 *
 * Invariants (proven by property tests against a brute-force oracle in test/engine/window.property.test.ts):
 *  1. No miss: if some closed interval [t, t + WINDOW_MINUTES] holds ≥ T qualifying events of one key, the key is
 *     alerted: there is an alert for it whose crossing window ends at a bucket e' with e - S < e' ≤ e, where
 *     e = b(t + WINDOW_MINUTES). (A closed interval of W minutes touches at most W+1 = B buckets, so the window
 *     ending at e contains it; an evaluation at e finds it unless an alert less than S minutes earlier covers it.)
 *  2. Bounded: a key is alerted only if some window of B buckets — a span of WINDOW_MINUTES + 1 minute — holds ≥ T.
 *  3. Event time, any order: windows depend only on the multiset of (key, eventTime, eventID); the order of
 *     records or files changes nothing. State is per (key, active minute), never per record.
 *  4. Idempotent: an eventID already counted in its bucket counts once (and a secret token is a set member, so a
 *     redelivered event cannot add it twice). A bucket stops counting when its measure — events, or distinct tokens
 *     under COUNT=distinct-secrets — reaches `saturation` = THRESHOLD × SATURATION_FACTOR; counts are exact below it
 *     and lower bounds from it on (the alert says `countIsLowerBound`). A saturated bucket alone holds ≥ T of the
 *     measure, so skipping its extra events loses no alert. (Saturating on events under distinct counting would be
 *     wrong: repeated reads of one secret would fill the bucket and hide other secrets read in the same minute.)
 *  5. Suppression: two alerts of one key have crossing windows ending at least S buckets apart. The next alert of a
 *     key whose crossing window ends less than S + B buckets after the previous one continues its thread
 *     (same threadId, `continuation: true`): the burst was still running when suppression ended.
 *  6. Cap: an evaluation emits at most MAX_ALERTS_PER_RUN alerts; the other crossing keys go into one overflow
 *     summary (and are suppressed like alerted keys), never dropped silently.
 *  7. Late events: an event arriving up to L minutes after its bucket still alerts (its windows end in [n-L, n]);
 *     later ones are counted in their buckets and reported as late, but no evaluation looks at them again.
 */

import type { BucketState } from './ports';
import type { DetectionConfig } from './settings';

export const BUCKET_MS = 60_000;

export const bucketOf = (timeMs: number): number => Math.floor(timeMs / BUCKET_MS);
export const bucketStart = (bucket: number): number => bucket * BUCKET_MS;
/** Buckets per window: a closed interval of WINDOW_MINUTES touches up to this many minute buckets. */
export const bucketsPerWindow = (config: Pick<DetectionConfig, 'windowMinutes'>): number => config.windowMinutes + 1;
export const saturationOf = (config: Pick<DetectionConfig, 'threshold' | 'saturationFactor'>): number =>
  config.threshold * config.saturationFactor;

/** Minutes of slack added to every expiry, for evaluator delay and clock skew between Lambda and CloudTrail. */
export const EXPIRY_SLACK_MINUTES = 5;

/**
 * When a bucket may be forgotten (epoch seconds). The last evaluation that decides on bucket b runs at
 * n = b + L + B - 1; the burst summary of an alert whose crossing window holds b is due at the latest S minutes after
 * that crossing (engine/thread.ts), so buckets are kept S minutes longer than deciding needs. Storage only: no
 * evaluation reads more buckets for deciding. (DynamoDB TTL deletion lags up to ~48 h, so reads also filter on this.)
 */
export function bucketExpiresAt(
  bucket: number,
  config: Pick<DetectionConfig, 'windowMinutes' | 'latenessMinutes' | 'suppressionMinutes'>,
): number {
  return (
    (bucket + bucketsPerWindow(config) + config.latenessMinutes + config.suppressionMinutes + EXPIRY_SLACK_MINUTES) * 60
  );
}

/** When a key's latest claim may be forgotten: after suppression and the continuation span have passed. */
export function claimExpiresAt(
  windowEndBucket: number,
  config: Pick<DetectionConfig, 'windowMinutes' | 'latenessMinutes' | 'suppressionMinutes'>,
): number {
  return (
    (windowEndBucket +
      config.suppressionMinutes +
      bucketsPerWindow(config) +
      config.latenessMinutes +
      EXPIRY_SLACK_MINUTES) *
    60
  );
}

/** The buckets an evaluation at bucket `now` must read. */
export function lookBack(nowBucket: number, config: Pick<DetectionConfig, 'windowMinutes' | 'latenessMinutes'>) {
  return { from: nowBucket - config.latenessMinutes - bucketsPerWindow(config) + 1, to: nowBucket };
}

export interface WindowCount {
  /** Bucket the window ends at (inclusive). */
  readonly end: number;
  readonly count: number;
  /** A bucket in the window was saturated: `count` is a lower bound. */
  readonly lowerBound: boolean;
}

/**
 * Counts of the windows ending at each bucket in [fromEnd, toEnd], from sparse ascending `buckets`.
 * Events mode sums bucket counts; distinct mode counts distinct tokens over the window's buckets with a sliding
 * multiset, so the cost is linear in the tokens read, not in windows × tokens.
 */
export function windowCounts(
  buckets: readonly BucketState[],
  fromEnd: number,
  toEnd: number,
  width: number,
  mode: 'events' | 'distinct-secrets',
): WindowCount[] {
  const byBucket = new Map<number, BucketState>();
  for (const b of buckets) byBucket.set(b.bucket, b);
  const out: WindowCount[] = [];
  let sum = 0;
  let saturatedInWindow = 0;
  const tokenRefs = new Map<string, number>();
  const add = (b: BucketState | undefined, sign: 1 | -1) => {
    if (!b) return;
    sum += sign * b.events;
    if (b.saturated) saturatedInWindow += sign;
    if (mode === 'distinct-secrets') {
      for (const v of b.values) {
        const n = (tokenRefs.get(v) ?? 0) + sign;
        if (n === 0) tokenRefs.delete(v);
        else tokenRefs.set(v, n);
      }
    }
  };
  for (let b = fromEnd - width + 1; b <= fromEnd; b++) add(byBucket.get(b), 1);
  for (let end = fromEnd; end <= toEnd; end++) {
    if (end > fromEnd) {
      add(byBucket.get(end - width), -1);
      add(byBucket.get(end), 1);
    }
    out.push({
      end,
      count: mode === 'events' ? sum : tokenRefs.size,
      lowerBound: saturatedInWindow > 0,
    });
  }
  return out;
}

export interface KeyDecision {
  /** First window (lowest end bucket) in range that reached the threshold: identifies the alert. */
  readonly crossing: WindowCount;
  /** Window with the largest count among those ending from the crossing up to now (first one on ties). */
  readonly best: WindowCount;
  /** True when the previous alert of the key is recent enough that this one continues its thread. */
  readonly continuation: boolean;
}

/**
 * Decides whether a key alerts at bucket `nowBucket`, given its buckets in the look-back and the end bucket of its
 * previous alert (if any). Pure; see the invariants at the top of this file.
 */
export function decideKey(
  buckets: readonly BucketState[],
  previousEnd: number | undefined,
  nowBucket: number,
  config: Pick<DetectionConfig, 'threshold' | 'windowMinutes' | 'latenessMinutes' | 'suppressionMinutes' | 'count'>,
): KeyDecision | undefined {
  const width = bucketsPerWindow(config);
  let fromEnd = nowBucket - config.latenessMinutes;
  if (previousEnd !== undefined) fromEnd = Math.max(fromEnd, previousEnd + config.suppressionMinutes);
  if (fromEnd > nowBucket) return undefined;
  const counts = windowCounts(buckets, fromEnd, nowBucket, width, config.count);
  const at = counts.findIndex((w) => w.count >= config.threshold);
  if (at < 0) return undefined;
  const crossing = counts[at] as WindowCount;
  let best = crossing;
  for (let i = at + 1; i < counts.length; i++) {
    const w = counts[i] as WindowCount;
    if (w.count > best.count) best = w;
  }
  const continuation = previousEnd !== undefined && crossing.end - previousEnd < config.suppressionMinutes + width;
  return { crossing, best, continuation };
}
