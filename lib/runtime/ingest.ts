/**
 * The ingest function's logic: an EventBridge event ("AWS API Call via CloudTrail"), or an SQS batch of them when
 * a buffer queue sits in front. Bad input is logged with its reason and dropped (never retried forever); store
 * errors are thrown (EventBridge/Lambda retry, then the dead-letter path) or, for SQS, reported per message as
 * batch item failures so only those messages come back.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type Detector, emptyStats, type IngestStats, mergeStats } from '../engine/detector';
import { SKIP_REASONS } from '../engine/event';
import { unwrapDocument } from '../engine/records';
import type { WindowStore } from '../ports';
import { count, type Telemetry } from './telemetry';

export interface IngestDeps {
  readonly detector: Detector;
  readonly store: WindowStore;
  readonly telemetry: Telemetry;
}

const isSqsEvent = (event: unknown): event is SQSEvent =>
  typeof event === 'object' &&
  event !== null &&
  Array.isArray((event as { Records?: unknown }).Records) &&
  (event as SQSEvent).Records.every(
    (r) => typeof r === 'object' && r !== null && (r as { eventSource?: unknown }).eventSource === 'aws:sqs',
  );

async function ingestDocument(doc: unknown, deps: IngestDeps, now: number): Promise<IngestStats> {
  const { records, skipped } = unwrapDocument(doc);
  const stats = await deps.detector.ingest(deps.store, records, now);
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
  if (!isSqsEvent(event)) {
    const stats = await ingestDocument(event, deps, now);
    logStats(stats, deps);
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
      mergeStats(total, await ingestDocument(doc, deps, now));
    } catch (error) {
      logger.error('store update failed; message returns to the queue', { messageId: message.messageId, error });
      failures.push({ itemIdentifier: message.messageId });
    }
  }
  logStats(total, deps);
  publishIngestMetrics(total, deps.telemetry);
  return { batchItemFailures: failures };
}

function logStats(stats: IngestStats, deps: IngestDeps): void {
  const skipped = Object.fromEntries(Object.entries(stats.skipped).filter(([, n]) => n > 0));
  if (Object.keys(skipped).length > 0) deps.telemetry.logger.info('events skipped', { skipped });
  deps.telemetry.logger.debug('ingest done', { ...stats, skipped });
}
