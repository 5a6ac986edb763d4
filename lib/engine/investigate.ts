/**
 * Investigation context for an alert: ready queries and links so a responder can pull the identity's activity
 * around the window without composing them by hand. Pure; every value placed in SQL is escaped, because identities,
 * ARNs and agents come from the (attacker-influenced) records.
 */
import type { Alert, Investigation } from './alert';
import { SOURCE_IDENTITY_PREFIX } from './identity';

export type { Investigation } from './alert';

export const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

const WINDOW_PADDING_MS = 60 * 60_000;

export function accessKeyKind(id: string): Investigation['accessKeyKind'] {
  if (id.startsWith('AKIA')) return 'long-term';
  if (id.startsWith('ASIA')) return 'temporary';
  return 'unknown';
}

/** Which userIdentity field the alert's identity is, for the WHERE clause. */
function identityPredicate(alert: Pick<Alert, 'groupBy' | 'identity'>, column: (field: string) => string): string {
  if (alert.groupBy === 'principal') return `${column('principalId')} = ${sqlString(alert.identity)}`;
  // An actor keyed by source identity spans roles: select on the field itself (identity.ts).
  if (alert.identity.startsWith(SOURCE_IDENTITY_PREFIX))
    return `${column('sessionContext.sourceIdentity')} = ${sqlString(alert.identity.slice(SOURCE_IDENTITY_PREFIX.length))}`;
  return `(${column('arn')} = ${sqlString(alert.identity)} OR ${column('sessionContext.sessionIssuer.arn')} = ${sqlString(alert.identity)})`;
}

const sqlTime = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, '');

export function queriesFor(alert: Pick<Alert, 'groupBy' | 'identity' | 'windowStart' | 'windowEnd'>) {
  const from = Date.parse(alert.windowStart) - WINDOW_PADDING_MS;
  const to = Date.parse(alert.windowEnd) + WINDOW_PADDING_MS;
  const lake = [
    'SELECT eventTime, eventSource, eventName, awsRegion, sourceIPAddress, userAgent, errorCode, requestParameters',
    'FROM $EDS_ID',
    `WHERE ${identityPredicate(alert, (f) => `userIdentity.${f}`)}`,
    `  AND eventTime >= ${sqlString(sqlTime(from))} AND eventTime < ${sqlString(sqlTime(to))}`,
    'ORDER BY eventTime',
  ].join('\n');
  const athena = [
    'SELECT eventtime, eventsource, eventname, awsregion, sourceipaddress, useragent, errorcode, requestparameters',
    'FROM cloudtrail_logs',
    `WHERE ${identityPredicate(alert, (f) => `useridentity.${f.toLowerCase()}`)}`,
    `  AND eventtime >= ${sqlString(new Date(from).toISOString())} AND eventtime < ${sqlString(new Date(to).toISOString())}`,
    'ORDER BY eventtime',
  ].join('\n');
  return { cloudTrailLakeQuery: lake, athenaQuery: athena };
}

export function eventHistoryUrl(
  alert: Pick<Alert, 'accessKeyId' | 'userName' | 'regions' | 'windowStart' | 'windowEnd'>,
): string {
  const first = alert.regions.find((r) => /^[a-z]{2}(-[a-z]+)+-\d$/.test(r.value));
  const region = first?.value ?? 'us-east-1';
  // The console reads these filters from the fragment; they are not a documented interface (the CLI's
  // `aws cloudtrail lookup-events` in the alert text is), so a changed console may ignore them.
  const [attribute, value] = alert.accessKeyId ? ['AccessKeyId', alert.accessKeyId] : ['Username', alert.userName];
  const filters = new URLSearchParams({
    [attribute]: value,
    StartTime: new Date(Date.parse(alert.windowStart) - WINDOW_PADDING_MS).toISOString(),
    EndTime: new Date(Date.parse(alert.windowEnd) + WINDOW_PADDING_MS).toISOString(),
  });
  return `https://${region}.console.aws.amazon.com/cloudtrailv2/home?region=${region}#/events?${filters.toString()}`;
}
