/**
 * The evaluation run, shared by the scheduled evaluator Lambda and `rsr replay`: retry unsent alerts, decide per
 * active key (window.ts), apply suppression and the per-run cap, then claim -> publish -> mark sent.
 *
 * Delivery invariants:
 *  - A notification is published only by the evaluator that won its claim (a conditional write in the store), so
 *    concurrent evaluators never both publish it.
 *  - It is marked sent only after the publisher accepted it; a failed publish leaves the claim pending and a later
 *    run retries it once the lease has expired. The only duplicate possible is a crash between publish and mark;
 *    the retry then carries the same alertId, so consumers can drop it.
 *  - Keys beyond MAX_ALERTS_PER_RUN are claimed as `overflowed` (suppressed like alerted keys) and listed in one
 *    overflow summary, which is claimed and published like an alert.
 *  - A crossing whose every reason an analyst mute covers is claimed as `muted` (suppressed like an alert, counted,
 *    never published) and joins the thread; a mute of one reason drops only that reason. Mutes match the key exactly.
 *  - Burst summaries (thread.ts) are claimed under their own key and delivered like alerts: same claim, lease,
 *    retry and mark-sent path, so they share every guarantee above.
 */
import { createHash } from 'node:crypto';
import {
  ALERT_SCHEMA_VERSION,
  type Alert,
  MITRE,
  type Notification,
  type OverflowSummary,
  type ReasonCount,
  RULE_ID,
  type ValueCount,
} from './alert';
import { PublishError } from './errors';
import { actorParts, parseKey, signalKey } from './identity';
import { accessKeyKind, eventHistoryUrl, type Investigation, queriesFor } from './investigate';
import type { Logger } from './logger';
import type { Mute } from './ports';
import {
  type AlertClaim,
  type AlertPublisher,
  type BucketIdentity,
  type BucketState,
  OTHER_VALUE,
  type ValueCounts,
  type WindowStore,
} from './ports';
import type { DetectionConfig } from './settings';
import { MAIN_REASON, type Measure, measureOf, type Reason } from './signals';
import {
  buildSummary,
  lastActiveBucket,
  nextThreadState,
  oldestKeptBucket,
  summaryClaimKey,
  summaryDue,
  threadTotals,
} from './thread';
import {
  BUCKET_MS,
  bucketStart,
  bucketsPerWindow,
  claimExpiresAt,
  decideKey,
  type KeyDecision,
  lookBack,
} from './window';

export interface EvaluationSettings extends DetectionConfig {
  readonly alertLeaseSeconds: number;
}

export interface EvaluationReport {
  activeKeys: number;
  /** Alerts published in this run (new ones). */
  alerts: number;
  /** Pending alerts from earlier runs published in this run. */
  retried: number;
  /** Keys over the threshold but inside their suppression period. */
  suppressed: number;
  /** Keys folded into the overflow summary. */
  overflowed: number;
  /** Crossings silenced by an analyst mute (all their reasons muted), or reasons dropped from an alert by one. */
  muted: number;
  /** Burst summaries published in this run (new ones; retries count under `retried`). */
  summaries: number;
  /** Claims another evaluator won. */
  lostClaims: number;
  publishFailures: number;
  /** Notifications accepted by the publisher, in publish order. */
  published: Notification[];
  errors: PublishError[];
}

export interface EvaluationOptions {
  /**
   * Decide only these identities (their main key and their signal keys), skipping the retry of unsent alerts and
   * the scan for active keys: the ingest fast path. Suppression, claims, publishing and the cap are unchanged, so a
   * crossing claimed here and one the scheduled evaluator would claim are the same claim (same alertId).
   */
  readonly identities?: readonly string[];
  /** Mutes in force (default: the store's, read once per run). */
  readonly mutes?: readonly Mute[];
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

export function alertIdOf(
  config: Pick<DetectionConfig, 'groupBy' | 'count'>,
  key: string,
  crossingEnd: number,
): string {
  return `rsr-${sha(`${RULE_ID}|${config.groupBy}|${config.count}|${key}|${crossingEnd}`).slice(0, 32)}`;
}

const iso = (ms: number) => new Date(ms).toISOString();

function mergeCounts(buckets: readonly BucketState[], pick: (b: BucketState) => ValueCounts): Map<string, number> {
  const m = new Map<string, number>();
  for (const b of buckets) for (const [v, n] of Object.entries(pick(b))) m.set(v, (m.get(v) ?? 0) + n);
  return m;
}

/** Highest counts first, ties by value; OTHER_VALUE always last; at most `limit` entries. */
export function top(counts: Map<string, number>, limit: number): ValueCount[] {
  const other = counts.get(OTHER_VALUE);
  const list = [...counts.entries()]
    .filter(([v]) => v !== OTHER_VALUE)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([value, count]) => ({ value, count }));
  const kept = list.slice(0, limit);
  const rest = list.slice(limit).reduce((s, x) => s + x.count, 0) + (other ?? 0);
  if (rest > 0) kept.push({ value: OTHER_VALUE, count: rest });
  return kept;
}

/** Builds the alert for a key's decision from the buckets it read. Pure. */
export function buildAlert(
  key: string,
  decision: KeyDecision,
  threadId: string | undefined,
  buckets: readonly BucketState[],
  config: DetectionConfig,
  now: number,
  extra: { readonly reasons?: readonly ReasonCount[] } = {},
): Alert {
  const width = bucketsPerWindow(config);
  const reasons = extra.reasons ?? [
    { reason: MAIN_REASON, count: decision.best.count, threshold: config.threshold, countMode: config.count },
  ];
  const main = reasons.find((r) => r.reason === MAIN_REASON);
  const start = decision.best.end - width + 1;
  const inWindow = buckets.filter((b) => b.bucket >= start && b.bucket <= decision.best.end);
  const latest = inWindow[inWindow.length - 1] ?? buckets[buckets.length - 1];
  const tokens = new Set<string>();
  for (const b of inWindow) for (const v of b.values) tokens.add(v);
  const alertId = alertIdOf(config, key, decision.crossing.end);
  const valuesOf = (field: 'eventNames' | 'sourceIps' | 'userAgents' | 'regions' | 'secrets', limit: number) =>
    top(
      mergeCounts(inWindow, (b) => b[field]),
      limit,
    );
  const alert: Alert = {
    kind: 'alert',
    schemaVersion: ALERT_SCHEMA_VERSION,
    alertId,
    threadId: decision.continuation && threadId ? threadId : alertId,
    continuation: decision.continuation && threadId !== undefined,
    rule: RULE_ID,
    preset: config.preset,
    identity: key,
    groupBy: config.groupBy,
    countMode: config.count,
    count: decision.best.count,
    countIsLowerBound: decision.best.lowerBound,
    threshold: main ? config.threshold : (reasons[0]?.threshold ?? config.threshold),
    reasons: reasons.map((r) => r.reason),
    reasonCounts: reasons,
    windowMinutes: config.windowMinutes,
    // Tokens are kept for every counter but the access-denied one; there, the named secrets of the window say it.
    distinctSecrets:
      tokens.size > 0
        ? tokens.size
        : [...mergeCounts(inWindow, (b) => b.secrets).keys()].filter((v) => v !== OTHER_VALUE).length,
    windowStart: iso(bucketStart(start)),
    windowEnd: iso(bucketStart(decision.best.end + 1)),
    crossedAt: iso(bucketStart(decision.crossing.end + 1)),
    firstSeen: iso(Math.min(...inWindow.map((b) => b.firstSeen))),
    lastSeen: iso(Math.max(...inWindow.map((b) => b.lastSeen))),
    accountId: latest?.identity.accountId ?? '',
    userArn: latest?.identity.userArn ?? '',
    userName: latest?.identity.userName ?? '',
    identityType: latest?.identity.identityType ?? '',
    accessKeyId: latest?.identity.accessKeyId ?? '',
    eventNames: valuesOf('eventNames', 10),
    sourceIps: valuesOf('sourceIps', 10),
    userAgents: valuesOf('userAgents', 10),
    regions: valuesOf('regions', 10),
    secrets: valuesOf('secrets', 20),
    severity: 'medium',
    riskScore: 47,
    mitre: MITRE,
    detectedAt: iso(now),
  };
  // Only when the actor has parts (an IAM user's key is its ARN, already in userArn).
  const parts = config.groupBy === 'actor' && latest ? actorParts(latest.identity) : undefined;
  const actor = parts && (parts.role || parts.session || parts.sourceIdentity) ? { actor: parts } : {};
  return { ...alert, ...actor, investigation: investigationOf(alert, latest?.identity) };
}

function investigationOf(alert: Alert, identity: BucketIdentity | undefined): Investigation {
  return {
    accessKeyKind: accessKeyKind(alert.accessKeyId),
    sessionIssuerArn: identity?.sessionIssuerArn ?? '',
    mfaAuthenticated: identity?.mfaAuthenticated,
    consoleSession: identity?.fromConsole === true,
    awsServiceCaller: identity?.invokedBy ?? '',
    vpcEndpointId: identity?.vpcEndpointId ?? '',
    distinctRegions: alert.regions.filter((r) => r.value !== OTHER_VALUE).length,
    ...queriesFor(alert),
    eventHistoryUrl: eventHistoryUrl(alert),
  };
}

interface Candidate {
  readonly alert: Alert;
  readonly previous: AlertClaim | undefined;
  readonly crossingEnd: number;
  /** Every reason that fired is muted: claim it as `muted`, publish nothing. */
  readonly muted: boolean;
  /** Reasons that fired but a mute dropped from the alert. */
  readonly mutedReasons: readonly string[];
}

/**
 * Whether `mutes` silence `reason` for `key` at `now`: exact key match (a mute never hides another key), in force
 * from its creation to `until` (a backtest replays mutes in simulated time), all reasons unless it names one.
 */
export function isMuted(mutes: readonly Mute[], key: string, reason: string, now: number): boolean {
  return mutes.some(
    (m) => m.key === key && m.createdAt <= now && now < m.until && (m.signal === undefined || m.signal === reason),
  );
}

/** One reason's decision for an identity, with the buckets it read. */
interface ReasonDecision {
  readonly reason: Reason;
  readonly decision: KeyDecision;
  readonly buckets: readonly BucketState[];
}

/**
 * A reason's count with what its headline needs (lib/engine/headline.ts): the main rule's measure, and the distinct
 * secrets and read APIs its calls named in the reason's best window (from the buckets' bounded context counts).
 */
function reasonCountOf(d: ReasonDecision, config: DetectionConfig): ReasonCount {
  const width = bucketsPerWindow(config);
  const end = d.decision.best.end;
  const inWindow = d.buckets.filter((b) => b.bucket > end - width && b.bucket <= end);
  const secrets = mergeCounts(inWindow, (b) => b.secrets);
  const apis = top(
    mergeCounts(inWindow, (b) => b.eventNames),
    10,
  ).filter((v) => v.value !== OTHER_VALUE);
  return {
    reason: d.reason,
    count: d.decision.best.count,
    threshold: measureOf(d.reason, config).threshold,
    ...(d.reason === MAIN_REASON ? { countMode: config.count } : {}),
    secrets: [...secrets.keys()].filter((v) => v !== OTHER_VALUE).length,
    apis: apis.map((v) => v.value),
  };
}

/** What one bucket can add to any window's measure, whatever the count mode: its events or its distinct tokens. */
export function bucketBound(events: number, tokens: number): number {
  return Math.max(events, tokens);
}

/**
 * Whether a key could ever be read by decideAlerts, which skips a key unless the bucket bounds of its look-back range
 * add up to its threshold: the largest such sum over every range of that width, from the key's bucket bounds in any
 * order. A key for which this is false never becomes a candidate at any `now`.
 */
export function canReachThreshold(
  bounds: Iterable<readonly [bucket: number, bound: number]>,
  reason: Reason,
  config: DetectionConfig,
): boolean {
  const threshold = measureOf(reason, config).threshold;
  const sorted = [...bounds].sort((a, b) => a[0] - b[0]);
  const range = lookBack(0, config);
  const width = range.to - range.from + 1;
  let sum = 0;
  let tail = 0;
  for (const [bucket, bound] of sorted) {
    sum += bound;
    while ((sorted[tail] as readonly [number, number])[0] <= bucket - width) {
      sum -= (sorted[tail] as readonly [number, number])[1];
      tail++;
    }
    if (sum >= threshold) return true;
  }
  return false;
}

/**
 * Decides alerts for every identity active in the look-back at `now`, folding complementary-signal counters onto
 * their identity (one alert, one suppression, several reasons). Read-only; `runEvaluation` claims and publishes.
 * Ordered by count (highest first) then identity, so the cap keeps the loudest keys.
 */
export async function decideAlerts(
  store: WindowStore,
  config: DetectionConfig,
  now: number,
  options: EvaluationOptions = {},
): Promise<{ candidates: Candidate[]; activeKeys: number; suppressed: number }> {
  const mutes = options.mutes ?? [];
  const nowBucket = Math.floor(now / BUCKET_MS);
  const range = lookBack(nowBucket, config);
  const keys =
    options.identities === undefined
      ? await store.activeKeys(range.from, range.to, now)
      : [...new Set(options.identities)].flatMap((id) => [id, ...config.signals.map((s) => signalKey(s, id))]);
  const byIdentity = new Map<string, { key: string; reason: Reason }[]>();
  for (const key of keys) {
    const { identity, signal } = parseKey(key);
    const list = byIdentity.get(identity) ?? [];
    list.push({ key, reason: signal ?? MAIN_REASON });
    byIdentity.set(identity, list);
  }
  const candidates: Candidate[] = [];
  let suppressed = 0;
  for (const [identity, counters] of byIdentity) {
    const read: { reason: Reason; buckets: BucketState[]; measure: Measure }[] = [];
    for (const { key, reason } of counters) {
      const measure = measureOf(reason, config);
      const buckets = await store.readBuckets(key, range.from, range.to, now);
      // Cheap bound: no window can reach the threshold if the whole look-back holds fewer events and tokens.
      let upper = 0;
      for (const b of buckets) upper += bucketBound(b.events, b.values.length);
      if (upper >= measure.threshold) read.push({ reason, buckets, measure });
    }
    if (read.length === 0) continue;
    const previous = await store.lastAlert(identity, now);
    const decided: ReasonDecision[] = [];
    let wouldAlert = false;
    for (const r of read) {
      const settings = { ...config, threshold: r.measure.threshold, count: r.measure.count };
      const decision = decideKey(r.buckets, previous?.windowEndBucket, nowBucket, settings);
      if (decision) decided.push({ reason: r.reason, decision, buckets: r.buckets });
      else if (previous && decideKey(r.buckets, undefined, nowBucket, settings)) wouldAlert = true;
    }
    if (decided.length === 0) {
      if (wouldAlert) suppressed++;
      continue;
    }
    // The main rule describes the alert when it fired; otherwise the earliest signal does.
    decided.sort(
      (a, b) =>
        (a.reason === MAIN_REASON ? -1 : b.reason === MAIN_REASON ? 1 : 0) ||
        a.decision.crossing.end - b.decision.crossing.end,
    );
    const crossingEnd = Math.min(...decided.map((d) => d.decision.crossing.end));
    const audible = decided.filter((d) => !isMuted(mutes, identity, d.reason, now));
    const mutedReasons = decided.filter((d) => !audible.includes(d)).map((d) => d.reason);
    const shown = audible.length > 0 ? audible : decided;
    const primary = shown[0] as ReasonDecision;
    const decision: KeyDecision = { ...primary.decision, crossing: { ...primary.decision.crossing, end: crossingEnd } };
    const mainBuckets = read.find((r) => r.reason === MAIN_REASON)?.buckets ?? primary.buckets;
    let alert = buildAlert(identity, decision, previous?.threadId, mainBuckets, config, now, {
      reasons: shown.map((d) => reasonCountOf(d, config)),
    });
    if (alert.continuation && previous?.thread) {
      // Totals since the first alert of the thread, from the buckets still kept.
      const from = Math.max(previous.thread.startBucket, oldestKeptBucket(nowBucket, config));
      const since = await store.readBuckets(identity, from, nowBucket, now);
      alert = { ...alert, thread: threadTotals(since, from, from <= previous.thread.startBucket) };
    }
    candidates.push({ alert, previous, crossingEnd, muted: audible.length === 0, mutedReasons });
  }
  candidates.sort((a, b) => b.alert.count - a.alert.count || (a.alert.identity < b.alert.identity ? -1 : 1));
  return { candidates, activeKeys: byIdentity.size, suppressed };
}

function claimFor(
  c: Candidate,
  status: AlertClaim['status'],
  notification: Notification,
  config: EvaluationSettings,
  now: number,
): AlertClaim {
  const published = status === 'pending';
  const thread = nextThreadState(
    c.previous,
    c.alert.continuation,
    c.crossingEnd,
    published ? c.alert.reasons : [],
    { ...(published ? { alertId: c.alert.alertId } : {}), muted: status === 'muted' || c.mutedReasons.length > 0 },
    config,
  );
  return {
    alertId: c.alert.alertId,
    key: c.alert.identity,
    threadId: c.alert.threadId,
    windowEndBucket: c.crossingEnd,
    status,
    notification,
    leaseUntil: now + config.alertLeaseSeconds * 1000,
    expiresAt: claimExpiresAt(c.crossingEnd, config),
    thread,
    // Only a thread with an alert owes a summary; a muted crossing keeps an alerted thread open.
    threadOpen: thread.lastAlertId !== undefined,
  };
}

export async function runEvaluation(
  store: WindowStore,
  publisher: AlertPublisher,
  config: EvaluationSettings,
  now: number,
  log?: Logger,
  options: EvaluationOptions = {},
): Promise<EvaluationReport> {
  const report: EvaluationReport = {
    activeKeys: 0,
    alerts: 0,
    retried: 0,
    suppressed: 0,
    overflowed: 0,
    muted: 0,
    summaries: 0,
    lostClaims: 0,
    publishFailures: 0,
    published: [],
    errors: [],
  };
  const leaseUntil = now + config.alertLeaseSeconds * 1000;

  const deliver = async (claim: Pick<AlertClaim, 'key' | 'alertId' | 'notification'>): Promise<boolean> => {
    try {
      await publisher.publish(claim.notification);
    } catch (cause) {
      const error = cause instanceof PublishError ? cause : new PublishError(claim.alertId, { cause });
      report.publishFailures++;
      report.errors.push(error);
      log?.warn('publish failed; alert stays pending and is retried after its lease', {
        alertId: claim.alertId,
        error,
      });
      return false;
    }
    report.published.push(claim.notification);
    await store.markSent(claim.key, claim.alertId, now);
    return true;
  };

  // 1. Alerts that an earlier run claimed but could not deliver (publish failed, or the evaluator died); left to
  // the scheduled evaluator when deciding given identities only.
  const unsent = options.identities === undefined ? await store.unsentAlerts(now) : [];
  for (const pending of unsent) {
    if (!(await store.renewLease(pending.key, pending.alertId, leaseUntil, now))) continue;
    if (await deliver(pending)) report.retried++;
  }

  // 2. New decisions.
  const mutes = options.mutes ?? (await store.listMutes(now));
  const { candidates, activeKeys, suppressed } = await decideAlerts(store, config, now, { ...options, mutes });
  report.activeKeys = activeKeys;
  report.suppressed = suppressed;
  const overflowed: Candidate[] = [];
  for (const c of candidates) {
    if (c.muted) {
      if (await store.claimAlert(claimFor(c, 'muted', c.alert, config, now), c.previous?.alertId, now)) {
        report.muted++;
        log?.info('crossing muted', { identity: c.alert.identity, alertId: c.alert.alertId, reasons: c.alert.reasons });
      } else report.lostClaims++;
      continue;
    }
    if (report.alerts + report.publishFailures >= config.maxAlertsPerRun) {
      if (await store.claimAlert(claimFor(c, 'overflowed', c.alert, config, now), c.previous?.alertId, now)) {
        overflowed.push(c);
      } else report.lostClaims++;
      continue;
    }
    const claim = claimFor(c, 'pending', c.alert, config, now);
    if (!(await store.claimAlert(claim, c.previous?.alertId, now))) {
      report.lostClaims++;
      continue;
    }
    if (c.mutedReasons.length > 0) report.muted++;
    if (await deliver(claim)) report.alerts++;
  }

  // 3. One summary for the keys beyond the cap.
  if (overflowed.length > 0) {
    report.overflowed = overflowed.length;
    const ids = overflowed.map((c) => c.alert.alertId);
    const summary: OverflowSummary = {
      kind: 'overflow',
      schemaVersion: ALERT_SCHEMA_VERSION,
      alertId: `rsr-overflow-${sha(ids.join('|')).slice(0, 32)}`,
      rule: RULE_ID,
      detectedAt: iso(now),
      maxAlertsPerRun: config.maxAlertsPerRun,
      keys: overflowed.length,
      identities: overflowed.map((c) => ({
        identity: c.alert.identity,
        count: c.alert.count,
        alertId: c.alert.alertId,
      })),
    };
    const claim: AlertClaim = {
      alertId: summary.alertId,
      key: `overflow#${summary.alertId}`,
      threadId: summary.alertId,
      windowEndBucket: Math.floor(now / BUCKET_MS),
      status: 'pending',
      notification: summary,
      leaseUntil,
      expiresAt: claimExpiresAt(Math.floor(now / BUCKET_MS), config),
    };
    if (await store.claimAlert(claim, undefined, now)) await deliver(claim);
    else report.lostClaims++;
  }

  // 4. Burst summaries of alerted threads that went quiet or reached the end of their suppression period (the
  // fast path leaves them to the scheduled evaluator).
  if (options.identities === undefined) {
    for (const open of await store.openThreads(now)) {
      const summary = await summaryFor(store, open, config, now);
      if (!summary) continue;
      const key = summaryClaimKey(open.key);
      const claim: AlertClaim = {
        alertId: summary.alertId,
        key,
        threadId: open.threadId,
        windowEndBucket: open.windowEndBucket,
        status: 'pending',
        notification: summary,
        leaseUntil,
        expiresAt: open.expiresAt,
      };
      const won = await store.claimAlert(claim, (await store.lastAlert(key, now))?.alertId, now);
      // Close either way: a lost claim means another evaluator holds this summary (or already sent it).
      await store.closeThread(open.key, open.alertId, now);
      if (!won) {
        report.lostClaims++;
        continue;
      }
      if (await deliver(claim)) report.summaries++;
    }
  }
  return report;
}

/**
 * The burst summary of an open thread if it is due at `now`. Most runs find a thread still active, so they read only
 * the last QUIET_MINUTES of its counters; the whole span is read once, when the summary is due.
 */
async function summaryFor(
  store: WindowStore,
  open: AlertClaim,
  config: DetectionConfig,
  now: number,
): Promise<Notification | undefined> {
  const nowBucket = Math.floor(now / BUCKET_MS);
  const thread = open.thread ?? nextThreadState(undefined, false, open.windowEndBucket, [], { muted: false }, config);
  const from = Math.max(thread.startBucket, oldestKeptBucket(nowBucket, config));
  const counters = [open.key, ...config.signals.map((s) => signalKey(s, open.key))];
  const recentFrom = Math.max(from, nowBucket - config.quietMinutes + 1);
  const recent: BucketState[][] = [];
  for (const key of counters) recent.push(await store.readBuckets(key, recentFrom, nowBucket, now));
  // No bucket in the last Q minutes means the latest one is at least Q minutes old: quiet.
  const last = lastActiveBucket(recent) ?? nowBucket - config.quietMinutes;
  const closedBy = summaryDue(open, last, nowBucket, config);
  if (!closedBy) return undefined;
  const buckets = await store.readBuckets(open.key, from, nowBucket, now);
  const signals = [];
  for (const s of config.signals) {
    signals.push({ reason: s, buckets: await store.readBuckets(signalKey(s, open.key), from, nowBucket, now) });
  }
  return buildSummary({ claim: open, thread, buckets, from, signals, closedBy }, config, now);
}
