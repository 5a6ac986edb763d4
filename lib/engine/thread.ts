/**
 * Threads and burst summaries: the whole blast radius of an alerted burst, not only the window that crossed.
 *
 * Definitions (B = WINDOW_MINUTES + 1, S = SUPPRESSION_MINUTES, L = LATENESS_MINUTES, Q = QUIET_MINUTES):
 *  - A thread starts with an alert of an identity (window.ts invariant 5); its continuation alerts and muted
 *    crossings join it. Its span starts at the first bucket of the first crossing window (`startBucket`).
 *  - The thread stays open after each of its alerts; its burst summary is due at the first evaluation at bucket n
 *    where n ≥ lastActive + Q (lastActive: the latest bucket since `startBucket` holding an event of any of the
 *    identity's counters: it has been quiet for Q minutes) or n ≥ e + S (e: crossing of the thread's latest claim;
 *    the suppression period ended while it was still active). Never while the latest alert is still pending: a
 *    summary follows its alert.
 *
 * Invariants (test/engine/thread.property.test.ts proves 1–3 against a brute-force oracle):
 *  1. Totals are the thread's events: calls, distinct secrets, first and last seen, regions, source addresses, user
 *     agents and event names equal a direct computation over the identity's qualifying events with a bucket in
 *     [startBucket, n] — exactly while no bucket saturated and each bucket holds at most CONTEXT_VALUES_LIMIT
 *     distinct values per field. Beyond that, calls and distinct secrets are lower bounds (`callsIsLowerBound`) and
 *     a bucket's surplus values are counted under OTHER_VALUE, never dropped. First and last seen are always exact.
 *  2. Bounded lists: at most SUMMARY_SECRETS_LIMIT secrets are listed (most-read first), and `secretsNotListed` says
 *     how many more distinct secrets were read, so the listed ones plus that number equal `distinctSecrets`.
 *  3. Once per thread closing: the summary's id derives from the threadId and the crossing of the thread's latest
 *     claim, so concurrent evaluators compute the same id; it is claimed and delivered like an alert (evaluate.ts).
 *     A continuation alert that supersedes the latest claim before its summary is due takes over: the thread then
 *     gets one summary after that alert, still with totals since `startBucket`.
 *  4. Coverage: buckets live S minutes longer than deciding needs (window.ts bucketExpiresAt), so the summary of a
 *     thread of one alert counts every bucket from `startBucket`. A thread continued past that retention is counted
 *     from the oldest bucket still kept and says `complete: false`.
 *  5. Late events: an event delivered after the summary was published is not in it (it still counts for alerts).
 *     Q defaults to L, so a delivery delay rarely splits a burst.
 */
import { createHash } from 'node:crypto';
import { ALERT_SCHEMA_VERSION, type BurstSummary, RULE_ID, type ThreadTotals, type ValueCount } from './alert';
import { accessKeyKind, eventHistoryUrl, queriesFor } from './investigate';
import type { AlertClaim, BucketState, ThreadState, ValueCounts } from './ports';
import { OTHER_VALUE } from './ports';
import type { DetectionConfig } from './settings';
import { BUCKET_MS, bucketStart, bucketsPerWindow, EXPIRY_SLACK_MINUTES } from './window';

/** Secrets listed by name in a summary; the rest are counted (`secretsNotListed`). Keeps a summary well under 256 KB. */
export const SUMMARY_SECRETS_LIMIT = 100;
/** Values listed per context field (regions, addresses, agents, event names). */
export const SUMMARY_VALUES_LIMIT = 20;

const iso = (ms: number) => new Date(ms).toISOString();

export function summaryIdOf(threadId: string, crossingEnd: number): string {
  return `rsr-summary-${createHash('sha256').update(`${RULE_ID}|summary|${threadId}|${crossingEnd}`).digest('hex').slice(0, 32)}`;
}

/** Claim key under which a thread's summaries are claimed (one latest claim per identity, like alerts). */
export const summaryClaimKey = (identity: string) => `summary#${identity}`;

/** The thread a claim starts or continues, given the previous claim of the key. */
export function nextThreadState(
  previous: AlertClaim | undefined,
  continuation: boolean,
  crossingEnd: number,
  reasons: readonly string[],
  outcome: { readonly alertId?: string; readonly muted: boolean },
  config: Pick<DetectionConfig, 'windowMinutes'>,
): ThreadState {
  const before = continuation ? previous?.thread : undefined;
  const merged = [...new Set([...(before?.reasons ?? []), ...reasons])];
  const lastAlertId = outcome.alertId ?? before?.lastAlertId;
  return {
    startBucket: before?.startBucket ?? crossingEnd - bucketsPerWindow(config) + 1,
    reasons: merged,
    muted: (before?.muted ?? 0) + (outcome.muted ? 1 : 0),
    ...(lastAlertId ? { lastAlertId } : {}),
  };
}

/** First bucket still kept during minute `nowBucket` (window.ts bucketExpiresAt). */
export function oldestKeptBucket(
  nowBucket: number,
  config: Pick<DetectionConfig, 'windowMinutes' | 'latenessMinutes' | 'suppressionMinutes'>,
): number {
  return (
    nowBucket - bucketsPerWindow(config) - config.latenessMinutes - config.suppressionMinutes - EXPIRY_SLACK_MINUTES + 1
  );
}

/** Why the summary of `claim` is due at `nowBucket`, or undefined while the thread is still running. */
export function summaryDue(
  claim: Pick<AlertClaim, 'windowEndBucket'>,
  lastActiveBucket: number,
  nowBucket: number,
  config: Pick<DetectionConfig, 'quietMinutes' | 'suppressionMinutes'>,
): BurstSummary['closedBy'] | undefined {
  if (nowBucket >= lastActiveBucket + config.quietMinutes) return 'quiet';
  if (nowBucket >= claim.windowEndBucket + config.suppressionMinutes) return 'suppression-end';
  return undefined;
}

function merge(buckets: readonly BucketState[], pick: (b: BucketState) => ValueCounts): Map<string, number> {
  const m = new Map<string, number>();
  for (const b of buckets) for (const [v, n] of Object.entries(pick(b))) m.set(v, (m.get(v) ?? 0) + n);
  return m;
}

/**
 * Most events first, ties by value, at most `limit` named values; OTHER_VALUE (values a bucket did not keep by name)
 * last, with what the limit cut folded into it unless `foldCut` is false (secrets: the cut is counted separately).
 */
export function ranked(
  counts: Map<string, number>,
  limit: number,
  foldCut = true,
): { listed: ValueCount[]; cut: number } {
  const list = [...counts.entries()]
    .filter(([v]) => v !== OTHER_VALUE)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([value, count]) => ({ value, count }));
  const listed = list.slice(0, limit);
  const rest = (foldCut ? list.slice(limit).reduce((s, x) => s + x.count, 0) : 0) + (counts.get(OTHER_VALUE) ?? 0);
  if (rest > 0) listed.push({ value: OTHER_VALUE, count: rest });
  return { listed, cut: Math.max(0, list.length - limit) };
}

/** Totals over `buckets` (the identity's main counter, already limited to the thread's span). */
export function threadTotals(buckets: readonly BucketState[], since: number, complete: boolean): ThreadTotals {
  const tokens = new Set<string>();
  let calls = 0;
  let saturated = false;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const b of buckets) {
    for (const v of b.values) tokens.add(v);
    calls += b.events;
    saturated ||= b.saturated;
    first = Math.min(first, b.firstSeen);
    last = Math.max(last, b.lastSeen);
  }
  return {
    since: iso(bucketStart(since)),
    complete,
    calls,
    callsIsLowerBound: saturated,
    distinctSecrets: tokens.size,
    firstSeen: Number.isFinite(first) ? iso(first) : iso(bucketStart(since)),
    lastSeen: Number.isFinite(last) ? iso(last) : iso(bucketStart(since)),
    regions: ranked(
      merge(buckets, (b) => b.regions),
      SUMMARY_VALUES_LIMIT,
    ).listed,
  };
}

export interface SummaryInput {
  readonly claim: AlertClaim;
  readonly thread: ThreadState;
  /** The main counter's buckets in [from, now]. */
  readonly buckets: readonly BucketState[];
  readonly from: number;
  /** Each signal counter's buckets in [from, now] (signals configured for the run). */
  readonly signals: readonly { readonly reason: string; readonly buckets: readonly BucketState[] }[];
  readonly closedBy: BurstSummary['closedBy'];
}

/** Builds the burst summary of a thread. Pure. */
export function buildSummary(input: SummaryInput, config: DetectionConfig, now: number): BurstSummary {
  const { claim, thread, buckets } = input;
  const totals = threadTotals(buckets, input.from, input.from <= thread.startBucket);
  const secrets = ranked(
    merge(buckets, (b) => b.secrets),
    SUMMARY_SECRETS_LIMIT,
    false,
  );
  const listedSecrets = secrets.listed.filter((s) => s.value !== OTHER_VALUE).length;
  let latest: BucketState | undefined;
  for (const b of buckets) if (!latest || b.lastSeen >= latest.lastSeen) latest = b;
  const who = latest?.identity;
  const alert = claim.notification.kind === 'alert' ? claim.notification : undefined;
  const summary: BurstSummary = {
    kind: 'summary',
    schemaVersion: ALERT_SCHEMA_VERSION,
    alertId: summaryIdOf(claim.threadId, claim.windowEndBucket),
    threadId: claim.threadId,
    lastAlertId: thread.lastAlertId ?? claim.alertId,
    rule: RULE_ID,
    preset: config.preset,
    identity: claim.key,
    groupBy: config.groupBy,
    closedBy: input.closedBy,
    quietMinutes: config.quietMinutes,
    ...totals,
    accountId: who?.accountId ?? alert?.accountId ?? '',
    userArn: who?.userArn ?? alert?.userArn ?? '',
    userName: who?.userName ?? alert?.userName ?? '',
    identityType: who?.identityType ?? alert?.identityType ?? '',
    accessKeyId: who?.accessKeyId ?? alert?.accessKeyId ?? '',
    secrets: secrets.listed,
    secretsNotListed: Math.max(0, totals.distinctSecrets - listedSecrets),
    sourceIps: ranked(
      merge(buckets, (b) => b.sourceIps),
      SUMMARY_VALUES_LIMIT,
    ).listed,
    userAgents: ranked(
      merge(buckets, (b) => b.userAgents),
      SUMMARY_VALUES_LIMIT,
    ).listed,
    eventNames: ranked(
      merge(buckets, (b) => b.eventNames),
      SUMMARY_VALUES_LIMIT,
    ).listed,
    reasons: thread.reasons,
    signalCalls: input.signals
      .map((s) => ({ value: s.reason, count: s.buckets.reduce((n, b) => n + b.events, 0) }))
      .filter((s) => s.count > 0),
    mutedCrossings: thread.muted,
    detectedAt: iso(now),
  };
  // Queries over the whole span (Lake and Athena see every region); the console link opens the busiest region.
  const span = {
    groupBy: summary.groupBy,
    identity: summary.identity,
    windowStart: summary.since,
    windowEnd: iso(Date.parse(summary.lastSeen) + BUCKET_MS),
  };
  return {
    ...summary,
    investigation: {
      accessKeyKind: accessKeyKind(summary.accessKeyId),
      sessionIssuerArn: who?.sessionIssuerArn ?? '',
      mfaAuthenticated: who?.mfaAuthenticated,
      consoleSession: who?.fromConsole === true,
      awsServiceCaller: who?.invokedBy ?? '',
      vpcEndpointId: who?.vpcEndpointId ?? '',
      distinctRegions: summary.regions.filter((r) => r.value !== OTHER_VALUE).length,
      ...queriesFor(span),
      eventHistoryUrl: eventHistoryUrl({
        ...span,
        accessKeyId: summary.accessKeyId,
        userName: summary.userName,
        regions: summary.regions,
      }),
    },
  };
}

/** The latest bucket holding an event of any of the given counters (undefined when none). */
export function lastActiveBucket(counters: readonly (readonly BucketState[])[]): number | undefined {
  let last: number | undefined;
  for (const buckets of counters) for (const b of buckets) if (last === undefined || b.bucket > last) last = b.bucket;
  return last;
}

export const nowBucketOf = (now: number) => Math.floor(now / BUCKET_MS);
