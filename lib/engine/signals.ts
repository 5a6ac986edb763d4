/**
 * Complementary signals: reasons besides the main threshold that can raise an alert for an identity (on in the
 * `recommended` preset). Each counts under its own store key (identity.ts) with its own threshold and measure, over
 * the same window as the main rule; the evaluator merges the reasons into one alert with one suppression per identity.
 *
 *  - batch-calls       ≥ BATCH_CALLS_THRESHOLD (5) qualifying BatchGetSecretValue calls in a window
 *  - catch-all-filter  ≥ 1 BatchGetSecretValue whose filters can match every secret (a negated value, `!…`)
 *  - batch-regions     BatchGetSecretValue in ≥ BATCH_REGIONS_THRESHOLD (3) distinct regions in a window
 *  - access-denied     ≥ ACCESS_DENIED_THRESHOLD (20) AccessDenied retrievals in a window (someone probing for
 *                      readable secrets); needs the deployment to route failed calls (parameter includeFailedCalls)
 */

import type { AccessEvent } from './event';
import type { CountMode, DetectionConfig, Signal } from './settings';

export const MAIN_REASON = 'threshold';
export type Reason = typeof MAIN_REASON | Signal;

export interface Measure {
  readonly threshold: number;
  readonly count: CountMode;
}

export function measureOf(reason: Reason, config: DetectionConfig): Measure {
  switch (reason) {
    case 'threshold':
      return { threshold: config.threshold, count: config.count };
    case 'batch-calls':
      return { threshold: config.batchCallsThreshold, count: 'events' };
    case 'catch-all-filter':
      return { threshold: 1, count: 'events' };
    case 'batch-regions':
      return { threshold: config.batchRegionsThreshold, count: 'distinct-secrets' };
    case 'access-denied':
      return { threshold: config.accessDeniedThreshold, count: 'events' };
  }
}

/** A filter value starting with `!` negates it: `tag-key: !x` matches every secret without tag x, i.e. nearly all. */
export const isCatchAllBatch = (e: AccessEvent): boolean =>
  e.eventName === 'BatchGetSecretValue' && e.filters.some((f) => f.values.some((v) => v.startsWith('!')));

const DENIED = /AccessDenied|NotAuthorized|Unauthorized/i;
export const isAccessDenied = (e: AccessEvent): boolean => DENIED.test(e.errorCode);

/** Signals a qualifying event feeds, with the distinct-count tokens each needs. */
export function signalsOfQualifying(
  e: AccessEvent,
  enabled: ReadonlySet<Signal>,
): { signal: Signal; values: string[] }[] {
  if (e.eventName !== 'BatchGetSecretValue') return [];
  const out: { signal: Signal; values: string[] }[] = [];
  if (enabled.has('batch-calls')) out.push({ signal: 'batch-calls', values: [] });
  if (enabled.has('catch-all-filter') && isCatchAllBatch(e)) out.push({ signal: 'catch-all-filter', values: [] });
  if (enabled.has('batch-regions') && e.awsRegion !== '') out.push({ signal: 'batch-regions', values: [e.awsRegion] });
  return out;
}
