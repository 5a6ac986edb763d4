/**
 * Grouping keys. `principal` is userIdentity.principalId (the reference's user.id: one value per role session);
 * `actor` is stable across sessions: the role ARN behind an assumed-role session, else userIdentity.arn.
 */
import type { GroupBy } from '../config';
import type { AccessEvent } from './event';

export function groupKey(event: AccessEvent, groupBy: GroupBy): string | undefined {
  const id = event.identity;
  let key: string;
  if (groupBy === 'principal') key = id.principalId;
  else key = id.sessionIssuerArn || id.arn || id.principalId;
  return key === '' ? undefined : key;
}
