/**
 * The ingest fast path's trigger: a bounded, per-container view of the recent main-counter events of each grouping
 * key, which says when a key is "hot" — its OWN view already holds a window (WINDOW_MINUTES + 1 buckets, window.ts)
 * that reaches the threshold. Pure; `now` is an argument.
 *
 * The view only ever holds events the store has already recorded, so it is a lower bound of the store's (other
 * containers see other events): hot ⇒ an evaluation of the key at `now` finds the crossing in the store. Being hot
 * only triggers that evaluation (runEvaluation with `identities`); the decision, claim and alertId come from the
 * store, exactly as in a scheduled run, so a wrong "hot" could cost reads but never an alert.
 *
 * Guarantees (test/engine/fast-path.property.test.ts, against a brute-force oracle):
 *  - Sound: a key is reported hot only if some window ending in [now - LATENESS_MINUTES, now] holds ≥ THRESHOLD of
 *    the events (or distinct tokens) it was fed.
 *  - Complete for one container: if the events fed to one tracker (any order, each within the look-back of the
 *    `now` it is fed at, no eviction) put ≥ THRESHOLD in one such window, the key is reported hot when the event
 *    that completes it is fed.
 *
 * Memory is bounded three ways: per key only the evaluator's look-back (LATENESS_MINUTES + WINDOW_MINUTES + 1
 * buckets) is kept, each bucket holds at most THRESHOLD entries (a full bucket alone reaches the threshold), and the
 * keys form an LRU bounded by `maxKeys` keys and `maxEntries` entries in total. Out-of-order arrival is why a key
 * keeps up to THRESHOLD entries per bucket rather than THRESHOLD in all: a late event can complete a window whose
 * other events arrived long before it.
 *
 * A key handed off to an evaluation is not reported again for SUPPRESSION_MINUTES (the claim would suppress it
 * anyway), so a burst costs one evaluation per key and container, not one per event.
 */
import type { DetectionConfig } from './settings';
import { BUCKET_MS, bucketsPerWindow, lookBack } from './window';

export type FastPathSettings = Pick<
  DetectionConfig,
  'threshold' | 'windowMinutes' | 'latenessMinutes' | 'suppressionMinutes' | 'count'
>;

export interface FastPathLimits {
  /** Keys kept (least recently fed evicted first). */
  readonly maxKeys: number;
  /** Entries (event ids or tokens) kept over all keys. */
  readonly maxEntries: number;
}

export const FAST_PATH_LIMITS: FastPathLimits = Object.freeze({ maxKeys: 10_000, maxEntries: 200_000 });

/** What the tracker needs of a counted main event (a CountedEvent fits). */
export interface TrackedEvent {
  readonly key: string;
  readonly bucket: number;
  readonly eventId: string;
  /** Secret tokens, counted under COUNT=distinct-secrets. */
  readonly values: readonly string[];
}

interface KeyView {
  /** Bucket -> event ids (COUNT=events) or secret tokens (COUNT=distinct-secrets), at most THRESHOLD each. */
  readonly buckets: Map<number, Set<string>>;
  entries: number;
  /** Not reported hot again before this time (ms): handed off to an evaluation. */
  quietUntil: number;
}

export class FastPathTracker {
  private readonly views = new Map<string, KeyView>();
  private entries = 0;
  private readonly width: number;

  constructor(
    private readonly settings: FastPathSettings,
    private readonly limits: FastPathLimits = FAST_PATH_LIMITS,
  ) {
    this.width = bucketsPerWindow(settings);
  }

  /** Keys currently kept and entries over all of them (for tests and metrics). */
  get size(): { readonly keys: number; readonly entries: number } {
    return { keys: this.views.size, entries: this.entries };
  }

  /**
   * Feeds events the store has recorded; returns the keys that are hot after them and not handed off, in the order
   * they became hot.
   */
  observe(events: readonly TrackedEvent[], now: number): string[] {
    const nowBucket = Math.floor(now / BUCKET_MS);
    const from = lookBack(nowBucket, this.settings).from;
    const hot: string[] = [];
    const seen = new Set<string>();
    for (const e of events) {
      if (e.bucket < from) continue;
      const view = this.touch(e.key);
      this.prune(view, from);
      const set = view.buckets.get(e.bucket) ?? new Set<string>();
      view.buckets.set(e.bucket, set);
      const members = this.settings.count === 'events' ? [e.eventId] : e.values;
      for (const m of members) {
        if (set.size >= this.settings.threshold || set.has(m)) continue;
        set.add(m);
        view.entries++;
        this.entries++;
      }
      if (set.size === 0) view.buckets.delete(e.bucket);
      if (!seen.has(e.key) && now >= view.quietUntil && this.reaches(view, e.bucket, nowBucket)) {
        seen.add(e.key);
        hot.push(e.key);
      }
      this.evict(e.key);
    }
    return hot;
  }

  /** Records that `keys` were handed off to an evaluation at `now`: quiet for SUPPRESSION_MINUTES. */
  handOff(keys: readonly string[], now: number): void {
    for (const key of keys) {
      const view = this.views.get(key);
      if (view) view.quietUntil = now + this.settings.suppressionMinutes * BUCKET_MS;
    }
  }

  /** Whether a window containing `bucket`, ending in [nowBucket - L, nowBucket], reaches the threshold. */
  private reaches(view: KeyView, bucket: number, nowBucket: number): boolean {
    const first = Math.max(bucket, nowBucket - this.settings.latenessMinutes);
    const last = Math.min(bucket + this.width - 1, nowBucket);
    for (let end = first; end <= last; end++) {
      let measure = 0;
      const tokens = this.settings.count === 'events' ? undefined : new Set<string>();
      for (let b = end - this.width + 1; b <= end; b++) {
        const set = view.buckets.get(b);
        if (!set) continue;
        if (tokens) for (const t of set) tokens.add(t);
        else measure += set.size;
      }
      if ((tokens ? tokens.size : measure) >= this.settings.threshold) return true;
    }
    return false;
  }

  /** The key's view, moved to the most recently used end. */
  private touch(key: string): KeyView {
    const view = this.views.get(key) ?? { buckets: new Map(), entries: 0, quietUntil: Number.NEGATIVE_INFINITY };
    this.views.delete(key);
    this.views.set(key, view);
    return view;
  }

  private prune(view: KeyView, from: number): void {
    for (const [bucket, set] of view.buckets) {
      if (bucket >= from) continue;
      view.buckets.delete(bucket);
      view.entries -= set.size;
      this.entries -= set.size;
    }
  }

  /** Drops least recently used keys (never `keep`) until within the limits. */
  private evict(keep: string): void {
    for (const [key, view] of this.views) {
      if (this.views.size <= this.limits.maxKeys && this.entries <= this.limits.maxEntries) return;
      if (key === keep) continue;
      this.views.delete(key);
      this.entries -= view.entries;
    }
  }
}
