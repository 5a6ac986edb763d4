/**
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
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { Notification } from '../../engine/alert';
import { StoreError } from '../../engine/errors';
import {
  type AlertClaim,
  type BucketState,
  type ClaimStatus,
  CONTEXT_VALUES_LIMIT,
  type CountedEvent,
  type EventContext,
  OTHER_VALUE,
  type RecordOptions,
  type RecordOutcome,
  type WindowStore,
} from '../../engine/ports';
import { ACTIVE_SHARDS, ATTR, itemSize, PENDING_INDEX } from './table';

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
}

type Item = Record<string, AttributeValue>;

// ---- item layout (docs/table-design.md) --------------------------------------------------------------------------

/** Bucket page attributes. Names are 1–3 characters because names are billed as item bytes on every write. */
const A = {
  pk: ATTR.partitionKey,
  sk: ATTR.sortKey,
  exp: ATTR.expiresAt,
  /** events counted in this page (N) */
  events: 'n',
  /** 6-byte digests of the eventIds counted in this page (BS); removed when the bucket saturates */
  ids: 'ids',
  /** distinct tokens first seen in this page (SS) */
  values: 'v',
  /** the bucket saturated in this page (BOOL) */
  saturated: 'z',
  /** this page is full; the bucket continues in the next page (BOOL) */
  frozen: 'fz',
  firstSeen: 'fs',
  lastSeen: 'ls',
  /** identity of the page's latest event (M: a, u, n, t, k; r, m, c, b, v only when present) */
  identity: 'id',
  /** bytes of value text stored inline (N; page 1 only) */
  inlineBytes: 'tb',
  /** some value text lives in the side item (BOOL) */
  spilled: 'sp',
} as const;

/** Claim item attributes (one item per key: its latest claim). */
const C = {
  alertId: 'aid',
  /** 8-byte digests of every alertId claimed through this item (BS) */
  claimed: 'cl',
  threadId: 'thr',
  windowEndBucket: 'web',
  status: 'st',
  leaseUntil: ATTR.leaseUntil,
  pending: ATTR.pending,
  /** notification JSON (S), or gzip of it (B) when large */
  json: 'nj',
  gzip: 'nz',
} as const;

const PENDING_PARTITION = 'P';
const CLAIM_SORT_KEY = 'A';

/** Context fields: one-letter tag, BucketState property, values an event contributes. */
const FIELDS = [
  { tag: 'e', prop: 'eventNames', of: (c: EventContext) => [c.eventName] },
  { tag: 'i', prop: 'sourceIps', of: (c: EventContext) => [c.sourceIp] },
  { tag: 'u', prop: 'userAgents', of: (c: EventContext) => [c.userAgent] },
  { tag: 'r', prop: 'regions', of: (c: EventContext) => [c.region] },
  { tag: 's', prop: 'secrets', of: (c: EventContext) => c.secretIds },
] as const;
type Field = (typeof FIELDS)[number];
type FieldTag = Field['tag'];
type FieldProp = Field['prop'];
const NO_FIELDS: Readonly<Record<FieldTag, number>> = { e: 0, i: 0, u: 0, r: 0, s: 0 };

/** Counter of one value in a page: `c` + field tag + 8-char digest (N). Its text: `t` + tag + digest (S). */
const counterName = (tag: FieldTag, digest: string) => `c${tag}${digest}`;
const textName = (tag: FieldTag, digest: string) => `t${tag}${digest}`;
const otherName = (tag: FieldTag) => `c${tag}~`;
/** Values of the field that this page introduced to the bucket (N); the bucket keeps ≤ CONTEXT_VALUES_LIMIT. */
const freshCountName = (tag: FieldTag) => `n${tag}`;
const COUNTER_PATTERN = /^c([eiurs])(.+)$/;

/**
 * The texts of a bucket's first event are kept in its first page if they total at most this many bytes (a typical
 * event's eventName + IP + agent + region + secret id fit, so a one-event bucket is one write below 1 KB). Values
 * first seen later keep only their counter in the bucket; their text goes to the side item, written once per new
 * value, so a busy bucket grows by ~12 bytes per distinct value instead of by its text. Hard limit (a condition).
 */
export const INLINE_TEXT_BUDGET = 512;
/**
 * Bytes of the eventId digests kept for dedup. Each byte carries 7 bits (see `digest7`), so the odds that two of 200
 * distinct eventIds of a bucket collide are 200² / 2 / 2^49 ≈ 4e-11 (a collision would undercount that bucket by one).
 */
export const ID_DIGEST_BYTES = 7;
/** A page is frozen by the write after which the next similar event would take it past this size (one write unit). */
export const PAGE_BYTES = 1024;
/** Pages of one bucket are `key`, `key␟2`, `key␟3`, … (IAM identifiers never contain the unit separator). */
const PAGE_SEPARATOR = '\u001f';
/** Side items outlive their bucket by this much, so a bucket never outlives its value texts. */
const SIDE_TTL_MARGIN_SECONDS = 86_400;
/** Notifications larger than this are stored gzipped (claims are rewritten whole by markSent and renewLease). */
const CLAIM_JSON_INLINE_LIMIT = 16 * 1024;
/** Stay clear of the 400 KB item limit (the rest of the claim item is small). */
const CLAIM_NOTIFICATION_MAX = 380 * 1024;
/** Conditional attempts per event before giving up (each retry needs another writer to have changed the page). */
const MAX_ATTEMPTS = 16;
/** BatchGetItem rounds for unprocessed keys. */
const MAX_BATCH_ROUNDS = 8;
/** A look-back longer than a week is a caller bug, not a query plan. */
const MAX_RANGE_BUCKETS = 7 * 24 * 60;

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();
const valueDigest = (value: string) => sha256(value).toString('base64url').slice(0, 8);
/**
 * The first `bytes` bytes of SHA-256 with the top bit cleared. AWS compares binary set members byte for byte, but
 * dynalite decodes them as UTF-8 first, so two digests with different high bytes can both read as U+FFFD there and
 * `contains` would see a duplicate that is not one. 7-bit bytes are plain ASCII: the same answer everywhere.
 */
export function digest7(text: string, bytes: number): Buffer {
  return Buffer.from(
    sha256(text)
      .subarray(0, bytes)
      .map((b) => b & 0x7f),
  );
}
const idDigest = (eventId: string) => digest7(eventId, ID_DIGEST_BYTES);

/** Which of the ACTIVE_SHARDS partitions of a minute holds `key`. */
export function shardOf(key: string): number {
  return sha256(key).readUInt32BE(0) % ACTIVE_SHARDS;
}
export const bucketPartition = (bucket: number, shard: number) => `B#${bucket}#${shard}`;
const sidePartition = (bucket: number, shard: number) => `C#${bucket}#${shard}`;
const claimPartition = (key: string) => `A#${key}`;
const pageSortKey = (key: string, page: number) => (page === 1 ? key : `${key}${PAGE_SEPARATOR}${page}`);

/** Key of page `page` (1 = the bucket's first item) of (key, bucket). */
export function bucketItemKey(key: string, bucket: number, page = 1): Item {
  return { [A.pk]: { S: bucketPartition(bucket, shardOf(key)) }, [A.sk]: { S: pageSortKey(key, page) } };
}
function sideItemKey(key: string, bucket: number): Item {
  return { [A.pk]: { S: sidePartition(bucket, shardOf(key)) }, [A.sk]: { S: key } };
}
function claimItemKey(key: string): Item {
  return { [A.pk]: { S: claimPartition(key) }, [A.sk]: { S: CLAIM_SORT_KEY } };
}

const num = (n: number): AttributeValue => ({ N: String(n) });
const str = (s: string): AttributeValue => ({ S: s });
const seconds = (nowMs: number) => num(nowMs / 1000);
const numberOf = (v: AttributeValue | undefined): number | undefined => (v?.N === undefined ? undefined : Number(v.N));
const stringOf = (v: AttributeValue | undefined): string => v?.S ?? '';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** (key, page) of a bucket page item, from its sort key. */
function pageOf(item: Item): { key: string; page: number } {
  const sk = stringOf(item[A.sk]);
  const at = sk.indexOf(PAGE_SEPARATOR);
  return at < 0 ? { key: sk, page: 1 } : { key: sk.slice(0, at), page: Number(sk.slice(at + 1)) };
}

// ---- views of a bucket -------------------------------------------------------------------------------------------

/** What this container last saw of one page. Everything in it only grows (or, for firstSeen, shrinks). */
interface PageSnapshot {
  readonly size: number;
  readonly events: number;
  readonly saturated: boolean;
  readonly frozen: boolean;
  readonly values: ReadonlySet<string>;
  /** Hex eventId digests (a lower bound for the open page: it only grows, until the bucket saturates). */
  readonly ids: ReadonlySet<string>;
  readonly firstSeen: number | undefined;
  readonly lastSeen: number | undefined;
  readonly expiresAt: number | undefined;
  /** Names of the value counters present in the page. */
  readonly counters: ReadonlySet<string>;
  /** Values each field gained in this page (new to the bucket). */
  readonly fresh: Readonly<Record<FieldTag, number>>;
  readonly inlineBytes: number;
}

/** The exact union of a bucket's frozen pages. */
interface Frozen {
  readonly events: number;
  readonly values: ReadonlySet<string>;
  readonly ids: ReadonlySet<string>;
  readonly counters: ReadonlySet<string>;
  readonly distinct: Readonly<Record<FieldTag, number>>;
}

/** A container's view of a bucket: frozen pages (exact) and the open page (possibly stale). */
interface BucketView {
  readonly page: number;
  readonly frozen: Frozen;
  readonly open: PageSnapshot;
}

const EMPTY_PAGE: PageSnapshot = {
  size: 0,
  events: 0,
  saturated: false,
  frozen: false,
  values: new Set(),
  ids: new Set(),
  firstSeen: undefined,
  lastSeen: undefined,
  expiresAt: undefined,
  counters: new Set(),
  fresh: NO_FIELDS,
  inlineBytes: 0,
};
const NOTHING_FROZEN: Frozen = {
  events: 0,
  values: new Set(),
  ids: new Set(),
  counters: new Set(),
  distinct: NO_FIELDS,
};
const NEW_BUCKET: BucketView = { page: 1, frozen: NOTHING_FROZEN, open: EMPTY_PAGE };

function pageSnapshot(item: Item | undefined): PageSnapshot {
  if (!item) return EMPTY_PAGE;
  const counters = new Set<string>();
  for (const name of Object.keys(item)) if (COUNTER_PATTERN.test(name)) counters.add(name);
  const fresh = { ...NO_FIELDS };
  for (const f of FIELDS) fresh[f.tag] = numberOf(item[freshCountName(f.tag)]) ?? 0;
  return {
    size: itemSize(item),
    events: numberOf(item[A.events]) ?? 0,
    saturated: item[A.saturated]?.BOOL === true,
    frozen: item[A.frozen]?.BOOL === true,
    values: new Set(item[A.values]?.SS ?? []),
    ids: new Set((item[A.ids]?.BS ?? []).map(hex)),
    firstSeen: numberOf(item[A.firstSeen]),
    lastSeen: numberOf(item[A.lastSeen]),
    expiresAt: numberOf(item[A.exp]),
    counters,
    fresh,
    inlineBytes: numberOf(item[A.inlineBytes]) ?? 0,
  };
}

function freeze(into: Frozen, page: PageSnapshot): Frozen {
  const distinct = { ...into.distinct };
  for (const f of FIELDS) distinct[f.tag] += page.fresh[f.tag];
  return {
    events: into.events + page.events,
    values: new Set([...into.values, ...page.values]),
    ids: new Set([...into.ids, ...page.ids]),
    counters: new Set([...into.counters, ...page.counters]),
    distinct,
  };
}

/** The view after seeing `page` as page number `number` on top of `view`'s frozen pages. */
function advance(view: BucketView, number: number, page: PageSnapshot): BucketView {
  return page.frozen && !page.saturated
    ? { page: number + 1, frozen: freeze(view.frozen, page), open: EMPTY_PAGE }
    : { page: number, frozen: view.frozen, open: page };
}

// ---- expressions -------------------------------------------------------------------------------------------------

/** Collects placeholders and clauses of one UpdateItem. */
class Expression {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, AttributeValue> = {};
  private readonly nameIds = new Map<string, string>();
  private readonly sets: string[] = [];
  private readonly adds: string[] = [];
  private readonly removes: string[] = [];
  private readonly conditions: string[] = [];

  n(attribute: string): string {
    let id = this.nameIds.get(attribute);
    if (!id) {
      id = `#${this.nameIds.size}`;
      this.nameIds.set(attribute, id);
      this.names[id] = attribute;
    }
    return id;
  }
  v(value: AttributeValue): string {
    const id = `:${Object.keys(this.values).length}`;
    this.values[id] = value;
    return id;
  }
  set(attribute: string, value: AttributeValue): void {
    this.sets.push(`${this.n(attribute)} = ${this.v(value)}`);
  }
  add(attribute: string, value: AttributeValue): void {
    this.adds.push(`${this.n(attribute)} ${this.v(value)}`);
  }
  remove(attribute: string): void {
    this.removes.push(this.n(attribute));
  }
  when(condition: string): void {
    this.conditions.push(`(${condition})`);
  }
  /** `attribute` is absent or `op value` holds. */
  absentOr(attribute: string, op: string, value: AttributeValue): void {
    const a = this.n(attribute);
    this.when(`attribute_not_exists(${a}) OR ${a} ${op} ${this.v(value)}`);
  }
  input(
    tableName: string,
    key: Item,
  ): Pick<
    UpdateItemCommandInput,
    | 'TableName'
    | 'Key'
    | 'UpdateExpression'
    | 'ConditionExpression'
    | 'ExpressionAttributeNames'
    | 'ExpressionAttributeValues'
  > {
    const clauses = [
      this.sets.length ? `SET ${this.sets.join(', ')}` : '',
      this.adds.length ? `ADD ${this.adds.join(', ')}` : '',
      this.removes.length ? `REMOVE ${this.removes.join(', ')}` : '',
    ].filter(Boolean);
    return {
      TableName: tableName,
      Key: key,
      UpdateExpression: clauses.join(' '),
      ConditionExpression: this.conditions.length ? this.conditions.join(' AND ') : undefined,
      ExpressionAttributeNames: this.names,
      ExpressionAttributeValues: Object.keys(this.values).length ? this.values : undefined,
    };
  }
}

interface Plan {
  readonly expression: Expression;
  /** Text attributes to write to the side item first (name -> text). */
  readonly spill: ReadonlyMap<string, string>;
}

/** Values of one field in one event, distinct in first-seen order, with how many times the event carries each. */
function tally(values: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const v of values) out.set(v, (out.get(v) ?? 0) + 1);
  return out;
}

/** Bytes a counter adds to a page: name (1 + 1 + 8) and a small number. */
const COUNTER_BYTES = 12;

/**
 * Plans the UpdateItem of the open page that counts `e`, given view `view` (whose frozen part is exact). Every
 * decision taken from the open page's snapshot is either safe because that state only grows, or asserted by a
 * condition; see the module comment.
 */
function planRecord(e: CountedEvent, id: Buffer, view: BucketView, saturation: number, pageBytes: number): Plan {
  const { frozen: f, open: s } = view;
  const x = new Expression();
  const spill = new Map<string, string>();
  let growth = ID_DIGEST_BYTES;

  // Dedup (frozen pages were checked by the caller), the saturation cap, and the page still open.
  x.when(`NOT contains(${x.n(A.ids)}, ${x.v({ B: id })})`);
  x.when(`attribute_not_exists(${x.n(A.saturated)})`);
  x.when(`attribute_not_exists(${x.n(A.frozen)})`);

  // EventIds are kept (and counted) up to `saturation`, like the memory store. `room` is how many the open page may
  // still take; a snapshot that says there is none is right (counts only grow).
  const room = saturation - f.events;
  const keepsId = s.events < room;
  const eventsFull = !keepsId || s.events + 1 >= room;
  if (keepsId) {
    // Page n ≤ room − 1 before the add; when not filling up, ≤ room − 2 so the add cannot silently fill it.
    x.absentOr(A.events, '<', num(eventsFull ? room : room - 1));
    x.add(A.events, num(1));
  } else {
    growth -= ID_DIGEST_BYTES;
  }

  // Distinct tokens of the bucket, capped at `saturation` in arrival order (like the memory store).
  const held = f.values.size + s.values.size;
  const fresh = [...new Set(e.values)].filter((t) => !f.values.has(t) && !s.values.has(t));
  const take = fresh.slice(0, Math.max(0, saturation - held));
  const valuesFull = held + take.length >= saturation;
  if (take.length > 0) {
    const v = x.n(A.values);
    if (valuesFull) {
      // Sets only grow: equal size means equal to the snapshot, so `take` is exactly what the cap lets in.
      if (s.values.size === 0) x.when(`attribute_not_exists(${v})`);
      else x.when(`size(${v}) = ${x.v(num(s.values.size))}`);
    } else {
      // size ≤ saturation − held_frozen − take − 1 before the add, so the add cannot silently fill the set.
      x.when(`attribute_not_exists(${v}) OR size(${v}) < ${x.v(num(saturation - f.values.size - take.length))}`);
    }
    x.add(A.values, { SS: take });
    for (const t of take) growth += Buffer.byteLength(t, 'utf8');
  }

  // The bucket saturates on its key's measure (CountedEvent.saturateOn).
  const saturates = (e.saturateOn ?? 'events') === 'values' ? valuesFull : eventsFull;
  if (saturates) {
    x.set(A.saturated, { BOOL: true });
    x.remove(A.ids); // no longer needed: a saturated bucket counts nothing more
  } else if (keepsId) {
    x.add(A.ids, { BS: [id] });
  }

  // Context: per-value counters, at most CONTEXT_VALUES_LIMIT values per field in the bucket; the rest under OTHER.
  let inline = s.inlineBytes;
  let inlineAdded = 0;
  const firstWrite = view.page === 1 && s.events === 0;
  for (const field of FIELDS) {
    let added = 0;
    let other = 0;
    for (const [value, count] of tally(field.of(e.context))) {
      const digest = valueDigest(value);
      const counter = counterName(field.tag, digest);
      if (s.counters.has(counter)) {
        x.add(counter, num(count));
      } else if (f.counters.has(counter)) {
        x.add(counter, num(count)); // known to the bucket: a page-local counter, summed on read
        growth += COUNTER_BYTES;
      } else if (f.distinct[field.tag] + s.fresh[field.tag] + added < CONTEXT_VALUES_LIMIT) {
        added++;
        x.when(`attribute_not_exists(${x.n(counter)})`);
        x.add(counter, num(count));
        growth += COUNTER_BYTES;
        const bytes = Buffer.byteLength(value, 'utf8');
        if (firstWrite && inline + bytes <= INLINE_TEXT_BUDGET) {
          inline += bytes;
          inlineAdded += bytes;
          x.set(textName(field.tag, digest), str(value));
        } else {
          spill.set(textName(field.tag, digest), value);
        }
      } else {
        other += count;
      }
    }
    if (added > 0) {
      // Keeps the bucket at ≤ CONTEXT_VALUES_LIMIT values; when it fills up here, it pins the page's count to the
      // snapshot's, so the values sent to OTHER are exactly the ones the memory store would send there.
      x.absentOr(freshCountName(field.tag), '<=', num(CONTEXT_VALUES_LIMIT - f.distinct[field.tag] - added));
      x.add(freshCountName(field.tag), num(added));
    }
    if (other > 0) {
      x.add(otherName(field.tag), num(other));
      growth += COUNTER_BYTES;
    }
  }
  if (inlineAdded > 0) {
    // A hard bound: concurrent first writers cannot both fill the budget (the loser re-plans and spills).
    x.absentOr(A.inlineBytes, '<=', num(INLINE_TEXT_BUDGET - inlineAdded));
    x.add(A.inlineBytes, num(inlineAdded));
  }
  if (spill.size > 0) x.set(A.spilled, { BOOL: true });

  // First/last seen, the latest identity and the TTL of the page: only written when this event moves them.
  const t = e.context.eventTime;
  if (s.firstSeen === undefined || t < s.firstSeen) {
    x.absentOr(A.firstSeen, '>=', num(t));
    x.set(A.firstSeen, num(t));
  }
  if (s.lastSeen === undefined || t >= s.lastSeen) {
    x.absentOr(A.lastSeen, '<=', num(t));
    x.set(A.lastSeen, num(t));
    const c = e.context;
    // Investigation fields only when present, to keep the hot item small.
    const m: Record<string, AttributeValue> = {
      a: str(c.accountId),
      u: str(c.userArn),
      n: str(c.userName),
      t: str(c.identityType),
      k: str(c.accessKeyId),
    };
    if (c.sessionIssuerArn) m.r = str(c.sessionIssuerArn);
    if (c.mfaAuthenticated !== undefined) m.m = { BOOL: c.mfaAuthenticated };
    if (c.fromConsole) m.c = { BOOL: true };
    if (c.invokedBy) m.b = str(c.invokedBy);
    if (c.vpcEndpointId) m.v = str(c.vpcEndpointId);
    if (c.sourceIdentity) m.s = str(c.sourceIdentity);
    x.set(A.identity, { M: m });
  }
  if (s.expiresAt === undefined || e.expiresAt > s.expiresAt) {
    x.absentOr(A.exp, '<=', num(e.expiresAt));
    x.set(A.exp, num(e.expiresAt));
  }

  // Freeze the page with this write if the next similar event would take it past one write unit.
  if (!saturates && s.events > 0 && s.size + 2 * growth > pageBytes) x.set(A.frozen, { BOOL: true });
  return { expression: x, spill };
}

/**
 * A bucket that saturates on distinct values never saturates on repeats (ports.ts: CountedEvent.saturateOn): once it
 * holds `saturation` eventIds, an event without a new token changes only its context counts. Those events are
 * answered 'counted' from memory without a write, so a key re-reading one secret thousands of times a minute costs
 * no more than one that saturates; the bucket's context counts, lastSeen and identity are then lower bounds / as of
 * the last written event, like its event count.
 */
function quietRepeat(e: CountedEvent, view: BucketView, saturation: number): boolean {
  if ((e.saturateOn ?? 'events') !== 'values') return false;
  if (view.frozen.events + view.open.events < saturation) return false;
  return e.values.every((t) => view.frozen.values.has(t) || view.open.values.has(t));
}

/** Merges the pages of one bucket (any order) into the state the engine reads. */
function bucketStateOf(bucket: number, pages: readonly Item[], side: Item | undefined): BucketState {
  // Maps, not plain objects: value texts are attacker-chosen, and a text such as `constructor` or `__proto__` used as
  // an object key would read (and clobber) Object.prototype members instead of counting.
  const counts: Record<FieldProp, Map<string, number>> = {
    eventNames: new Map(),
    sourceIps: new Map(),
    userAgents: new Map(),
    regions: new Map(),
    secrets: new Map(),
  };
  const props = Object.fromEntries(FIELDS.map((f) => [f.tag, f.prop])) as Record<FieldTag, FieldProp>;
  const texts: Item = { ...side };
  for (const page of pages) Object.assign(texts, page);
  let events = 0;
  let saturated = false;
  const values = new Set<string>();
  let firstSeen = Number.POSITIVE_INFINITY;
  let lastSeen = Number.NEGATIVE_INFINITY;
  let latest: { page: number; identity: Record<string, AttributeValue> } | undefined;
  for (const item of pages) {
    events += numberOf(item[A.events]) ?? 0;
    saturated ||= item[A.saturated]?.BOOL === true;
    for (const token of item[A.values]?.SS ?? []) values.add(token);
    firstSeen = Math.min(firstSeen, numberOf(item[A.firstSeen]) ?? Number.POSITIVE_INFINITY);
    const ls = numberOf(item[A.lastSeen]) ?? Number.NEGATIVE_INFINITY;
    const { page } = pageOf(item);
    // Ties go to the later page: its events arrived later, as in the memory store.
    if (ls > lastSeen || (ls === lastSeen && page > (latest?.page ?? 0))) {
      latest = { page, identity: item[A.identity]?.M ?? {} };
    }
    lastSeen = Math.max(lastSeen, ls);
    for (const [name, value] of Object.entries(item)) {
      const m = COUNTER_PATTERN.exec(name);
      if (!m) continue;
      const tag = m[1] as FieldTag;
      const rest = m[2] ?? '';
      // A text can only be missing if its side item was lost: show the digest rather than drop the count.
      const text = rest === '~' ? OTHER_VALUE : (texts[textName(tag, rest)]?.S ?? `#${rest}`);
      const target = counts[props[tag]];
      target.set(text, (target.get(text) ?? 0) + (numberOf(value) ?? 0));
    }
  }
  const identity = latest?.identity ?? {};
  return {
    bucket,
    events,
    values: [...values],
    saturated,
    firstSeen: Number.isFinite(firstSeen) ? firstSeen : 0,
    lastSeen: Number.isFinite(lastSeen) ? lastSeen : 0,
    // Object.fromEntries defines own data properties, so even `__proto__` becomes an ordinary key.
    eventNames: Object.fromEntries(counts.eventNames),
    sourceIps: Object.fromEntries(counts.sourceIps),
    userAgents: Object.fromEntries(counts.userAgents),
    regions: Object.fromEntries(counts.regions),
    secrets: Object.fromEntries(counts.secrets),
    identity: {
      accountId: stringOf(identity.a),
      userArn: stringOf(identity.u),
      userName: stringOf(identity.n),
      identityType: stringOf(identity.t),
      accessKeyId: stringOf(identity.k),
      ...(identity.r ? { sessionIssuerArn: stringOf(identity.r) } : {}),
      ...(identity.m?.BOOL !== undefined ? { mfaAuthenticated: identity.m.BOOL } : {}),
      ...(identity.c?.BOOL ? { fromConsole: true } : {}),
      ...(identity.b ? { invokedBy: stringOf(identity.b) } : {}),
      ...(identity.v ? { vpcEndpointId: stringOf(identity.v) } : {}),
      ...(identity.s ? { sourceIdentity: stringOf(identity.s) } : {}),
    },
  };
}

/** A bucket is live while any of its pages is (pages of a bucket normally share one expiry). */
const bucketLive = (pages: readonly Item[], nowMs: number) => pages.some((p) => isLive(p, nowMs));

// ---- claims ------------------------------------------------------------------------------------------------------

const claimDigest = (alertId: string) => digest7(alertId, 8);

function encodeNotification(notification: Notification): [string, AttributeValue] {
  const json = JSON.stringify(notification);
  if (Buffer.byteLength(json, 'utf8') <= CLAIM_JSON_INLINE_LIMIT) return [C.json, str(json)];
  const packed = gzipSync(json);
  if (packed.byteLength > CLAIM_NOTIFICATION_MAX) {
    throw new StoreError('claimAlert', {
      cause: new RangeError(
        `notification is ${packed.byteLength} bytes gzipped; a claim holds ${CLAIM_NOTIFICATION_MAX}`,
      ),
    });
  }
  return [C.gzip, { B: packed }];
}

function claimOf(item: Item): AlertClaim {
  const packed = item[C.gzip]?.B;
  const json = packed ? gunzipSync(packed).toString('utf8') : stringOf(item[C.json]);
  return {
    alertId: stringOf(item[C.alertId]),
    key: stringOf(item[A.pk]).slice(2),
    threadId: stringOf(item[C.threadId]),
    windowEndBucket: numberOf(item[C.windowEndBucket]) ?? 0,
    status: stringOf(item[C.status]) as ClaimStatus,
    notification: JSON.parse(json) as Notification,
    leaseUntil: numberOf(item[C.leaseUntil]) ?? 0,
    expiresAt: numberOf(item[A.exp]) ?? 0,
  };
}

const bucketOfPartition = (partition: string) => Number(partition.split('#')[1]);

const isLive = (item: Item, nowMs: number) => (numberOf(item[A.exp]) ?? 0) * 1000 > nowMs;

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

export class DynamoDbWindowStore implements WindowStore {
  private readonly table: string;
  private readonly concurrency: number;
  private readonly cacheSize: number;
  /** `bucket␀key` -> view, in least-recently-used order; lives as long as the Lambda container. */
  private readonly views = new Map<string, BucketView>();
  private readonly lookBackReuseMs: number;
  private readonly pageBytes: number;
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

  private async recordOne(e: CountedEvent, { saturation, now }: RecordOptions): Promise<RecordOutcome> {
    if (e.key.includes(PAGE_SEPARATOR)) {
      throw new StoreError('record', { cause: new RangeError('a grouping key may not contain U+001F') });
    }
    const cacheKey = `${e.bucket}\u0000${e.key}`;
    let view = this.views.get(cacheKey) ?? NEW_BUCKET;
    if (view.open.saturated) return 'saturated'; // the per-container short-circuit: no call at all
    const id = idDigest(e.eventId);
    if (view.frozen.ids.has(hex(id)) || view.open.ids.has(hex(id))) return 'duplicate'; // ids are never forgotten
    if (quietRepeat(e, view, saturation)) return 'counted';
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
        this.remember(cacheKey, advance(view, view.page, pageSnapshot(written)), now);
        return 'counted';
      }
      // A true duplicate or saturation, a page frozen meanwhile, or a stale view: read the bucket and decide.
      // Repeated conflicts mean several writers on one hot bucket: back off a little, with jitter.
      if (attempt > 0) await sleep(Math.random() * Math.min(100, 5 * 2 ** attempt));
      view = await this.refresh(e.key, e.bucket, view);
      this.remember(cacheKey, view, now);
      if (view.frozen.ids.has(hex(id)) || view.open.ids.has(hex(id))) return 'duplicate';
      if (view.open.saturated) return 'saturated';
    }
    throw new StoreError('record', { cause: new Error(`no stable view after ${MAX_ATTEMPTS} attempts`) });
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
    this.views.delete(cacheKey);
    const expiresAt = view.open.expiresAt;
    if (expiresAt !== undefined && expiresAt * 1000 <= now) return;
    this.views.set(cacheKey, view);
    if (this.views.size > this.cacheSize) {
      const oldest = this.views.keys().next().value;
      if (oldest !== undefined) this.views.delete(oldest);
    }
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
        false,
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
    if (claim.status === 'pending') x.set(C.pending, str(PENDING_PARTITION));
    else x.remove(C.pending);
    return (await this.update('claimAlert', x.input(this.table, claimItemKey(claim.key)))) !== CONDITION_FAILED;
  }

  async markSent(key: string, alertId: string, _now: number): Promise<void> {
    const x = new Expression();
    x.when(`${x.n(C.alertId)} = ${x.v(str(alertId))}`);
    x.when(`${x.n(C.status)} = ${x.v(str('pending'))}`);
    x.set(C.status, str('sent'));
    x.remove(C.pending);
    // A failed condition means it is sent already or no longer the key's latest claim: nothing to do.
    await this.update('markSent', x.input(this.table, claimItemKey(key)));
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

  private async getItem(operation: string, key: Item): Promise<Item | undefined> {
    try {
      const out = await this.client.send(new GetItemCommand({ TableName: this.table, Key: key, ConsistentRead: true }));
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
