/**
 * What fired, in words a responder reads first: one phrase per reason, counted in that reason's own unit, with the
 * threshold that applies to it. Every rendering (terminal, email, chat, Security Hub) takes its headline from here,
 * so that an access-denied alert never reads as "read 24 distinct secrets" anywhere.
 *
 *  - threshold (main rule)  COUNT=events: "22 secret reads"; COUNT=distinct-secrets: "21 distinct secrets read"
 *  - access-denied          "24 denied GetSecretValue calls on 2 secrets"
 *  - batch-calls            "6 BatchGetSecretValue calls"
 *  - catch-all-filter       "1 BatchGetSecretValue call with a filter that matches nearly every secret"
 *  - batch-regions          "BatchGetSecretValue calls in 3 regions"
 */
import type { Alert, ReasonCount } from './alert';

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The reason's name as people read it. */
export function reasonLabel(reason: string): string {
  return reason === 'threshold' ? 'main rule' : `${reason} signal`;
}

/** Read APIs as a phrase: the one API named, or "secret read" when several. */
function apiPhrase(apis: readonly string[] | undefined, fallback: string): string {
  return apis && apis.length === 1 ? (apis[0] as string) : fallback;
}

/** "24 denied GetSecretValue calls on 2 secrets" and the like; `lowerBound` prefixes "at least". */
export function reasonPhrase(r: ReasonCount, lowerBound = false): string {
  const n = r.count;
  const atLeast = lowerBound ? 'at least ' : '';
  switch (r.reason) {
    case 'threshold':
      return r.countMode === 'distinct-secrets'
        ? `${atLeast}${plural(n, 'distinct secret', 'distinct secrets')} read`
        : `${atLeast}${plural(n, 'secret read', 'secret reads')}`;
    case 'access-denied': {
      const api = apiPhrase(r.apis, 'secret read');
      const on = r.secrets === undefined ? '' : ` on ${plural(r.secrets, 'secret', 'secrets')}`;
      return `${atLeast}${plural(n, `denied ${api} call`, `denied ${api} calls`)}${on}`;
    }
    case 'batch-calls':
      return `${atLeast}${plural(n, 'BatchGetSecretValue call', 'BatchGetSecretValue calls')}`;
    case 'catch-all-filter':
      return `${atLeast}${plural(n, 'BatchGetSecretValue call', 'BatchGetSecretValue calls')} with a filter that matches nearly every secret`;
    case 'batch-regions':
      return `BatchGetSecretValue calls in ${atLeast}${plural(n, 'region', 'regions')}`;
    default:
      return `${atLeast}${n} (${r.reason})`;
  }
}

/** "24 denied GetSecretValue calls on 2 secrets (access-denied signal, threshold 20)". */
export function reasonLine(r: ReasonCount, lowerBound = false): string {
  return `${reasonPhrase(r, lowerBound)} (${reasonLabel(r.reason)}, threshold ${r.threshold})`;
}

/** Each reason that fired, in the alert's order (the main rule first when it fired). */
export function reasonsOf(
  a: Pick<Alert, 'reasonCounts' | 'count' | 'threshold' | 'countMode'>,
): readonly ReasonCount[] {
  const list = a.reasonCounts ?? [];
  if (list.length > 0)
    return list.map((r) => (r.reason === 'threshold' && !r.countMode ? { ...r, countMode: a.countMode } : r));
  return [{ reason: 'threshold', count: a.count, threshold: a.threshold, countMode: a.countMode }];
}

/** The whole headline: every reason's phrase, joined; the first carries the alert's lower-bound flag. */
export function headline(
  a: Pick<Alert, 'reasonCounts' | 'count' | 'threshold' | 'countMode' | 'countIsLowerBound'>,
): string {
  return reasonsOf(a)
    .map((r, i) => reasonPhrase(r, i === 0 && a.countIsLowerBound))
    .join('; ');
}

/** The compact form for subjects and titles, where the identity needs the room: "24+ denied reads". */
export function shortPhrase(r: ReasonCount, lowerBound = false): string {
  const n = `${r.count}${lowerBound ? '+' : ''}`;
  switch (r.reason) {
    case 'threshold':
      return r.countMode === 'distinct-secrets' ? `${n} distinct secrets` : `${n} secret reads`;
    case 'access-denied':
      return `${n} denied reads`;
    case 'batch-calls':
      return `${n} batch calls`;
    case 'catch-all-filter':
      return `${n} catch-all batch ${r.count === 1 ? 'call' : 'calls'}`;
    case 'batch-regions':
      return `batch reads in ${n} regions`;
    default:
      return `${n} ${r.reason}`;
  }
}
