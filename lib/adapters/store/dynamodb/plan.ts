/**
 * Bucket-page planning: from a container's last view of a (key, minute) bucket, the conditional UpdateItem that
 * counts one event. Pure (no SDK, no I/O), so it is unit-tested without a server (test/store/plan.test.ts).
 *
 * Invariants: the plan's condition asserts exactly the parts of the view it relies on (a stale view costs a retry,
 * never a wrong count); a frozen page never changes again; a page is frozen by the write that fills it to about
 * PAGE_BYTES, so every write is billed one unit.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { CONTEXT_VALUES_LIMIT, type CountedEvent } from '../../../engine/ports';
import { itemSize } from '../table';
import { Expression } from './expressions';
import {
  A,
  COUNTER_PATTERN,
  counterName,
  FIELDS,
  type FieldTag,
  freshCountName,
  hex,
  ID_DIGEST_BYTES,
  INLINE_TEXT_BUDGET,
  type Item,
  NO_FIELDS,
  num,
  numberOf,
  otherName,
  str,
  textName,
  valueDigest,
} from './layout';

/** What this container last saw of one page. Everything in it only grows (or, for firstSeen, shrinks). */
export interface PageSnapshot {
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
export interface Frozen {
  readonly events: number;
  readonly values: ReadonlySet<string>;
  readonly ids: ReadonlySet<string>;
  readonly counters: ReadonlySet<string>;
  readonly distinct: Readonly<Record<FieldTag, number>>;
}

/** A container's view of a bucket: frozen pages (exact) and the open page (possibly stale). */
export interface BucketView {
  readonly page: number;
  readonly frozen: Frozen;
  readonly open: PageSnapshot;
}

export const EMPTY_PAGE: PageSnapshot = {
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
export const NOTHING_FROZEN: Frozen = {
  events: 0,
  values: new Set(),
  ids: new Set(),
  counters: new Set(),
  distinct: NO_FIELDS,
};
export const NEW_BUCKET: BucketView = { page: 1, frozen: NOTHING_FROZEN, open: EMPTY_PAGE };

export function pageSnapshot(item: Item | undefined): PageSnapshot {
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

export function freeze(into: Frozen, page: PageSnapshot): Frozen {
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
export function advance(view: BucketView, number: number, page: PageSnapshot): BucketView {
  return page.frozen && !page.saturated
    ? { page: number + 1, frozen: freeze(view.frozen, page), open: EMPTY_PAGE }
    : { page: number, frozen: view.frozen, open: page };
}

// ---- expressions -------------------------------------------------------------------------------------------------

export interface Plan {
  readonly expression: Expression;
  /** Text attributes to write to the side item first (name -> text). */
  readonly spill: ReadonlyMap<string, string>;
}

/** Values of one field in one event, distinct in first-seen order, with how many times the event carries each. */
export function tally(values: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const v of values) out.set(v, (out.get(v) ?? 0) + 1);
  return out;
}

/** Bytes a counter adds to a page: name (1 + 1 + 8) and a small number. */
export const COUNTER_BYTES = 12;

/**
 * Plans the UpdateItem of the open page that counts `e`, given view `view` (whose frozen part is exact). Every
 * decision taken from the open page's snapshot is either safe because that state only grows, or asserted by a
 * condition; see the module comment.
 */
export function planRecord(e: CountedEvent, id: Buffer, view: BucketView, saturation: number, pageBytes: number): Plan {
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
export function quietRepeat(e: CountedEvent, view: BucketView, saturation: number): boolean {
  if ((e.saturateOn ?? 'events') !== 'values') return false;
  if (view.frozen.events + view.open.events < saturation) return false;
  return e.values.every((t) => view.frozen.values.has(t) || view.open.values.has(t));
}
