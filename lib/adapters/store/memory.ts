/**
 * In-memory WindowStore for `rsr replay`, `rsr tune` and tests. Same semantics as the DynamoDB store (the contract
 * suite in test/contract/ runs against both): idempotent on eventId within a bucket, capped at the saturation
 * point, expired entries ignored by every read (expiry is judged against the `now` the caller passes, so a replay
 * over old logs works in simulated time).
 *
 * Memory follows the window state: one entry per (key, active minute), each holding at most `saturation` event ids,
 * `saturation` distinct tokens and CONTEXT_VALUES_LIMIT values per context field — never one entry per record.
 */
import { bucketBound } from '../../engine/evaluate';
import { type FastPathSettings, type MinuteSummary, summaryCrossed, summaryRange } from '../../engine/fast-path';
import {
  type AlertClaim,
  type BucketIdentity,
  type BucketState,
  CONTEXT_VALUES_LIMIT,
  type CountedEvent,
  type Mute,
  OTHER_VALUE,
  type RecordOptions,
  type RecordOutcome,
  type WindowStore,
} from '../../engine/ports';

interface MutableBucket {
  bucket: number;
  expiresAt: number;
  ids: Set<string>;
  values: Set<string>;
  saturated: boolean;
  firstSeen: number;
  lastSeen: number;
  lastTime: number;
  eventNames: Map<string, number>;
  sourceIps: Map<string, number>;
  userAgents: Map<string, number>;
  regions: Map<string, number>;
  secrets: Map<string, number>;
  identity: BucketIdentity;
  /** Read view, rebuilt only after a write (replay reads the same buckets once per simulated minute). */
  snapshot: BucketState | undefined;
}

/** Adds one to `value` in a bounded counter map; past the limit new values are counted under OTHER_VALUE. */
export function bump(map: Map<string, number>, value: string, by = 1): void {
  const current = map.get(value);
  if (current !== undefined) map.set(value, current + by);
  else if (map.size < CONTEXT_VALUES_LIMIT) map.set(value, by);
  else map.set(OTHER_VALUE, (map.get(OTHER_VALUE) ?? 0) + by);
}

/** The identity part of an event's context (optional fields only when present, as the DynamoDB store keeps them). */
export function identityOf(c: BucketIdentity): BucketIdentity {
  return {
    accountId: c.accountId,
    userArn: c.userArn,
    userName: c.userName,
    identityType: c.identityType,
    accessKeyId: c.accessKeyId,
    ...(c.sessionIssuerArn ? { sessionIssuerArn: c.sessionIssuerArn } : {}),
    ...(c.mfaAuthenticated !== undefined ? { mfaAuthenticated: c.mfaAuthenticated } : {}),
    ...(c.fromConsole ? { fromConsole: true } : {}),
    ...(c.invokedBy ? { invokedBy: c.invokedBy } : {}),
    ...(c.vpcEndpointId ? { vpcEndpointId: c.vpcEndpointId } : {}),
    ...(c.sourceIdentity ? { sourceIdentity: c.sourceIdentity } : {}),
  };
}

const isLive = (expiresAtSeconds: number, now: number) => expiresAtSeconds * 1000 > now;

export class MemoryWindowStore implements WindowStore {
  /** key -> bucket -> state */
  private readonly keys = new Map<string, Map<number, MutableBucket>>();
  /** bucket -> keys with data in it (the "active keys" index) */
  private readonly byBucket = new Map<number, Set<string>>();
  /** key -> its latest claim */
  private readonly claims = new Map<string, AlertClaim>();
  private readonly claimIds = new Set<string>();
  /** `key␟signal` -> mute */
  private readonly mutes = new Map<string, Mute>();

  async record(batch: readonly CountedEvent[], options: RecordOptions): Promise<RecordOutcome[]> {
    return batch.map((e) => {
      const outcome = this.recordOne(e, options);
      const watch = options.watch;
      if (outcome === 'counted' && watch?.watches(e) && this.crossed(e.key, options.now, watch.settings)) {
        watch.crossed(e.key);
      }
      return outcome;
    });
  }

  /** One process sees every write, so the memory store knows each window exactly: its summary is the buckets. */
  private crossed(key: string, now: number, settings: FastPathSettings): boolean {
    const buckets = this.keys.get(key);
    if (!buckets) return false;
    const { from, to } = summaryRange(now, settings);
    const summary = new Map<number, MinuteSummary>();
    for (const [bucket, b] of buckets) {
      if (bucket >= from && bucket <= to) summary.set(bucket, { events: b.ids.size, tokens: b.values });
    }
    return summaryCrossed(summary, now, settings);
  }

  /** Synchronous form of `record` for hot loops (replay); same semantics. */
  recordOne(e: CountedEvent, { saturation }: RecordOptions): RecordOutcome {
    let buckets = this.keys.get(e.key);
    if (!buckets) {
      buckets = new Map();
      this.keys.set(e.key, buckets);
    }
    let b = buckets.get(e.bucket);
    if (!b) {
      b = {
        bucket: e.bucket,
        expiresAt: e.expiresAt,
        ids: new Set(),
        values: new Set(),
        saturated: false,
        firstSeen: e.context.eventTime,
        lastSeen: e.context.eventTime,
        lastTime: Number.NEGATIVE_INFINITY,
        eventNames: new Map(),
        sourceIps: new Map(),
        userAgents: new Map(),
        regions: new Map(),
        secrets: new Map(),
        identity: { accountId: '', userArn: '', userName: '', identityType: '', accessKeyId: '' },
        snapshot: undefined,
      };
      buckets.set(e.bucket, b);
      let set = this.byBucket.get(e.bucket);
      if (!set) {
        set = new Set();
        this.byBucket.set(e.bucket, set);
      }
      set.add(e.key);
    }
    if (b.ids.has(e.eventId)) return 'duplicate';
    if (b.saturated) {
      // Not counted, but first and last seen stay exact and independent of arrival order (ports.ts, BucketState).
      this.widen(b, e);
      return 'saturated';
    }
    if (b.ids.size < saturation) b.ids.add(e.eventId);
    b.snapshot = undefined;
    for (const v of e.values) {
      if (b.values.size >= saturation) break;
      b.values.add(v);
    }
    b.saturated = e.saturateOn === 'values' ? b.values.size >= saturation : b.ids.size >= saturation;
    b.expiresAt = Math.max(b.expiresAt, e.expiresAt);
    const c = e.context;
    b.firstSeen = Math.min(b.firstSeen, c.eventTime);
    b.lastSeen = Math.max(b.lastSeen, c.eventTime);
    bump(b.eventNames, c.eventName);
    bump(b.sourceIps, c.sourceIp);
    bump(b.userAgents, c.userAgent);
    bump(b.regions, c.region);
    for (const s of c.secretIds) bump(b.secrets, s);
    if (c.eventTime >= b.lastTime) {
      b.lastTime = c.eventTime;
      b.identity = identityOf(c);
    }
    return 'counted';
  }

  /**
   * The order-independent part of an event that is not counted: first and last seen (min and max, so idempotent).
   * Context values and the latest identity come from counted events only, as in the DynamoDB store.
   */
  private widen(b: MutableBucket, e: CountedEvent): void {
    b.snapshot = undefined;
    b.firstSeen = Math.min(b.firstSeen, e.context.eventTime);
    b.lastSeen = Math.max(b.lastSeen, e.context.eventTime);
  }

  async activeKeys(fromBucket: number, toBucket: number, now: number): Promise<string[]> {
    return this.activeKeysSync(fromBucket, toBucket, now);
  }

  activeKeysSync(fromBucket: number, toBucket: number, now: number): string[] {
    const out = new Set<string>();
    for (let b = fromBucket; b <= toBucket; b++) {
      const set = this.byBucket.get(b);
      if (!set) continue;
      for (const key of set) {
        const state = this.keys.get(key)?.get(b);
        if (state && isLive(state.expiresAt, now)) out.add(key);
      }
    }
    return [...out].sort();
  }

  async readBuckets(key: string, fromBucket: number, toBucket: number, now: number): Promise<BucketState[]> {
    return this.readBucketsSync(key, fromBucket, toBucket, now);
  }

  readBucketsSync(key: string, fromBucket: number, toBucket: number, now: number): BucketState[] {
    const buckets = this.keys.get(key);
    if (!buckets) return [];
    const out: BucketState[] = [];
    for (let bucket = fromBucket; bucket <= toBucket; bucket++) {
      const b = buckets.get(bucket);
      if (!b || !isLive(b.expiresAt, now)) continue;
      b.snapshot ??= {
        bucket,
        events: b.ids.size,
        values: [...b.values],
        saturated: b.saturated,
        firstSeen: b.firstSeen,
        lastSeen: b.lastSeen,
        eventNames: Object.fromEntries(b.eventNames),
        sourceIps: Object.fromEntries(b.sourceIps),
        userAgents: Object.fromEntries(b.userAgents),
        regions: Object.fromEntries(b.regions),
        secrets: Object.fromEntries(b.secrets),
        identity: b.identity,
      };
      out.push(b.snapshot);
    }
    return out;
  }

  /** Every bucket index that holds data, ascending (replay uses it to jump over idle time). */
  activeBuckets(): number[] {
    return [...this.byBucket.keys()].sort((a, b) => a - b);
  }

  /** Each key with its buckets' bounds (evaluate.ts bucketBound: events or distinct tokens, the larger). */
  *bucketBounds(): Generator<[key: string, bounds: [bucket: number, bound: number][]]> {
    for (const [key, buckets] of this.keys) {
      yield [key, [...buckets.values()].map((b) => [b.bucket, bucketBound(b.ids.size, b.values.size)])];
    }
  }

  /** Forgets these keys and all their buckets (replay drops identities that can never be a candidate). */
  dropKeys(keys: Iterable<string>): void {
    for (const key of keys) {
      const buckets = this.keys.get(key);
      if (!buckets) continue;
      this.keys.delete(key);
      for (const bucket of buckets.keys()) {
        const set = this.byBucket.get(bucket);
        set?.delete(key);
        if (set?.size === 0) this.byBucket.delete(bucket);
      }
    }
  }

  /** Drops buckets and claims that expired before `now` (replay calls it as simulated time advances). */
  prune(now: number): void {
    for (const [bucket, set] of this.byBucket) {
      for (const key of set) {
        const buckets = this.keys.get(key);
        const b = buckets?.get(bucket);
        if (b && !isLive(b.expiresAt, now)) {
          buckets?.delete(bucket);
          set.delete(key);
          if (buckets?.size === 0) this.keys.delete(key);
        }
      }
      if (set.size === 0) this.byBucket.delete(bucket);
    }
    for (const [key, claim] of this.claims) {
      if (!isLive(claim.expiresAt, now)) this.claims.delete(key);
    }
  }

  async lastAlert(key: string, now: number): Promise<AlertClaim | undefined> {
    const c = this.claims.get(key);
    return c && isLive(c.expiresAt, now) ? c : undefined;
  }

  async claimAlert(claim: AlertClaim, previousAlertId: string | undefined, now: number): Promise<boolean> {
    if (this.claimIds.has(claim.alertId)) return false;
    // Check and write with no await in between, so concurrent claims cannot both see the old latest claim.
    const latest = this.claims.get(claim.key);
    const current = latest && isLive(latest.expiresAt, now) ? latest : undefined;
    if (current?.alertId !== previousAlertId) return false;
    this.claims.set(claim.key, claim);
    this.claimIds.add(claim.alertId);
    return true;
  }

  async markSent(key: string, alertId: string, _now: number): Promise<void> {
    const c = this.claims.get(key);
    if (c && c.alertId === alertId && c.status === 'pending') this.claims.set(key, { ...c, status: 'sent' });
  }

  async unsentAlerts(now: number): Promise<AlertClaim[]> {
    return [...this.claims.values()].filter(
      (c) => c.status === 'pending' && c.leaseUntil <= now && isLive(c.expiresAt, now),
    );
  }

  async openThreads(now: number): Promise<AlertClaim[]> {
    return [...this.claims.values()]
      .filter((c) => c.threadOpen === true && c.status !== 'pending' && isLive(c.expiresAt, now))
      .sort((a, b) => a.windowEndBucket - b.windowEndBucket || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async closeThread(key: string, alertId: string, _now: number): Promise<void> {
    const c = this.claims.get(key);
    if (c && c.alertId === alertId && c.threadOpen) this.claims.set(key, { ...c, threadOpen: false });
  }

  async putMute(mute: Mute, _now: number): Promise<void> {
    this.mutes.set(`${mute.key}\u001f${mute.signal ?? ''}`, mute);
  }

  async deleteMutes(key: string, _now: number): Promise<number> {
    let n = 0;
    for (const [id, m] of this.mutes) {
      if (m.key !== key) continue;
      this.mutes.delete(id);
      n++;
    }
    return n;
  }

  async listMutes(now: number): Promise<Mute[]> {
    return [...this.mutes.values()]
      .filter((m) => m.until > now)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : (a.signal ?? '') < (b.signal ?? '') ? -1 : 1));
  }

  async renewLease(key: string, alertId: string, leaseUntil: number, now: number): Promise<boolean> {
    const c = this.claims.get(key);
    if (!c || c.alertId !== alertId || c.status !== 'pending' || c.leaseUntil > now) return false;
    this.claims.set(key, { ...c, leaseUntil });
    return true;
  }
}
