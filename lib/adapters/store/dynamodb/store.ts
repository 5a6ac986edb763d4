/**
 * WindowStore on DynamoDB: the only class that talks to the SDK (layout and costs: docs/table-design.md; table
 * definition: ../table.ts). Policy lives in the pure modules beside it: item layout (layout.ts), expressions
 * (expressions.ts), page planning (plan.ts) and the claim codec (claim-codec.ts).
 *
 * WindowStore on DynamoDB (layout and costs: docs/table-design.md; table definition: ./table.ts).
 *
 * Hot path: one conditional UpdateItem per counted event on a small item of the (key, minute) bucket. Everything
 * that must be atomic (dedup, the saturation cap, the per-field value cap, min/max of first/last seen) is a condition
 * on that one item, so no transactions are needed (dynalite has none and they would cost double). The update is
 * planned from this container's last view of the bucket (from the previous write's ALL_NEW); the condition asserts
 * exactly the parts of the view the plan relies on, so a stale view only costs a retry (re-read, re-plan), never a
 * wrong count. Above saturation the container short-circuits to 'saturated' from memory without calling DynamoDB.
 *
 * A busy bucket is split into pages of about 1 KB, so that each write is billed one unit however many eventIds and
 * tokens the bucket holds: the write that fills a page freezes it (`fz`), and later events go to the next page. A
 * frozen page never changes again, so what a container read of it is exact forever; only the open page needs
 * conditions. Reads merge the pages.
 *
 * Every SDK error except ConditionalCheckFailedException (an expected outcome) leaves as StoreError(operation).
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { StoreError } from '../../../engine/errors';
import {
  type BucketAfterWrite,
  bucketsToRead,
  type KeySummary,
  summaryCrossed,
  summaryRange,
  summaryStep,
} from '../../../engine/fast-path';
import type {
  AlertClaim,
  BucketState,
  CountedEvent,
  CrossingWatch,
  Mute,
  RecordOptions,
  RecordOutcome,
  WindowStore,
} from '../../../engine/ports';
import { ACTIVE_SHARDS, PENDING_INDEX } from '../table';
import { claimDigest, claimOf, encodeNotification } from './claim-codec';
import { Expression } from './expressions';
import {
  A,
  bucketItemKey,
  bucketLive,
  bucketOfPartition,
  bucketPartition,
  bucketStateOf,
  C,
  claimItemKey,
  hex,
  type Item,
  idDigest,
  isLive,
  M,
  MAX_ATTEMPTS,
  MAX_BATCH_ROUNDS,
  MAX_RANGE_BUCKETS,
  MUTE_PARTITION,
  muteSortKey,
  num,
  numberOf,
  OPEN_THREAD_PARTITION,
  PAGE_BYTES,
  PAGE_SEPARATOR,
  PENDING_PARTITION,
  pageOf,
  SIDE_TTL_MARGIN_SECONDS,
  seconds,
  sideItemKey,
  str,
  stringOf,
  summaryCountName,
  summaryItemKey,
  summaryOf,
  summaryTokensName,
} from './layout';
import { advance, type BucketView, EMPTY_PAGE, NEW_BUCKET, pageSnapshot, planRecord, quietRepeat } from './plan';

export interface DynamoDbWindowStoreOptions {
  readonly tableName: string;
  /** UpdateItem/Query calls in flight per store call (BatchWriteItem cannot do conditional updates). */
  readonly concurrency?: number;
  /** Buckets whose view is kept per container; the saturated ones make the hot path free. */
  readonly cacheSize?: number;
  /**
   * activeKeys reads every bucket item of the look-back anyway (a Query bills whole items); readBuckets calls with
   * the same (fromBucket, toBucket, now) within this many ms are served from those items instead of paying another
   * read per (key, bucket). 0 turns it off. Any record() through this store drops them.
   */
  readonly lookBackReuseMs?: number;
  /** Page size target (default PAGE_BYTES); tests set it small to exercise paging with few events. */
  readonly pageBytes?: number;
  /**
   * readBuckets with strongly consistent reads (twice the read units). The ingest fast path sets it: it evaluates a
   * key right after a write told it the key crossed, and an eventually consistent read could still miss that write.
   */
  readonly consistentReads?: boolean;
}

// ---- plumbing ----------------------------------------------------------------------------------------------------

const CONDITION_FAILED = Symbol('condition failed');

function isConditionFailure(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const itemId = (item: Item) => `${stringOf(item[A.pk])}\u0000${stringOf(item[A.sk])}`;

function bucketRange(fromBucket: number, toBucket: number): number[] {
  if (toBucket < fromBucket) return [];
  if (toBucket - fromBucket >= MAX_RANGE_BUCKETS) {
    throw new RangeError(`bucket range ${fromBucket}..${toBucket} exceeds ${MAX_RANGE_BUCKETS} minutes`);
  }
  return Array.from({ length: toBucket - fromBucket + 1 }, (_, i) => fromBucket + i);
}

/** Pages of each (key, bucket), grouped from Query or BatchGet results. */
type PagesByKey = Map<string, Map<number, Item[]>>;

function groupPages(items: Iterable<Item>, into: PagesByKey = new Map()): PagesByKey {
  for (const item of items) {
    const { key } = pageOf(item);
    const bucket = bucketOfPartition(stringOf(item[A.pk]));
    let buckets = into.get(key);
    if (!buckets) {
      buckets = new Map();
      into.set(key, buckets);
    }
    const pages = buckets.get(bucket) ?? [];
    pages.push(item);
    buckets.set(bucket, pages);
  }
  return into;
}

/** Whether an uncounted event at `t` moves the page's first or last seen (as far as this view knows). */
function widens(page: BucketView['open'], t: number): boolean {
  return (page.firstSeen !== undefined && t < page.firstSeen) || (page.lastSeen !== undefined && t > page.lastSeen);
}

/** Puts `key` last (most recently used) in an insertion-ordered cache, dropping its oldest entry beyond `cap`. */
function touch<V>(cache: Map<string, V>, key: string, value: V, cap: number): void {
  cache.delete(key);
  cache.set(key, value);
  if (cache.size > cap) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

function latest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

export class DynamoDbWindowStore implements WindowStore {
  private readonly table: string;
  private readonly concurrency: number;
  private readonly cacheSize: number;
  /** `bucket␀key` -> view, in least-recently-used order; lives as long as the Lambda container. */
  private readonly views = new Map<string, BucketView>();
  /**
   * `bucket␀key` of saturated buckets where this container lost a race to widen first/last seen: other containers
   * widen them too, so it looks before it writes (widenSeen). Bounded like `views`, oldest first out.
   */
  private readonly contended = new Map<string, true>();
  private readonly lookBackReuseMs: number;
  private readonly pageBytes: number;
  private readonly consistentReads: boolean;
  /** key -> its summary as this container's last summary write returned it (lib/engine/fast-path.ts). */
  private readonly summaries = new Map<string, { summary: KeySummary; expiresAt: number }>();
  /** The pages the last activeKeys call read, for readBuckets of the same evaluation. */
  private lookBack: { from: number; to: number; now: number; readAt: number; pages: PagesByKey } | undefined;

  constructor(
    private readonly client: DynamoDBClient,
    options: DynamoDbWindowStoreOptions,
  ) {
    this.table = options.tableName;
    this.concurrency = options.concurrency ?? 16;
    this.cacheSize = options.cacheSize ?? 10_000;
    this.lookBackReuseMs = options.lookBackReuseMs ?? 60_000;
    this.pageBytes = options.pageBytes ?? PAGE_BYTES;
    this.consistentReads = options.consistentReads ?? false;
  }

  // ---- counting ----

  async record(batch: readonly CountedEvent[], options: RecordOptions): Promise<RecordOutcome[]> {
    this.lookBack = undefined;
    // Events of one (key, bucket) go one after the other (they would only race each other); buckets in parallel.
    const groups = new Map<string, number[]>();
    batch.forEach((e, i) => {
      const id = `${e.bucket}\u0000${e.key}`;
      const group = groups.get(id);
      if (group) group.push(i);
      else groups.set(id, [i]);
    });
    const outcomes = new Array<RecordOutcome>(batch.length);
    await mapLimit([...groups.values()], this.concurrency, async (indices) => {
      for (const i of indices) outcomes[i] = await this.recordOne(batch[i] as CountedEvent, options);
    });
    return outcomes;
  }

  private async recordOne(e: CountedEvent, options: RecordOptions): Promise<RecordOutcome> {
    const watch = options.watch?.watches(e) ? options.watch : undefined;
    const outcome = await this.countOne(e, options, watch);
    if (outcome.after && watch) await this.watchCrossing(e, outcome.after, options.now, watch);
    return outcome.outcome;
  }

  /**
   * The fast path's step after a counted write (lib/engine/fast-path.ts): the bucket alone, or the key's summary
   * updated with what the write returned, says whether a window now reaches the threshold.
   */
  private async watchCrossing(e: CountedEvent, after: BucketAfterWrite, now: number, watch: CrossingWatch) {
    const settings = watch.settings;
    const { from } = summaryRange(now, settings);
    const cached = this.summaries.get(e.key);
    const warm = cached !== undefined && [...cached.summary.keys()].some((b) => b >= from);
    const step = summaryStep(after, warm, now, settings);
    if (step === 'crossed') watch.crossed(e.key);
    if (step !== 'write') return;
    const expiresAt = Math.max(e.expiresAt, cached?.expiresAt ?? 0);
    let summary = await this.writeSummary(e.key, [after], cached?.summary, from, expiresAt, settings.count);
    if (summaryCrossed(summary, now, settings)) return watch.crossed(e.key);
    // Near the threshold: read back the minutes missing from the summary (single events written by containers
    // without a recent summary) and fold what they hold in. Page 1 is enough: a minute with more pages has many
    // events, so its second event's writer has summarised it (or is about to, and will be told).
    const missing = bucketsToRead(summary, now, settings);
    if (missing.length === 0) return;
    const items = await this.batchGet(
      'record',
      missing.map((b) => bucketItemKey(e.key, b)),
      true,
    );
    const found: BucketAfterWrite[] = [];
    for (const b of missing) {
      const item = items.get(itemId(bucketItemKey(e.key, b)));
      const events = numberOf(item?.[A.events]) ?? 0;
      if (item && events > 0 && isLive(item, now)) {
        found.push({ bucket: b, events, tokens: new Set(item[A.values]?.SS ?? []) });
      }
    }
    if (found.length === 0) return;
    summary = await this.writeSummary(e.key, found, summary, from, expiresAt, settings.count);
    if (summaryCrossed(summary, now, settings)) watch.crossed(e.key);
  }

  /** Folds `minutes` into the key's summary item (largest counts, token union); returns the summary after it. */
  private async writeSummary(
    key: string,
    minutes: readonly BucketAfterWrite[],
    known: KeySummary | undefined,
    from: number,
    expiresAt: number,
    count: CrossingWatch['settings']['count'],
  ): Promise<KeySummary> {
    const x = new Expression();
    for (const m of minutes) {
      x.add(summaryCountName(m.bucket), { NS: [String(m.events)] });
      if (count !== 'events' && m.tokens.size > 0) x.add(summaryTokensName(m.bucket), { SS: [...m.tokens] });
    }
    // Minutes no window can use any more are dropped, so the item stays a few hundred bytes (one write unit).
    for (const b of known?.keys() ?? []) {
      if (b >= from) continue;
      x.remove(summaryCountName(b));
      x.remove(summaryTokensName(b));
    }
    x.set(A.exp, num(expiresAt));
    const written = await this.update('record', {
      ...x.input(this.table, summaryItemKey(key)),
      ReturnValues: 'ALL_NEW',
    });
    // No condition is set, so the update cannot fail on one.
    const summary: KeySummary = written === CONDITION_FAILED ? (known ?? new Map()) : summaryOf(written);
    touch(this.summaries, key, { summary, expiresAt }, this.cacheSize);
    return summary;
  }

  private async countOne(
    e: CountedEvent,
    { saturation, now }: RecordOptions,
    watch: CrossingWatch | undefined,
  ): Promise<{ outcome: RecordOutcome; after?: BucketAfterWrite }> {
    if (e.key.includes(PAGE_SEPARATOR)) {
      throw new StoreError('record', { cause: new RangeError('a grouping key may not contain U+001F') });
    }
    const cacheKey = `${e.bucket}\u0000${e.key}`;
    let view = this.views.get(cacheKey) ?? NEW_BUCKET;
    if (view.open.saturated) {
      // Not counted; only an event that moves the page's first or last seen (to the second, CloudTrail's precision)
      // is written, so the bucket's time span stays exact whatever the arrival order, at ≤ ~60 writes a bucket.
      await this.widenSeen(e, view, cacheKey, now);
      return { outcome: 'saturated' };
    }
    const id = idDigest(e.eventId);
    if (view.frozen.ids.has(hex(id)) || view.open.ids.has(hex(id))) return { outcome: 'duplicate' }; // ids are never forgotten
    if (quietRepeat(e, view, saturation)) return { outcome: 'counted' };
    const spilled = new Set<string>();
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const plan = planRecord(e, id, view, saturation, this.pageBytes);
      const texts = [...plan.spill].filter(([name]) => !spilled.has(name));
      if (texts.length > 0) {
        await this.writeSide(e, texts);
        for (const [name] of texts) spilled.add(name);
      }
      const written = await this.update('record', {
        ...plan.expression.input(this.table, bucketItemKey(e.key, e.bucket, view.page)),
        ReturnValues: 'ALL_NEW',
      });
      if (written !== CONDITION_FAILED) {
        const next = advance(view, view.page, pageSnapshot(written));
        this.remember(cacheKey, next, now);
        // Exact at this write: frozen pages never change, and `written` is the open page right after it.
        const after = watch && {
          bucket: e.bucket,
          events: next.frozen.events + next.open.events,
          tokens: new Set([...next.frozen.values, ...next.open.values]),
        };
        return { outcome: 'counted', after };
      }
      // A true duplicate or saturation, a page frozen meanwhile, or a stale view: read the bucket and decide.
      // Repeated conflicts mean several writers on one hot bucket: back off a little, with jitter.
      if (attempt > 0) await sleep(Math.random() * Math.min(100, 5 * 2 ** attempt));
      view = await this.refresh(e.key, e.bucket, view);
      this.remember(cacheKey, view, now);
      if (view.frozen.ids.has(hex(id)) || view.open.ids.has(hex(id))) return { outcome: 'duplicate' };
      if (view.open.saturated) return { outcome: 'saturated' };
    }
    throw new StoreError('record', { cause: new Error(`no stable view after ${MAX_ATTEMPTS} attempts`) });
  }

  /**
   * Widens the saturated open page's first/last seen to an uncounted event's time (min and max: idempotent and
   * order-independent). A lost race (someone widened further) only refreshes the view.
   *
   * Containers sharing a hot bucket all see its new seconds, and all but the first lose the conditional write (a lost
   * write is billed like a won one): 3 of 4 attempts with four containers (measured, 171 of 228). So once this
   * container has lost a race on a bucket, it first reads the page, eventually consistent (0.5 RU for a page of at
   * most 1 KB, against 1 WU), and writes only if the stored span is still narrower. A stale read only costs the
   * write it would have cost anyway: the condition keeps the span exact.
   */
  private async widenSeen(e: CountedEvent, view: BucketView, cacheKey: string, now: number): Promise<void> {
    const t = e.context.eventTime;
    if (!widens(view.open, t)) return;
    if (this.contended.has(cacheKey)) {
      const item = await this.getItem('record', bucketItemKey(e.key, e.bucket, view.page), false);
      if (item !== undefined) {
        // Only the span is taken from the read: it may be older than this view, and the span only ever widens.
        const stored = pageSnapshot(item);
        view = {
          ...view,
          open: {
            ...view.open,
            firstSeen: earliest(view.open.firstSeen, stored.firstSeen),
            lastSeen: latest(view.open.lastSeen, stored.lastSeen),
          },
        };
        this.remember(cacheKey, view, now);
        if (!widens(view.open, t)) return;
      }
    }
    const s = view.open;
    const earlier = s.firstSeen !== undefined && t < s.firstSeen;
    const x = new Expression();
    const attribute = earlier ? A.firstSeen : A.lastSeen;
    x.when(`${x.n(attribute)} ${earlier ? '>' : '<'} ${x.v(num(t))}`);
    x.set(attribute, num(t));
    const written = await this.update('record', {
      ...x.input(this.table, bucketItemKey(e.key, e.bucket, view.page)),
      ReturnValues: 'ALL_NEW',
    });
    if (written !== CONDITION_FAILED) {
      this.remember(cacheKey, advance(view, view.page, pageSnapshot(written)), now);
      return;
    }
    touch(this.contended, cacheKey, true, this.cacheSize);
    this.remember(cacheKey, await this.refresh(e.key, e.bucket, view), now);
  }

  /** Value texts that are not kept in the page (rare: only values new to a bucket after its first event). */
  private async writeSide(e: CountedEvent, texts: readonly [string, string][]): Promise<void> {
    const x = new Expression();
    for (const [name, text] of texts) x.set(name, str(text));
    x.set(A.exp, num(e.expiresAt + SIDE_TTL_MARGIN_SECONDS));
    await this.update('record', x.input(this.table, sideItemKey(e.key, e.bucket)));
  }

  /**
   * Brings `view` up to date: reads (strongly consistent) the page it holds open and, while that turns out frozen,
   * the next one. Pages before `view.page` are frozen and need no read. (GetItem only: the ingest role needs no Query.)
   */
  private async refresh(key: string, bucket: number, view: BucketView): Promise<BucketView> {
    let current: BucketView = { ...view, open: EMPTY_PAGE };
    for (;;) {
      const item = await this.getItem('record', bucketItemKey(key, bucket, current.page));
      const page = pageSnapshot(item);
      const next = advance(current, current.page, page);
      if (next.page === current.page) return next;
      current = next;
    }
  }

  private remember(cacheKey: string, view: BucketView, now: number): void {
    const expiresAt = view.open.expiresAt;
    if (expiresAt !== undefined && expiresAt * 1000 <= now) this.views.delete(cacheKey);
    else touch(this.views, cacheKey, view, this.cacheSize);
  }

  // ---- evaluator reads ----

  async activeKeys(fromBucket: number, toBucket: number, now: number): Promise<string[]> {
    this.lookBack = undefined;
    const partitions = bucketRange(fromBucket, toBucket).flatMap((b) =>
      Array.from({ length: ACTIVE_SHARDS }, (_, shard) => bucketPartition(b, shard)),
    );
    // Never a Scan: one Query per (minute, shard) of the look-back, so the cost follows the live bucket items.
    // Expiry is judged per bucket (over its pages) here rather than by a FilterExpression, which would bill the same.
    const pages = await mapLimit(partitions, this.concurrency, (partition) =>
      this.queryAll('activeKeys', {
        TableName: this.table,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': A.pk },
        ExpressionAttributeValues: { ':pk': str(partition) },
      }),
    );
    const grouped = groupPages(pages.flat());
    const live: PagesByKey = new Map();
    for (const [key, buckets] of grouped) {
      for (const [bucket, items] of buckets) {
        if (!bucketLive(items, now)) continue;
        const kept = live.get(key) ?? new Map<number, Item[]>();
        kept.set(bucket, items);
        live.set(key, kept);
      }
    }
    // Kept whatever their number: every item of the look-back is in memory at this point anyway, so keeping them
    // adds no peak, while dropping them costs readBuckets a BatchGetItem per key (10 RU each: at 100 000 active
    // keys, 1 M RU and minutes per run; docs/PERFORMANCE.md). Memory is bounded by the look-back, ~2 KB per item.
    if (this.lookBackReuseMs > 0) {
      this.lookBack = { from: fromBucket, to: toBucket, now, readAt: Date.now(), pages: live };
    }
    return [...live.keys()].sort();
  }

  async readBuckets(key: string, fromBucket: number, toBucket: number, now: number): Promise<BucketState[]> {
    const buckets = bucketRange(fromBucket, toBucket);
    const reuse = this.lookBack;
    let pages: Map<number, Item[]>;
    if (
      reuse &&
      reuse.from === fromBucket &&
      reuse.to === toBucket &&
      reuse.now === now &&
      Date.now() - reuse.readAt <= this.lookBackReuseMs
    ) {
      pages = reuse.pages.get(key) ?? new Map();
    } else {
      pages = await this.readBucketPages(key, buckets);
    }
    const live = [...pages].filter(([, items]) => bucketLive(items, now)).sort(([a], [b]) => a - b);
    const spilled = live.filter(([, items]) => items.some((item) => item[A.spilled]?.BOOL === true));
    const sides = spilled.length
      ? await this.batchGet(
          'readBuckets',
          spilled.map(([bucket]) => sideItemKey(key, bucket)),
          false,
        )
      : new Map<string, Item>();
    return live.map(([bucket, items]) => bucketStateOf(bucket, items, sides.get(itemId(sideItemKey(key, bucket)))));
  }

  /** First pages of every bucket in one BatchGetItem, then further pages only for buckets with a frozen page. */
  private async readBucketPages(key: string, buckets: readonly number[]): Promise<Map<number, Item[]>> {
    const pages = new Map<number, Item[]>();
    let wanted = buckets.map((bucket) => ({ bucket, page: 1 }));
    while (wanted.length > 0) {
      const found = await this.batchGet(
        'readBuckets',
        wanted.map((w) => bucketItemKey(key, w.bucket, w.page)),
        this.consistentReads,
      );
      const next: { bucket: number; page: number }[] = [];
      for (const w of wanted) {
        const item = found.get(itemId(bucketItemKey(key, w.bucket, w.page)));
        if (!item) continue;
        pages.set(w.bucket, [...(pages.get(w.bucket) ?? []), item]);
        if (item[A.frozen]?.BOOL === true && item[A.saturated]?.BOOL !== true) next.push({ ...w, page: w.page + 1 });
      }
      wanted = next;
    }
    return pages;
  }

  // ---- alert claims ----

  async lastAlert(key: string, now: number): Promise<AlertClaim | undefined> {
    const item = await this.getItem('lastAlert', claimItemKey(key));
    return item && isLive(item, now) && item[C.alertId] ? claimOf(item) : undefined;
  }

  async claimAlert(claim: AlertClaim, previousAlertId: string | undefined, now: number): Promise<boolean> {
    const x = new Expression();
    const digest = { BS: [claimDigest(claim.alertId)] };
    const [notificationName, notification] = encodeNotification(claim.notification);
    if (previousAlertId === undefined) {
      // No live claim: none ever, or only an expired one (TTL may not have deleted it yet).
      x.when(`attribute_not_exists(${x.n(C.alertId)}) OR ${x.n(A.exp)} <= ${x.v(seconds(now))}`);
      x.set(C.claimed, digest); // an expired chain's ids are forgotten with it
    } else {
      x.when(`${x.n(C.alertId)} = ${x.v(str(previousAlertId))}`);
      x.when(`${x.n(A.exp)} > ${x.v(seconds(now))}`);
      x.add(C.claimed, digest);
    }
    x.when(`NOT contains(${x.n(C.claimed)}, ${x.v({ B: claimDigest(claim.alertId) })})`);
    x.set(C.alertId, str(claim.alertId));
    x.set(C.threadId, str(claim.threadId));
    x.set(C.windowEndBucket, num(claim.windowEndBucket));
    x.set(C.status, str(claim.status));
    x.set(C.leaseUntil, num(claim.leaseUntil));
    x.set(A.exp, num(claim.expiresAt));
    x.set(notificationName, notification);
    x.remove(notificationName === C.json ? C.gzip : C.json);
    if (claim.thread) x.set(C.thread, str(JSON.stringify(claim.thread)));
    else x.remove(C.thread);
    if (claim.threadOpen !== undefined) x.set(C.threadOpen, { BOOL: claim.threadOpen });
    else x.remove(C.threadOpen);
    if (claim.status === 'pending') x.set(C.pending, str(PENDING_PARTITION));
    else if (claim.threadOpen) x.set(C.pending, str(OPEN_THREAD_PARTITION));
    else x.remove(C.pending);
    return (await this.update('claimAlert', x.input(this.table, claimItemKey(claim.key)))) !== CONDITION_FAILED;
  }

  async markSent(key: string, alertId: string, _now: number): Promise<void> {
    // An alert's thread stays listed (open-thread partition of the index) until its summary is claimed; other
    // claims leave the index. Two conditional forms, so each is one write; a claim is only one of them.
    for (const open of [true, false]) {
      const x = new Expression();
      x.when(`${x.n(C.alertId)} = ${x.v(str(alertId))}`);
      x.when(`${x.n(C.status)} = ${x.v(str('pending'))}`);
      if (open) x.when(`${x.n(C.threadOpen)} = ${x.v({ BOOL: true })}`);
      else x.absentOr(C.threadOpen, '=', { BOOL: false });
      x.set(C.status, str('sent'));
      if (open) x.set(C.pending, str(OPEN_THREAD_PARTITION));
      else x.remove(C.pending);
      // A failed condition means the other form applies, it is sent already, or it is no longer the latest claim.
      if ((await this.update('markSent', x.input(this.table, claimItemKey(key)))) !== CONDITION_FAILED) return;
    }
  }

  async openThreads(now: number): Promise<AlertClaim[]> {
    const keys = await this.queryAll('openThreads', {
      TableName: this.table,
      IndexName: PENDING_INDEX,
      KeyConditionExpression: '#pq = :t',
      ExpressionAttributeNames: { '#pq': C.pending },
      ExpressionAttributeValues: { ':t': str(OPEN_THREAD_PARTITION) },
    });
    // The index is eventually consistent: confirm each claim on the table itself.
    const items = await this.batchGet(
      'openThreads',
      keys.map((k) => ({ [A.pk]: k[A.pk] as AttributeValue, [A.sk]: k[A.sk] as AttributeValue })),
      true,
    );
    return [...items.values()]
      .filter(
        (item) => item[C.threadOpen]?.BOOL === true && stringOf(item[C.status]) !== 'pending' && isLive(item, now),
      )
      .map(claimOf)
      .sort((a, b) => a.windowEndBucket - b.windowEndBucket || a.key.localeCompare(b.key));
  }

  async closeThread(key: string, alertId: string, _now: number): Promise<void> {
    const x = new Expression();
    x.when(`${x.n(C.alertId)} = ${x.v(str(alertId))}`);
    x.when(`${x.n(C.status)} <> ${x.v(str('pending'))}`);
    x.set(C.threadOpen, { BOOL: false });
    x.remove(C.pending);
    // A failed condition: a newer claim replaced it (and owns the thread now), or it is gone.
    await this.update('closeThread', x.input(this.table, claimItemKey(key)));
  }

  // ---- mutes (one small partition: a handful of items, read once per evaluation) ----

  async putMute(mute: Mute, _now: number): Promise<void> {
    const x = new Expression();
    x.set(M.key, str(mute.key));
    if (mute.signal !== undefined) x.set(M.signal, str(mute.signal));
    else x.remove(M.signal);
    x.set(M.until, num(mute.until));
    x.set(M.reason, str(mute.reason));
    x.set(M.by, str(mute.by));
    x.set(M.createdAt, num(mute.createdAt));
    x.set(A.exp, num(Math.ceil(mute.until / 1000)));
    await this.update('putMute', x.input(this.table, this.muteItemKey(mute.key, mute.signal)));
  }

  async deleteMutes(key: string, now: number): Promise<number> {
    const mine = (await this.readMutes('deleteMutes', 0)).filter((m) => m.key === key);
    for (const m of mine) {
      try {
        await this.client.send(
          new DeleteItemCommand({ TableName: this.table, Key: this.muteItemKey(m.key, m.signal) }),
        );
      } catch (error) {
        throw new StoreError('deleteMutes', { cause: error });
      }
    }
    return mine.filter((m) => m.until > now).length;
  }

  async listMutes(now: number): Promise<Mute[]> {
    return this.readMutes('listMutes', now);
  }

  private muteItemKey(key: string, signal: string | undefined): Item {
    return { [A.pk]: str(MUTE_PARTITION), [A.sk]: str(muteSortKey(key, signal)) };
  }

  /** Mutes still in force at `now` (TTL deletion lags, so expiry is also filtered here). */
  private async readMutes(operation: string, now: number): Promise<Mute[]> {
    const items = await this.queryAll(operation, {
      TableName: this.table,
      KeyConditionExpression: '#pk = :m',
      ExpressionAttributeNames: { '#pk': A.pk },
      ExpressionAttributeValues: { ':m': str(MUTE_PARTITION) },
      ConsistentRead: true,
    });
    return items
      .map((item) => ({
        key: stringOf(item[M.key]),
        ...(item[M.signal]?.S !== undefined ? { signal: stringOf(item[M.signal]) } : {}),
        until: numberOf(item[M.until]) ?? 0,
        reason: stringOf(item[M.reason]),
        by: stringOf(item[M.by]),
        createdAt: numberOf(item[M.createdAt]) ?? 0,
      }))
      .filter((m) => m.until > now);
  }

  async unsentAlerts(now: number): Promise<AlertClaim[]> {
    const keys = await this.queryAll('unsentAlerts', {
      TableName: this.table,
      IndexName: PENDING_INDEX,
      KeyConditionExpression: '#pq = :p AND #lu <= :now',
      ExpressionAttributeNames: { '#pq': C.pending, '#lu': C.leaseUntil },
      ExpressionAttributeValues: { ':p': str(PENDING_PARTITION), ':now': num(now) },
    });
    // The index is eventually consistent: confirm each claim on the table itself.
    const items = await this.batchGet(
      'unsentAlerts',
      keys.map((k) => ({ [A.pk]: k[A.pk] as AttributeValue, [A.sk]: k[A.sk] as AttributeValue })),
      true,
    );
    return [...items.values()]
      .filter(
        (item) =>
          stringOf(item[C.status]) === 'pending' && (numberOf(item[C.leaseUntil]) ?? 0) <= now && isLive(item, now),
      )
      .map(claimOf)
      .sort((a, b) => a.leaseUntil - b.leaseUntil || a.alertId.localeCompare(b.alertId));
  }

  async renewLease(key: string, alertId: string, leaseUntil: number, now: number): Promise<boolean> {
    const x = new Expression();
    x.when(`${x.n(C.alertId)} = ${x.v(str(alertId))}`);
    x.when(`${x.n(C.status)} = ${x.v(str('pending'))}`);
    x.when(`${x.n(C.leaseUntil)} <= ${x.v(num(now))}`);
    x.set(C.leaseUntil, num(leaseUntil));
    return (await this.update('renewLease', x.input(this.table, claimItemKey(key)))) !== CONDITION_FAILED;
  }

  // ---- SDK calls (errors translated here, nowhere else) ----

  private async update(operation: string, input: UpdateItemCommandInput): Promise<Item | typeof CONDITION_FAILED> {
    try {
      const out = await this.client.send(new UpdateItemCommand(input));
      return out.Attributes ?? {};
    } catch (error) {
      if (isConditionFailure(error)) return CONDITION_FAILED;
      throw new StoreError(operation, { cause: error });
    }
  }

  private async getItem(operation: string, key: Item, consistent = true): Promise<Item | undefined> {
    try {
      const out = await this.client.send(
        new GetItemCommand({ TableName: this.table, Key: key, ConsistentRead: consistent }),
      );
      return out.Item;
    } catch (error) {
      throw new StoreError(operation, { cause: error });
    }
  }

  private async queryAll(operation: string, input: QueryCommandInput): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      try {
        const out = await this.client.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
        items.push(...(out.Items ?? []));
        start = out.LastEvaluatedKey;
      } catch (error) {
        throw new StoreError(operation, { cause: error });
      }
    } while (start);
    return items;
  }

  /** BatchGetItem in chunks of 100, retrying unprocessed keys with backoff. Returns items by `pk␀sk`. */
  private async batchGet(operation: string, keys: readonly Item[], consistent: boolean): Promise<Map<string, Item>> {
    const found = new Map<string, Item>();
    const chunks: Item[][] = [];
    for (let i = 0; i < keys.length; i += 100) chunks.push(keys.slice(i, i + 100));
    await mapLimit(chunks, this.concurrency, async (chunk) => {
      let pending: Item[] = chunk;
      for (let round = 0; pending.length > 0; round++) {
        if (round === MAX_BATCH_ROUNDS) {
          throw new StoreError(operation, { cause: new Error(`${pending.length} keys still unprocessed`) });
        }
        if (round > 0) await sleep(25 * 2 ** round);
        try {
          const out = await this.client.send(
            new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: consistent } } }),
          );
          for (const item of out.Responses?.[this.table] ?? []) found.set(itemId(item), item);
          pending = out.UnprocessedKeys?.[this.table]?.Keys ?? [];
        } catch (error) {
          throw new StoreError(operation, { cause: error });
        }
      }
    });
    return found;
  }
}
