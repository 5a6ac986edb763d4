/**
 * Grouping keys. `principal` is userIdentity.principalId (the reference's user.id: one value per role session);
 * `actor` is stable across sessions: the role ARN behind an assumed-role session, else userIdentity.arn.
 *
 * Complementary signals (lib/engine/signals.ts) count under their own store keys, `signal:<name>:<identity>`, so the
 * main counters stay exactly the reference's; the evaluator folds them back onto the identity, which has one
 * suppression across all reasons. Identities are AWS principal ids or ARNs and never start with `signal:`.
 */

import type { AccessEvent } from './event';
import type { GroupBy, Signal } from './settings';

export function groupKey(event: AccessEvent, groupBy: GroupBy): string | undefined {
  const id = event.identity;
  let key: string;
  if (groupBy === 'principal') key = id.principalId;
  else key = id.sessionIssuerArn || id.arn || id.principalId;
  return key === '' ? undefined : key;
}

const SIGNAL_PREFIX = 'signal:';

export const signalKey = (signal: Signal, identity: string): string => `${SIGNAL_PREFIX}${signal}:${identity}`;

/** Splits a store key into the identity and, for a signal counter, the signal's name. */
export function parseKey(key: string): { readonly identity: string; readonly signal: Signal | undefined } {
  if (!key.startsWith(SIGNAL_PREFIX)) return { identity: key, signal: undefined };
  const rest = key.slice(SIGNAL_PREFIX.length);
  const colon = rest.indexOf(':');
  return { identity: rest.slice(colon + 1), signal: rest.slice(0, colon) as Signal };
}
