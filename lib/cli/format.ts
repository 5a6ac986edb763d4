/** Terminal rendering of notifications and the replay summary. Attacker-controlled text is made inert. */
import type { Alert, BurstSummary, Notification, ValueCount } from '../engine/alert';
import type { IngestStats } from '../engine/detector';
import { SKIP_REASONS } from '../engine/event';

/** Control characters (incl. ESC, so no terminal escape sequences) and bidi overrides become '?'. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200b-\u200f]/g;
export const inert = (s: string, max = 160): string => {
  const clean = s.replace(UNSAFE, '?');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
};

/** Secret ARNs are long and repetitive; the name after `:secret:` is what a person recognises. */
const secretName = (id: string): string => {
  const i = id.indexOf(':secret:');
  return id.startsWith('arn:') && i >= 0 ? id.slice(i + ':secret:'.length) : id;
};

const list = (xs: readonly ValueCount[], max = 5, show: (v: string) => string = (v) => v): string => {
  if (xs.length === 0) return '-';
  const shown = xs.slice(0, max).map((x) => `${inert(show(x.value), 100)} (${x.count})`);
  return xs.length > max ? `${shown.join(', ')}, +${xs.length - max} more` : shown.join(', ');
};

function formatAlert(a: Alert): string {
  const who = [a.identityType, a.userName || undefined, a.accountId ? `account ${a.accountId}` : undefined]
    .filter(Boolean)
    .map((s) => inert(String(s)))
    .join(', ');
  const lines = [
    `ALERT ${a.continuation ? `(continues ${a.threadId}) ` : ''}rapid secret retrieval — severity ${a.severity}`,
    `  identity   ${inert(a.identity)}${who ? ` (${who})` : ''}`,
    a.userArn ? `  arn        ${inert(a.userArn)}` : undefined,
    a.accessKeyId
      ? `  access key ${inert(a.accessKeyId)} (${a.accessKeyId.startsWith('AKIA') ? 'long-term' : a.accessKeyId.startsWith('ASIA') ? 'temporary' : 'unknown kind'})`
      : undefined,
    `  count      ${a.countIsLowerBound ? 'at least ' : ''}${a.count} ${a.countMode === 'events' ? 'retrievals' : 'distinct secrets'} in ${a.windowMinutes + 1} min (threshold ${a.threshold}, group by ${a.groupBy})`,
    `  window     ${a.windowStart} → ${a.windowEnd} (first ${a.firstSeen}, last ${a.lastSeen})`,
    `  calls      ${list(a.eventNames)}`,
    `  secrets    ${a.distinctSecrets} distinct: ${list(a.secrets, 8, secretName)}`,
    `  from       ${list(a.sourceIps)}`,
    `  agents     ${list(a.userAgents, 3)}`,
    `  regions    ${list(a.regions)}`,
    a.thread
      ? `  thread     since ${a.thread.since}: ${a.thread.callsIsLowerBound ? 'at least ' : ''}${a.thread.calls} calls, ${a.thread.distinctSecrets} distinct secrets, regions ${list(a.thread.regions)}${a.thread.complete ? '' : ' (earliest minutes no longer kept)'}`
      : undefined,
    `  as of      ${a.lastSeen}: the burst summary follows when the identity goes quiet`,
    `  alertId    ${a.alertId}`,
  ];
  return lines.filter((l): l is string => l !== undefined).join('\n');
}

function formatBurstSummary(s: BurstSummary): string {
  const closed = s.closedBy === 'quiet' ? `quiet for ${s.quietMinutes} min` : 'suppression period ended';
  const secrets = s.secrets.map((x) => `    ${inert(secretName(x.value), 120)} (${x.count})`);
  const lines = [
    `SUMMARY of burst ${s.threadId} (${closed}) — identity ${inert(s.identity)}${s.userName ? ` (${inert(s.userName)})` : ''}`,
    `  span       ${s.firstSeen} → ${s.lastSeen}${s.complete ? '' : ` (counted since ${s.since}; earlier minutes no longer kept)`}`,
    `  calls      ${s.callsIsLowerBound ? 'at least ' : ''}${s.calls}: ${list(s.eventNames)}`,
    `  reasons    ${s.reasons.join(', ') || '-'}${s.signalCalls.length ? ` (signal calls: ${list(s.signalCalls)})` : ''}`,
    s.mutedCrossings ? `  muted      ${s.mutedCrossings} crossing(s) silenced by a mute` : undefined,
    `  regions    ${list(s.regions, 20)}`,
    `  from       ${list(s.sourceIps, 10)}`,
    `  agents     ${list(s.userAgents, 5)}`,
    `  secrets    ${s.distinctSecrets} distinct${s.secretsNotListed ? ` (${s.secretsNotListed} more not listed)` : ''}:`,
    ...secrets,
    `  alertId    ${s.alertId} (last alert ${s.lastAlertId})`,
  ];
  return lines.filter((l): l is string => l !== undefined).join('\n');
}

export function formatNotification(n: Notification): string {
  if (n.kind === 'alert') return formatAlert(n);
  if (n.kind === 'summary') return formatBurstSummary(n);
  const ids = n.identities.map((i) => `  ${inert(i.identity)} (${i.count}) ${i.alertId}`);
  return [
    `OVERFLOW ${n.keys} more keys crossed the threshold at ${n.detectedAt} (cap ${n.maxAlertsPerRun} per run)`,
    ...ids,
  ].join('\n');
}

export function formatSummary(
  s: IngestStats,
  alerts: number,
  overflows: number,
  inputErrors: number,
  summaries = 0,
  muted = 0,
): string {
  const skipped = SKIP_REASONS.filter((r) => s.skipped[r] > 0)
    .map((r) => `${r} ${s.skipped[r]}`)
    .join(', ');
  return [
    `records read     ${s.received}`,
    `qualifying       ${s.qualifying} (counted ${s.counted}, duplicate ${s.duplicates}, above saturation ${s.saturated})`,
    `skipped          ${skipped || 'none'}`,
    `alerts           ${alerts}${overflows ? ` (+${overflows} overflow summaries)` : ''}`,
    `burst summaries  ${summaries}`,
    muted ? `muted crossings  ${muted}` : undefined,
    inputErrors ? `unreadable input ${inputErrors}` : undefined,
  ]
    .filter((l): l is string => l !== undefined)
    .join('\n');
}
