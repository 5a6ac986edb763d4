/**
 * A model of the DynamoDB store's fast-path protocol (lib/adapters/store/dynamodb/store.ts, decisions from
 * lib/engine/fast-path.ts) for one key over k containers, without a server: the bucket items as counts and token
 * sets, the summary item, and each container's cached summary. A bucket write and the summary write that follows it
 * are separate steps, so callers can interleave the steps of many in-flight events in any order (the property test
 * does; the latency benchmark runs them one event at a time). The decisions are the engine's own functions.
 */
import {
  type BucketAfterWrite,
  bucketsToRead,
  type FastPathSettings,
  foldBucket,
  type KeySummary,
  type MinuteSummary,
  summaryCrossed,
  summaryRange,
  summaryStep,
} from '../lib/engine/fast-path';

export interface ModelEvent {
  readonly bucket: number;
  readonly tokens: readonly string[];
}

/** An event between its bucket write and its summary write. */
export interface InFlight {
  readonly container: number;
  readonly after: BucketAfterWrite;
  readonly now: number;
}

export class FastPathModel {
  /** The bucket items: events and tokens per bucket. */
  readonly buckets = new Map<number, { events: number; tokens: Set<string> }>();
  private summary: KeySummary = new Map<number, MinuteSummary>();
  private readonly cached: (KeySummary | undefined)[];
  /** Bucket and summary writes issued (billed write requests). */
  writes = 0;

  constructor(
    readonly settings: FastPathSettings,
    containers: number,
  ) {
    this.cached = Array.from({ length: containers }, () => undefined);
  }

  /**
   * The bucket write of `e` by `container` at `now`. Returns whether the writer learned a crossing from the bucket
   * alone, and the summary write still to do (undefined: skipped or not needed).
   */
  writeBucket(container: number, e: ModelEvent, now: number): { crossed: boolean; pending?: InFlight } {
    const b = this.buckets.get(e.bucket) ?? { events: 0, tokens: new Set<string>() };
    b.events++;
    for (const t of e.tokens) b.tokens.add(t);
    this.buckets.set(e.bucket, b);
    this.writes++;
    const after: BucketAfterWrite = { bucket: e.bucket, events: b.events, tokens: new Set(b.tokens) };
    const { from } = summaryRange(now, this.settings);
    const cached = this.cached[container];
    const warm = cached !== undefined && [...cached.keys()].some((bucket) => bucket >= from);
    const step = summaryStep(after, warm, now, this.settings);
    return step === 'write' ? { crossed: false, pending: { container, after, now } } : { crossed: step === 'crossed' };
  }

  /** Bucket items read back (billed read requests). */
  reads = 0;

  /**
   * The summary write of an in-flight event, and when it leaves a window within reach, the read-back of the missing
   * minutes and the write that folds them in; whether its writer learned a crossing.
   */
  writeSummary(p: InFlight): boolean {
    this.fold(p.container, p.after);
    if (summaryCrossed(this.summary, p.now, this.settings)) return true;
    const found: BucketAfterWrite[] = [];
    for (const bucket of bucketsToRead(this.summary, p.now, this.settings)) {
      this.reads++;
      const b = this.buckets.get(bucket);
      if (b && b.events > 0) found.push({ bucket, events: b.events, tokens: new Set(b.tokens) });
    }
    if (found.length === 0) return false;
    for (const f of found) this.summary = foldBucket(this.summary, f);
    this.fold(p.container, undefined);
    return summaryCrossed(this.summary, p.now, this.settings);
  }

  private fold(container: number, after: BucketAfterWrite | undefined): void {
    if (after) this.summary = foldBucket(this.summary, after);
    this.cached[container] = this.summary;
    this.writes++;
  }

  /** Whether the buckets (the truth) hold a window ending in [now - L, now] at or above the threshold. */
  storeCrossed(now: number): boolean {
    return summaryCrossed(this.buckets, now, this.settings);
  }
}
