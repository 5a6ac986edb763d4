/** Terminal rendering of notifications and the replay summary. Attacker-controlled text is made inert. */
import type { Alert, BurstSummary, Notification, ValueCount } from '../engine/alert';
import type { IngestStats } from '../engine/detector';
import { SKIP_REASONS } from '../engine/event';
import { headline, reasonLabel, reasonPhrase, reasonsOf } from '../engine/headline';
import type { DetectionConfig } from '../engine/settings';
import { MAIN_REASON, measureOf, type Reason } from '../engine/signals';

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

/** The one wording of a window everywhere: WINDOW_MINUTES of look-back plus the current minute bucket. */
export const windowText = (windowMinutes: number): string => `${windowMinutes + 1}-minute window`;

/** The actor's parts (role, session, source identity) that are present, or nothing when the alert has none. */
function actorLine(a: Alert): string | undefined {
  if (a.actor === undefined) return undefined;
  const parts = [
    a.actor.role ? `role ${inert(a.actor.role)}` : undefined,
    a.actor.session ? `session ${inert(a.actor.session)}` : undefined,
    a.actor.sourceIdentity ? `source identity ${inert(a.actor.sourceIdentity)}` : undefined,
  ].filter((p): p is string => p !== undefined);
  return parts.length === 0 ? undefined : `  actor      ${parts.join(', ')}`;
}

function formatAlert(a: Alert): string {
  const who = [a.identityType, a.userName || undefined, a.accountId ? `account ${a.accountId}` : undefined]
    .filter(Boolean)
    .map((s) => inert(String(s)))
    .join(', ');
  const reasons = reasonsOf(a);
  const lines = [
    `ALERT ${a.continuation ? `(continues ${a.threadId}) ` : ''}rapid secret retrieval: ${headline(a)} — severity ${a.severity}`,
    `  identity   ${inert(a.identity)}${who ? ` (${who})` : ''}, group by ${a.groupBy}`,
    a.userArn ? `  arn        ${inert(a.userArn)}` : undefined,
    actorLine(a),
    a.accessKeyId
      ? `  access key ${inert(a.accessKeyId)} (${a.accessKeyId.startsWith('AKIA') ? 'long-term' : a.accessKeyId.startsWith('ASIA') ? 'temporary' : 'unknown kind'})`
      : undefined,
    ...reasons.map(
      (r, i) =>
        `  ${i === 0 ? 'fired     ' : '          '} ${reasonLabel(r.reason)}: ${reasonPhrase(r, i === 0 && a.countIsLowerBound)} in a ${windowText(a.windowMinutes)} (threshold ${r.threshold})`,
    ),
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

/** The run header: preset, window and grouping, and what fires at which threshold (main rule and each signal). */
export function formatHeader(command: string, c: DetectionConfig): string {
  const fires = ([MAIN_REASON, ...c.signals] as Reason[]).map((reason) => {
    const m = measureOf(reason, c);
    const unit = reasonPhrase({ reason, count: m.threshold, threshold: m.threshold, countMode: c.count });
    return `${reasonLabel(reason)} at ${unit}`;
  });
  return [
    `rsr ${command}: preset ${c.preset}, ${windowText(c.windowMinutes)} (WINDOW_MINUTES ${c.windowMinutes} + the current minute), group by ${c.groupBy}`,
    `fires on: ${fires.join('; ')}`,
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
    s.usedBySignals ? `used by signals  ${s.usedBySignals} (failed calls counted by access-denied)` : undefined,
    `skipped          ${skipped || 'none'}`,
    `alerts           ${alerts}${overflows ? ` (+${overflows} overflow summaries)` : ''}`,
    `burst summaries  ${summaries}`,
    muted ? `muted crossings  ${muted}` : undefined,
    inputErrors ? `unreadable input ${inputErrors}` : undefined,
  ]
    .filter((l): l is string => l !== undefined)
    .join('\n');
}
