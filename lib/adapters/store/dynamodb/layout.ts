/**
 * Item layout of the window table: attribute names, partitions and sort keys of bucket pages, side items and
 * claims, the digests that keep ids short, and decoding pages into the engine's BucketState. Pure.
 */
/**
 * Item layout of the window table: attribute names, partitions and sort keys of bucket pages, side items and
 * claims, the digests that keep ids short, and decoding pages into the engine's BucketState. Pure.
 */
import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { type BucketState, type EventContext, OTHER_VALUE } from '../../../engine/ports';
import { ACTIVE_SHARDS, ATTR } from '../table';

export type Item = Record<string, AttributeValue>;

// ---- item layout (docs/table-design.md) --------------------------------------------------------------------------

/** Bucket page attributes. Names are 1–3 characters because names are billed as item bytes on every write. */
export const A = {
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
export const C = {
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
  /** the thread's state as of this claim, JSON (S) */
  thread: 'th',
  /** the thread still owes its burst summary (BOOL) */
  threadOpen: 'to',
} as const;

/** Mute item attributes (partition MUTE_PARTITION, sort key `key␟signal`, `*` for every signal). */
export const M = {
  key: 'mk',
  signal: 'ms',
  until: 'mu',
  reason: 'mr',
  by: 'mb',
  createdAt: 'mc',
} as const;
export const MUTE_PARTITION = 'M';
export const ALL_SIGNALS = '*';
export const muteSortKey = (key: string, signal: string | undefined) =>
  `${key}${PAGE_SEPARATOR}${signal ?? ALL_SIGNALS}`;

/** `pending` index partition of claims being published. */
export const PENDING_PARTITION = 'P';
/** `pending` index partition of sent (or muted) claims whose thread still owes its burst summary. */
export const OPEN_THREAD_PARTITION = 'T';
export const CLAIM_SORT_KEY = 'A';
/** The key's summary of recent minutes (lib/engine/fast-path.ts) sits beside its claim, in the key's partition. */
export const SUMMARY_SORT_KEY = 'M';
/** Summary attributes: `m<bucket>` bucket counts writers knew (NS; the largest counts), `t<bucket>` tokens (SS). */
export const summaryCountName = (bucket: number) => `m${bucket}`;
export const summaryTokensName = (bucket: number) => `t${bucket}`;
export const SUMMARY_PATTERN = /^([mt])(\d+)$/;

/** Context fields: one-letter tag, BucketState property, values an event contributes. */
export const FIELDS = [
  { tag: 'e', prop: 'eventNames', of: (c: EventContext) => [c.eventName] },
  { tag: 'i', prop: 'sourceIps', of: (c: EventContext) => [c.sourceIp] },
  { tag: 'u', prop: 'userAgents', of: (c: EventContext) => [c.userAgent] },
  { tag: 'r', prop: 'regions', of: (c: EventContext) => [c.region] },
  { tag: 's', prop: 'secrets', of: (c: EventContext) => c.secretIds },
] as const;
export type Field = (typeof FIELDS)[number];
export type FieldTag = Field['tag'];
export type FieldProp = Field['prop'];
export const NO_FIELDS: Readonly<Record<FieldTag, number>> = { e: 0, i: 0, u: 0, r: 0, s: 0 };

/** Counter of one value in a page: `c` + field tag + 8-char digest (N). Its text: `t` + tag + digest (S). */
export const counterName = (tag: FieldTag, digest: string) => `c${tag}${digest}`;
export const textName = (tag: FieldTag, digest: string) => `t${tag}${digest}`;
export const otherName = (tag: FieldTag) => `c${tag}~`;
/** Values of the field that this page introduced to the bucket (N); the bucket keeps ≤ CONTEXT_VALUES_LIMIT. */
export const freshCountName = (tag: FieldTag) => `n${tag}`;
export const COUNTER_PATTERN = /^c([eiurs])(.+)$/;

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
export const PAGE_SEPARATOR = '\u001f';
/** Side items outlive their bucket by this much, so a bucket never outlives its value texts. */
export const SIDE_TTL_MARGIN_SECONDS = 86_400;
/** Notifications larger than this are stored gzipped (claims are rewritten whole by markSent and renewLease). */
export const CLAIM_JSON_INLINE_LIMIT = 16 * 1024;
/** Stay clear of the 400 KB item limit (the rest of the claim item is small). */
export const CLAIM_NOTIFICATION_MAX = 380 * 1024;
/** Conditional attempts per event before giving up (each retry needs another writer to have changed the page). */
export const MAX_ATTEMPTS = 16;
/** BatchGetItem rounds for unprocessed keys. */
export const MAX_BATCH_ROUNDS = 8;
/** A look-back longer than a week is a caller bug, not a query plan. */
export const MAX_RANGE_BUCKETS = 7 * 24 * 60;

export const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();
export const valueDigest = (value: string) => sha256(value).toString('base64url').slice(0, 8);
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
export const idDigest = (eventId: string) => digest7(eventId, ID_DIGEST_BYTES);

/** Which of the ACTIVE_SHARDS partitions of a minute holds `key`. */
export function shardOf(key: string): number {
  return sha256(key).readUInt32BE(0) % ACTIVE_SHARDS;
}
export const bucketPartition = (bucket: number, shard: number) => `B#${bucket}#${shard}`;
export const sidePartition = (bucket: number, shard: number) => `C#${bucket}#${shard}`;
export const claimPartition = (key: string) => `A#${key}`;
export const pageSortKey = (key: string, page: number) => (page === 1 ? key : `${key}${PAGE_SEPARATOR}${page}`);

/** Key of page `page` (1 = the bucket's first item) of (key, bucket). */
export function bucketItemKey(key: string, bucket: number, page = 1): Item {
  return { [A.pk]: { S: bucketPartition(bucket, shardOf(key)) }, [A.sk]: { S: pageSortKey(key, page) } };
}
export function sideItemKey(key: string, bucket: number): Item {
  return { [A.pk]: { S: sidePartition(bucket, shardOf(key)) }, [A.sk]: { S: key } };
}
export function claimItemKey(key: string): Item {
  return { [A.pk]: { S: claimPartition(key) }, [A.sk]: { S: CLAIM_SORT_KEY } };
}
export function summaryItemKey(key: string): Item {
  return { [A.pk]: { S: claimPartition(key) }, [A.sk]: { S: SUMMARY_SORT_KEY } };
}

/** The engine's view of a summary item (a missing minute is absent). */
export function summaryOf(item: Item): Map<number, { events: number; tokens: Set<string> }> {
  const out = new Map<number, { events: number; tokens: Set<string> }>();
  for (const [name, value] of Object.entries(item)) {
    const m = SUMMARY_PATTERN.exec(name);
    if (!m) continue;
    const bucket = Number(m[2]);
    const minute = out.get(bucket) ?? { events: 0, tokens: new Set<string>() };
    if (m[1] === 'm') minute.events = Math.max(0, ...(value.NS ?? []).map(Number));
    else for (const t of value.SS ?? []) minute.tokens.add(t);
    out.set(bucket, minute);
  }
  return out;
}

export const num = (n: number): AttributeValue => ({ N: String(n) });
export const str = (s: string): AttributeValue => ({ S: s });
export const seconds = (nowMs: number) => num(nowMs / 1000);
export const numberOf = (v: AttributeValue | undefined): number | undefined =>
  v?.N === undefined ? undefined : Number(v.N);
export const stringOf = (v: AttributeValue | undefined): string => v?.S ?? '';
export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** (key, page) of a bucket page item, from its sort key. */
export function pageOf(item: Item): { key: string; page: number } {
  const sk = stringOf(item[A.sk]);
  const at = sk.indexOf(PAGE_SEPARATOR);
  return at < 0 ? { key: sk, page: 1 } : { key: sk.slice(0, at), page: Number(sk.slice(at + 1)) };
}

// ---- views of a bucket -------------------------------------------------------------------------------------------

/** Merges the pages of one bucket (any order) into the state the engine reads. */
export function bucketStateOf(bucket: number, pages: readonly Item[], side: Item | undefined): BucketState {
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
export const bucketLive = (pages: readonly Item[], nowMs: number) => pages.some((p) => isLive(p, nowMs));

export const bucketOfPartition = (partition: string) => Number(partition.split('#')[1]);

export const isLive = (item: Item, nowMs: number) => (numberOf(item[A.exp]) ?? 0) * 1000 > nowMs;
