/**
 * The alert model: one JSON object per alert, the same in `rsr replay --json`, the SNS `sqs`/`lambda` payload and
 * the store's claim record. Bump ALERT_SCHEMA_VERSION on any incompatible change.
 */
import type { ActorParts } from './identity';
import type { CountMode, GroupBy, Preset } from './settings';

/** Ready queries and links for a responder (built by investigate.ts). */
export interface Investigation {
  /** `long-term` (AKIA…, an IAM user's key), `temporary` (ASIA…, STS credentials), or `unknown`. */
  readonly accessKeyKind: 'long-term' | 'temporary' | 'unknown';
  readonly sessionIssuerArn: string;
  /** From sessionContext.attributes.mfaAuthenticated, when the record had it. */
  readonly mfaAuthenticated: boolean | undefined;
  readonly consoleSession: boolean;
  /** userIdentity.invokedBy: set when an AWS service made the calls for the principal. */
  readonly awsServiceCaller: string;
  readonly vpcEndpointId: string;
  readonly distinctRegions: number;
  /** CloudTrail Lake SQL (replace $EDS_ID with the event data store id). */
  readonly cloudTrailLakeQuery: string;
  /** Athena SQL over the standard CloudTrail table (replace cloudtrail_logs with yours). */
  readonly athenaQuery: string;
  /** CloudTrail console event history, filtered to the access key (or user name) in the alert's region. */
  readonly eventHistoryUrl: string;
}

export const ALERT_SCHEMA_VERSION = 1;
export const RULE_ID = 'rapid-secret-retrieval';
export const MITRE = [
  { tactic: 'TA0006', technique: 'T1555', subtechnique: 'T1555.006', name: 'Cloud Secrets Management Stores' },
] as const;

/** Why an alert fired: the main threshold (`threshold`) and/or complementary signals, each with its count. */
export interface ReasonCount {
  readonly reason: string;
  /** Largest count of this reason's measure in one window, as of the alert (unit: lib/engine/headline.ts). */
  readonly count: number;
  readonly threshold: number;
  /** The main rule's measure when `reason` is `threshold`: calls (`events`) or `distinct-secrets`. */
  readonly countMode?: CountMode;
  /** Distinct secrets the reason's calls named in that window (a lower bound past the per-minute value cap). */
  readonly secrets?: number;
  /** Read APIs of the reason's calls in that window, most frequent first. */
  readonly apis?: readonly string[];
}

/** A value seen in the window and how many qualifying events carried it. */
export interface ValueCount {
  readonly value: string;
  readonly count: number;
}

export interface Alert {
  readonly kind: 'alert';
  readonly schemaVersion: number;
  /** Deterministic from rule, grouping and key, and the window that first crossed the threshold: drop duplicates on it. */
  readonly alertId: string;
  /** The alertId of the first alert of a burst; continuation alerts of a burst that outlasts suppression share it. */
  readonly threadId: string;
  /** True when this alert continues an earlier one of the same thread. */
  readonly continuation: boolean;
  readonly rule: typeof RULE_ID;
  readonly preset: Preset;
  /** The grouping key: a principalId under `principal`; under `actor` an ARN or `source-identity:<value>`. */
  readonly identity: string;
  readonly groupBy: GroupBy;
  readonly countMode: CountMode;
  /** Largest number of qualifying events (or distinct secrets) in one window for the key, as of the alert. */
  readonly count: number;
  /** True when a bucket of the window reached the saturation point: `count` is then a lower bound. */
  readonly countIsLowerBound: boolean;
  /** Threshold of the first reason (the main rule's when it fired). */
  readonly threshold: number;
  /** `threshold` for the main rule, plus any complementary signals that fired (docs/PRESETS.md). */
  readonly reasons: readonly string[];
  readonly reasonCounts: readonly ReasonCount[];
  readonly windowMinutes: number;
  readonly distinctSecrets: number;
  /** The window holding `count` (ISO 8601 UTC, end exclusive). */
  readonly windowStart: string;
  readonly windowEnd: string;
  /** End of the first window that reached the threshold (the alertId derives from it; suppression counts from it). */
  readonly crossedAt: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly accountId: string;
  readonly userArn: string;
  readonly userName: string;
  readonly identityType: string;
  readonly accessKeyId: string;
  readonly eventNames: readonly ValueCount[];
  readonly sourceIps: readonly ValueCount[];
  readonly userAgents: readonly ValueCount[];
  readonly regions: readonly ValueCount[];
  readonly secrets: readonly ValueCount[];
  readonly severity: 'medium';
  readonly riskScore: 47;
  readonly mitre: typeof MITRE;
  /** When the evaluator decided to alert (ISO 8601 UTC). */
  readonly detectedAt: string;
  /**
   * Under `actor` grouping, what the identity is made of (docs/PRESETS.md, "Who is the actor"): the role behind the
   * session, the session name and the source identity, each '' when the calls had none.
   */
  readonly actor?: ActorParts;
  /** What a responder checks first: credential kind, session, MFA, console, service caller, ready queries. */
  readonly investigation?: Investigation;
  /** On a continuation alert: totals over its thread since the first alert's window (engine/thread.ts). */
  readonly thread?: ThreadTotals;
}

/** Totals over a thread's events (the identity's main counter), from `since` up to `lastSeen`. */
export interface ThreadTotals {
  /** Start of the first alert's crossing window, or of the oldest bucket still kept (`complete: false`). */
  readonly since: string;
  /** False when the thread is older than bucket retention and its earliest minutes are no longer counted. */
  readonly complete: boolean;
  /** Qualifying calls (a lower bound when `callsIsLowerBound`). */
  readonly calls: number;
  readonly callsIsLowerBound: boolean;
  /** Distinct secrets read (exact below saturation; each secret counted once however it was named). */
  readonly distinctSecrets: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly regions: readonly ValueCount[];
}

/**
 * The whole blast radius of one alerted burst, published once its identity has been quiet for QUIET_MINUTES or, at
 * the latest, when the suppression period of the thread's latest alert ends.
 */
export interface BurstSummary extends ThreadTotals {
  readonly kind: 'summary';
  readonly schemaVersion: number;
  /** Derived from threadId and the crossing of the thread's latest claim: every evaluator computes the same. */
  readonly alertId: string;
  readonly threadId: string;
  /** The latest alert of the thread this summary closes. */
  readonly lastAlertId: string;
  readonly rule: typeof RULE_ID;
  readonly preset: Preset;
  readonly identity: string;
  readonly groupBy: GroupBy;
  /** `quiet`: no qualifying call for QUIET_MINUTES; `suppression-end`: still active when suppression ended. */
  readonly closedBy: 'quiet' | 'suppression-end';
  readonly quietMinutes: number;
  readonly accountId: string;
  readonly userArn: string;
  readonly userName: string;
  readonly identityType: string;
  readonly accessKeyId: string;
  /** Secrets as logged, most-read first, at most SUMMARY_SECRETS_LIMIT; `secretsNotListed` more were read. */
  readonly secrets: readonly ValueCount[];
  readonly secretsNotListed: number;
  readonly sourceIps: readonly ValueCount[];
  readonly userAgents: readonly ValueCount[];
  readonly eventNames: readonly ValueCount[];
  /** Reasons that fired over the thread (`threshold` and/or signals), and calls counted by each signal's counter. */
  readonly reasons: readonly string[];
  readonly signalCalls: readonly ValueCount[];
  /** Crossings of this thread that an analyst mute silenced (`rsr mute`). */
  readonly mutedCrossings: number;
  readonly detectedAt: string;
  readonly investigation?: Investigation;
}

/** Keys that crossed the threshold in a run after MAX_ALERTS_PER_RUN alerts were already produced. */
export interface OverflowSummary {
  readonly kind: 'overflow';
  readonly schemaVersion: number;
  readonly alertId: string;
  readonly rule: typeof RULE_ID;
  readonly detectedAt: string;
  readonly maxAlertsPerRun: number;
  /** Number of keys not alerted individually in this run. */
  readonly keys: number;
  readonly identities: readonly { readonly identity: string; readonly count: number; readonly alertId: string }[];
}

export type Notification = Alert | OverflowSummary | BurstSummary;
