/**
 * Ports between the pure engine and the outside: the window store (in-memory for the CLI and tests, DynamoDB in
 * AWS) and the alert publisher (stdout for the CLI, SNS in AWS). Every store implementation must pass the contract
 * suite in test/contract/window-store.contract.ts.
 */
import type { Notification } from './alert';
import type { FastPathSettings } from './fast-path';

/** Per-field cap on the distinct context values kept per bucket; the rest are counted under OTHER_VALUE. */
export const CONTEXT_VALUES_LIMIT = 20;
export const OTHER_VALUE = '(other)';

/** Who made a call: identity fields kept with each bucket (those of its latest event). */
export interface BucketIdentity {
  readonly accountId: string;
  readonly userArn: string;
  readonly userName: string;
  readonly identityType: string;
  readonly accessKeyId: string;
  readonly sessionIssuerArn?: string;
  readonly mfaAuthenticated?: boolean;
  readonly fromConsole?: boolean;
  readonly invokedBy?: string;
  readonly vpcEndpointId?: string;
  /** sessionContext.sourceIdentity, when the session carried one (part of the actor under `actor` grouping). */
  readonly sourceIdentity?: string;
}

/** What the alert needs to know about one qualifying event, besides its count. */
export interface EventContext extends BucketIdentity {
  readonly eventTime: number;
  readonly eventName: string;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly region: string;
  /** Secret ids as logged (for display; the distinct count uses CountedEvent.values). */
  readonly secretIds: readonly string[];
}

/** One qualifying event, keyed and bucketed by the engine. */
export interface CountedEvent {
  /** Grouping key (principalId or ARN). */
  readonly key: string;
  /** Minute bucket: floor(eventTime / 60 000). */
  readonly bucket: number;
  /** Idempotency token: the CloudTrail eventID. */
  readonly eventId: string;
  /** Distinct-count tokens (short digests of normalised secret ids); empty when counting events. */
  readonly values: readonly string[];
  /** When the bucket may be forgotten (epoch seconds); see engine/window.ts for how it is derived. */
  readonly expiresAt: number;
  /**
   * The measure the key's windows use, and so what saturates its bucket: `events` (default) when `saturation`
   * eventIds are counted, `values` when `saturation` distinct tokens are. Under `values`, repeated reads of one secret
   * never saturate a bucket (tokens are a set, so redelivery cannot inflate them either); eventIds are then kept
   * only up to `saturation` and `events` becomes a lower bound.
   */
  readonly saturateOn?: 'events' | 'values';
  readonly context: EventContext;
}

/** `counted`: new; `duplicate`: this eventId was already counted in the bucket; `saturated`: bucket full, not counted. */
export type RecordOutcome = 'counted' | 'duplicate' | 'saturated';

export interface RecordOptions {
  /** Per-bucket cap: once a bucket holds this many events (or values), further events are not counted. */
  readonly saturation: number;
  readonly now: number;
  /** The ingest fast path: report keys whose windows this write is learned to take to the threshold. */
  readonly watch?: CrossingWatch;
}

/**
 * What the store watches for while counting (lib/engine/fast-path.ts states what is promised). `crossed` is called,
 * before `record` resolves, with the key of each watched event whose write the store learned to complete a window
 * ending in [now - LATENESS_MINUTES, now] at or above the threshold (possibly more than once per key).
 */
export interface CrossingWatch {
  readonly settings: FastPathSettings;
  /** Whether the event's key is watched (the main counters; signal counters have thresholds of their own). */
  readonly watches: (e: CountedEvent) => boolean;
  readonly crossed: (key: string) => void;
}

/** Field -> value -> number of events that carried it (bounded by CONTEXT_VALUES_LIMIT + OTHER_VALUE). */
export type ValueCounts = Readonly<Record<string, number>>;

export interface BucketState {
  readonly bucket: number;
  /** Distinct eventIds counted (exact while not saturated). */
  readonly events: number;
  /** Distinct tokens counted (exact while not saturated). */
  readonly values: readonly string[];
  /** The bucket reached the saturation point on its measure (see CountedEvent.saturateOn): counts are lower bounds. */
  readonly saturated: boolean;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly eventNames: ValueCounts;
  readonly sourceIps: ValueCounts;
  readonly userAgents: ValueCounts;
  readonly regions: ValueCounts;
  readonly secrets: ValueCounts;
  /** Identity details of the latest event in the bucket. */
  readonly identity: BucketIdentity;
}

/** `muted`: an analyst mute silenced the crossing; claimed (and suppressed) like an alert, never published. */
export type ClaimStatus = 'pending' | 'sent' | 'overflowed' | 'muted';

/** What a thread carries from claim to claim that buckets cannot tell (engine/thread.ts). */
export interface ThreadState {
  /** First bucket of the thread's first crossing window. */
  readonly startBucket: number;
  /** Reasons that fired over the thread so far. */
  readonly reasons: readonly string[];
  /** Crossings of the thread silenced by a mute. */
  readonly muted: number;
  /** The thread's latest published (or publishing) alert; undefined while only muted crossings made it. */
  readonly lastAlertId?: string;
}

/** An analyst mute (`rsr mute`): silences the key's crossings (or one reason's) until `until`. */
export interface Mute {
  /** The grouping key it silences, exactly (a mute never hides another key). */
  readonly key: string;
  /** Only this reason (`threshold` or a signal name); undefined: every reason. */
  readonly signal?: string;
  /** Epoch ms. */
  readonly until: number;
  readonly reason: string;
  /** Who muted: the caller's ARN. */
  readonly by: string;
  /** Epoch ms. */
  readonly createdAt: number;
}

/** A key's alert decision, written before publishing so that concurrent evaluators agree and failures are retried. */
export interface AlertClaim {
  readonly alertId: string;
  readonly key: string;
  readonly threadId: string;
  /** Bucket at which the alerted window ends (the first window that crossed the threshold). */
  readonly windowEndBucket: number;
  readonly status: ClaimStatus;
  /** What to (re)publish: the alert, or an overflow summary. */
  readonly notification: Notification;
  /** Epoch ms until which the claiming evaluator owns publishing. */
  readonly leaseUntil: number;
  /** Epoch seconds after which the claim may be forgotten (covers suppression and continuation). */
  readonly expiresAt: number;
  /** Alert and muted claims: the thread's state as of this claim. */
  readonly thread?: ThreadState;
  /** The thread's burst summary is still to come: `openThreads` lists the claim once it is no longer pending. */
  readonly threadOpen?: boolean;
}

export interface WindowStore {
  /**
   * Counts each event once in its bucket (idempotent on eventId, capped at `saturation`). Returns one outcome per
   * event, in order. With `watch`, also reports crossings (see CrossingWatch).
   */
  record(batch: readonly CountedEvent[], options: RecordOptions): Promise<RecordOutcome[]>;
  /** Keys with a non-expired bucket in [fromBucket, toBucket]. Cost must follow active keys, not table size. */
  activeKeys(fromBucket: number, toBucket: number, now: number): Promise<string[]>;
  /** Non-expired buckets of `key` in [fromBucket, toBucket], ascending. */
  readBuckets(key: string, fromBucket: number, toBucket: number, now: number): Promise<BucketState[]>;
  /** The key's latest non-expired claim. */
  lastAlert(key: string, now: number): Promise<AlertClaim | undefined>;
  /**
   * Makes `claim` the key's latest claim if the key's latest claim is still `previousAlertId` (undefined: none) and
   * no claim with this alertId exists. Returns false when another evaluator got there first.
   */
  claimAlert(claim: AlertClaim, previousAlertId: string | undefined, now: number): Promise<boolean>;
  /** Marks a pending claim sent (after the publisher accepted it). */
  markSent(key: string, alertId: string, now: number): Promise<void>;
  /**
   * Latest claims with `threadOpen` whose status is no longer pending, i.e. alerted threads still owing their burst
   * summary. Cost follows open threads, not table size.
   */
  openThreads(now: number): Promise<AlertClaim[]>;
  /** Clears `threadOpen` on the key's latest claim if it is still `alertId` (its summary is claimed). */
  closeThread(key: string, alertId: string, now: number): Promise<void>;
  /** Creates or replaces the mute of (key, signal). */
  putMute(mute: Mute, now: number): Promise<void>;
  /** Removes the key's mutes (every signal); returns how many there were. */
  deleteMutes(key: string, now: number): Promise<number>;
  /** Mutes not yet expired at `now`. */
  listMutes(now: number): Promise<Mute[]>;
  /** Pending claims whose lease has expired: a publish failed or an evaluator died before marking it sent. */
  unsentAlerts(now: number): Promise<AlertClaim[]>;
  /** Takes over an expired pending claim until `leaseUntil`; false when someone else did or it was sent meanwhile. */
  renewLease(key: string, alertId: string, leaseUntil: number, now: number): Promise<boolean>;
}

export interface AlertPublisher {
  /** Delivers one notification; resolves once the destination accepted it, rejects otherwise. */
  publish(notification: Notification): Promise<void>;
}
