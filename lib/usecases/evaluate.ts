/** The evaluator function's logic: one evaluation run, its metrics, and failure if any publish failed. */

import { count, type Telemetry } from '../adapters/telemetry';
import { PublishError } from '../engine/errors';
import type { EvaluationSettings } from '../engine/evaluate';
import { runEvaluation } from '../engine/evaluate';
import type { AlertPublisher, WindowStore } from '../engine/ports';

export interface EvaluateDeps {
  readonly store: WindowStore;
  readonly publisher: AlertPublisher;
  readonly config: EvaluationSettings;
  readonly telemetry: Telemetry;
}

/**
 * Failures a publisher counts itself without failing the publish (the best-effort Security Hub import exposes
 * `failures`); 0 for a publisher that keeps no such count.
 */
function sideFailures(publisher: AlertPublisher): number {
  const failures = (publisher as { readonly failures?: unknown }).failures;
  return typeof failures === 'number' ? failures : 0;
}

export async function handleEvaluate(deps: EvaluateDeps, now: number) {
  const { logger, metrics } = deps.telemetry;
  // The publisher lives as long as the container, so its count spans runs: this run's share is the difference.
  const failuresBefore = sideFailures(deps.publisher);
  const report = await runEvaluation(deps.store, deps.publisher, deps.config, now, logger);
  count(metrics, 'ActiveKeys', report.activeKeys);
  count(metrics, 'AlertsPublished', report.alerts);
  count(metrics, 'AlertsRetried', report.retried);
  count(metrics, 'AlertsSuppressed', report.suppressed);
  count(metrics, 'AlertsOverflowed', report.overflowed);
  count(metrics, 'CrossingsMuted', report.muted);
  count(metrics, 'SummariesPublished', report.summaries);
  count(metrics, 'ClaimsLost', report.lostClaims);
  count(metrics, 'PublishFailures', report.publishFailures);
  count(metrics, 'SecurityHubImportFailures', sideFailures(deps.publisher) - failuresBefore);
  metrics.addMetric('EvaluationRuns', 'Count', 1);
  metrics.publishStoredMetrics();
  const { published, errors, ...summary } = report;
  logger.info('evaluation done', { ...summary, alertIds: published.map((n) => n.alertId) });
  if (errors.length > 0) {
    // Failing the invocation makes the Errors alarm fire; the pending alerts are retried on the next run anyway.
    throw new PublishError(errors[0]?.alertId ?? 'unknown', { cause: errors });
  }
  return summary;
}
