/**
 * The ingest function's logic: an EventBridge event ("AWS API Call via CloudTrail"), or an SQS batch of them when
 * a buffer queue sits in front. Bad input is logged with its reason and dropped (never retried forever); store
 * errors are thrown (EventBridge/Lambda retry, then the dead-letter path) or, for SQS, reported per message as
 * batch item failures so only those messages come back.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { count, type Telemetry } from '../adapters/telemetry';
import { type Detector, emptyStats, type IngestStats, mergeStats } from '../engine/detector';
import { type EvaluationSettings, runEvaluation } from '../engine/evaluate';
import { SKIP_REASONS } from '../engine/event';
import type { QuietKeys } from '../engine/fast-path';
import type { AlertPublisher, WindowStore } from '../engine/ports';
import { unwrapDocument } from '../engine/records';

/**
 * The ingest fast path (FAST_PATH, on when TOPIC_ARN is set): the keys the store's writes report crossing
 * (lib/engine/fast-path.ts) are evaluated at once; `quiet` remembers those handed off. One per container, like the
 * store.
 */
export interface FastPathDeps {
  readonly quiet: QuietKeys;
  readonly publisher: AlertPublisher;
  readonly config: EvaluationSettings;
}

export interface IngestDeps {
  readonly detector: Detector;
  readonly store: WindowStore;
  readonly telemetry: Telemetry;
  readonly fastPath?: FastPathDeps;
}

export interface FastPathOutcome {
  /** Keys the store reported crossing (and not quiet), handed to an evaluation. */
  readonly hot: number;
  /** Alerts published from ingest. */
  readonly alerts: number;
  /** Crossings an analyst mute silenced (claimed as muted from ingest). */
  readonly muted?: number;
  /** Publish failures and thrown errors; the scheduled evaluator delivers (or retries) instead. */
  readonly errors: number;
}

/**
 * Evaluates the keys the store reported crossing, with the same claims as the scheduled evaluator. Never throws: the
 * events are counted already, and the evaluator alerts within a minute.
 */
export async function runFastPath(crossed: readonly string[], deps: IngestDeps, now: number): Promise<FastPathOutcome> {
  const fastPath = deps.fastPath;
  if (fastPath === undefined || crossed.length === 0) return { hot: 0, alerts: 0, errors: 0 };
  const { logger } = deps.telemetry;
  let hot: string[] = [];
  try {
    hot = fastPath.quiet.hot(crossed, now);
    if (hot.length === 0) return { hot: 0, alerts: 0, errors: 0 };
    const report = await runEvaluation(deps.store, fastPath.publisher, fastPath.config, now, logger, {
      identities: hot,
    });
    // Quiet the keys once the store settled them (claimed, suppressed, lost to another claimant). Nothing settled
    // means the store did not show the crossing yet (an eventually consistent read): the next event tries again.
    const settled =
      report.alerts + report.lostClaims + report.suppressed + report.overflowed + report.muted + report.publishFailures;
    if (settled > 0) fastPath.quiet.handOff(hot, now);
    if (report.published.length > 0) {
      logger.info('fast path published', { hot, alertIds: report.published.map((n) => n.alertId) });
    }
    return { hot: hot.length, alerts: report.alerts, muted: report.muted, errors: report.publishFailures };
  } catch (error) {
    logger.error('fast path failed; the events are counted and the scheduled evaluator alerts', { hot, error });
    return { hot: hot.length, alerts: 0, errors: 1 };
  }
}

const isSqsEvent = (event: unknown): event is SQSEvent =>
  typeof event === 'object' &&
  event !== null &&
  Array.isArray((event as { Records?: unknown }).Records) &&
  (event as SQSEvent).Records.every(
    (r) => typeof r === 'object' && r !== null && (r as { eventSource?: unknown }).eventSource === 'aws:sqs',
  );

async function ingestDocument(doc: unknown, deps: IngestDeps, now: number, crossed: string[]): Promise<IngestStats> {
  const { records, skipped } = unwrapDocument(doc);
  const report = deps.fastPath ? (key: string) => crossed.push(key) : undefined;
  const stats = await deps.detector.ingest(deps.store, records, now, report);
  for (const reason of skipped) {
    stats.received++;
    stats.skipped[reason]++;
  }
  return stats;
}

export function publishIngestMetrics(stats: IngestStats, telemetry: Telemetry): void {
  const { metrics } = telemetry;
  metrics.addMetric('EventsReceived', MetricUnit.Count, stats.received);
  count(metrics, 'EventsQualifying', stats.qualifying);
  count(metrics, 'EventsCounted', stats.counted);
  count(metrics, 'EventsDuplicate', stats.duplicates);
  count(metrics, 'EventsAboveSaturation', stats.saturated);
  count(metrics, 'EventsLate', stats.late);
  count(metrics, 'EventsUsedBySignals', stats.usedBySignals);
  const skipped = SKIP_REASONS.reduce((s, r) => s + stats.skipped[r], 0);
  count(metrics, 'EventsSkipped', skipped);
  metrics.publishStoredMetrics();
  for (const reason of SKIP_REASONS) {
    if (stats.skipped[reason] === 0) continue;
    const single = metrics.singleMetric();
    single.addDimension('reason', reason);
    count(single, 'EventsSkippedByReason', stats.skipped[reason]);
    single.publishStoredMetrics();
  }
}

export async function handleIngest(
  event: unknown,
  deps: IngestDeps,
  now: number,
): Promise<SQSBatchResponse | IngestStats> {
  const { logger } = deps.telemetry;
  const crossed: string[] = [];
  if (!isSqsEvent(event)) {
    const stats = await ingestDocument(event, deps, now, crossed);
    logStats(stats, deps);
    fastPathMetrics(await runFastPath(crossed, deps, now), deps.telemetry);
    publishIngestMetrics(stats, deps.telemetry);
    return stats;
  }
  const total = emptyStats();
  const failures: { itemIdentifier: string }[] = [];
  for (const message of event.Records) {
    let doc: unknown;
    try {
      doc = JSON.parse(message.body);
    } catch {
      total.received++;
      total.skipped['unparsable-json']++;
      // `body` is typed as text, but a hand-made or corrupted event may lack it: that must not fail the batch.
      const bytes = typeof message.body === 'string' ? message.body.length : undefined;
      logger.warn('dropping unparsable SQS message', { messageId: message.messageId, bytes });
      continue;
    }
    try {
      mergeStats(total, await ingestDocument(doc, deps, now, crossed));
    } catch (error) {
      logger.error('store update failed; message returns to the queue', { messageId: message.messageId, error });
      failures.push({ itemIdentifier: message.messageId });
    }
  }
  logStats(total, deps);
  fastPathMetrics(await runFastPath(crossed, deps, now), deps.telemetry);
  publishIngestMetrics(total, deps.telemetry);
  return { batchItemFailures: failures };
}

function fastPathMetrics(outcome: FastPathOutcome, telemetry: Telemetry): void {
  count(telemetry.metrics, 'FastPathAlerts', outcome.alerts);
  count(telemetry.metrics, 'FastPathErrors', outcome.errors);
  count(telemetry.metrics, 'CrossingsMuted', outcome.muted ?? 0);
}

function logStats(stats: IngestStats, deps: IngestDeps): void {
  const skipped = Object.fromEntries(Object.entries(stats.skipped).filter(([, n]) => n > 0));
  if (Object.keys(skipped).length > 0) deps.telemetry.logger.info('events skipped', { skipped });
  deps.telemetry.logger.debug('ingest done', { ...stats, skipped });
}
