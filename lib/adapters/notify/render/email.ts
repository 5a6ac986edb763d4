/**
 * The email audience: the plain-text alert used for SNS `default` and `email` (and the terminal's long form).
 * Every attacker-controlled value is neutralised; queries are SQL-escaped, then defanged line by line.
 */

import type { Alert, BurstSummary, Notification, OverflowSummary, ValueCount } from '../../../engine/alert';
import { MITRE } from '../../../engine/alert';
import { headline } from '../../../engine/headline';
import { neutralize } from '../sanitize';
import {
  actorParts,
  cloudTrailCommand,
  describeAccessKey,
  EXCEPTIONS_DOC,
  FULL_RENDER,
  firedLines,
  num,
  plural,
  type RenderOptions,
  SAFE_ACCESS_KEY,
  SAFE_USER_NAME,
  SUMMARY_SECRETS_PER_LIST_ENTRY,
  shortIdentity,
  splitList,
  summaryLookupCommands,
  windowLengthMinutes,
} from './common';

function textList(list: readonly ValueCount[], o: RenderOptions, indent = '  '): string[] {
  if (list.length === 0) return [`${indent}(none recorded)`];
  const { shown, hidden, other } = splitList(list, o.listLimit);
  const lines = shown.map((v) => `${indent}- ${neutralize(v.value, o.valueMax)}: ${num(v.count)}`);
  if (hidden > 0) lines.push(`${indent}- ... and ${hidden} more not shown`);
  if (other) lines.push(`${indent}- (other values, not kept individually): ${num(other.count)}`);
  return lines;
}

function shortenedNote(o: RenderOptions): string[] {
  if (o.shortened === 'no') return [];
  const lines = [
    'NOTE: this notification was shortened to fit the SNS limit of 256 KiB per message: lists show fewer',
    'entries and long values are cut.',
  ];
  if (o.shortened === 'data') {
    lines.push(
      'The JSON payload for sqs/lambda subscribers was shortened as well (message attribute truncated=true).',
      'The exact values are in CloudTrail for the window below.',
    );
  }
  return [...lines, ''];
}

/** Context a responder checks first, plus ready queries (values in them are SQL-escaped, not neutralised). */
function investigationText(a: Pick<Alert, 'investigation'>, v: (s: string) => string): string[] {
  const i = a.investigation;
  if (!i) return [];
  const yesNo = (b: boolean | undefined) => (b === undefined ? 'not recorded' : b ? 'yes' : 'no');
  return [
    'CONTEXT',
    `  Credentials: ${i.accessKeyKind === 'long-term' ? 'long-term access key (AKIA): an IAM user key that stays valid until rotated' : i.accessKeyKind === 'temporary' ? 'temporary credentials (ASIA): an STS session' : 'unknown kind'}`,
    ...(i.sessionIssuerArn ? [`  Session issued by role: ${v(i.sessionIssuerArn)}`] : []),
    `  MFA used for the session: ${yesNo(i.mfaAuthenticated)}`,
    `  Console session: ${i.consoleSession ? 'yes' : 'no'}`,
    `  Made by an AWS service on the principal's behalf: ${i.awsServiceCaller ? v(i.awsServiceCaller) : 'no'}`,
    `  Through a VPC endpoint: ${i.vpcEndpointId ? v(i.vpcEndpointId) : 'no'}`,
    `  Distinct regions: ${num(i.distinctRegions)}`,
    '  CloudTrail Lake (replace $EDS_ID with your event data store):',
    ...i.cloudTrailLakeQuery.split('\n').map((l) => `    ${neutralizeQueryLine(l)}`),
    '  Athena (replace cloudtrail_logs with your CloudTrail table):',
    ...i.athenaQuery.split('\n').map((l) => `    ${neutralizeQueryLine(l)}`),
    `  Event history: ${i.eventHistoryUrl}`,
    '',
  ];
}

/**
 * Query lines keep their SQL quoting; only characters that could break the plain-text mail (control and bidi
 * characters) are made visible, and URL schemes are defanged: an IAM role path may hold any printable ASCII, so under
 * GROUP_BY=actor the identity can carry `https://…`, which mail clients would turn into a live link. The identity
 * inside is already an SQL string literal (a defanged one no longer matches, which the reader can see).
 */
function neutralizeQueryLine(line: string): string {
  return (
    line
      // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
      .replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200b-\u200f]/g, '?')
      .replace(/:\/\//g, '[:]//')
  );
}

function alertText(a: Alert, o: RenderOptions): string {
  const v = (s: string) => (s === '' ? '(none recorded)' : neutralize(s, o.valueMax));
  const minutes = windowLengthMinutes(a);
  const command = cloudTrailCommand(a);
  const keyStep =
    a.accessKeyId.startsWith('AKIA') && SAFE_ACCESS_KEY.test(a.accessKeyId) && SAFE_USER_NAME.test(a.userName)
      ? `   For this key: aws iam update-access-key --user-name ${a.userName} --access-key-id ${a.accessKeyId} --status Inactive`
      : undefined;

  const lines: string[] = [
    a.continuation
      ? 'Rapid secret retrieval continues (AWS Secrets Manager)'
      : 'Rapid secret retrieval (AWS Secrets Manager)',
    '',
    `${v(shortIdentity(a))}: ${headline(a)}, within a ${num(minutes)}-minute window.`,
    '',
    ...shortenedNote(o),
    'WHO',
    `  Identity (grouping key, ${a.groupBy}): ${v(a.identity)}`,
    `  Identity type: ${v(a.identityType)}`,
    `  User or role name: ${v(a.userName)}`,
    `  ARN: ${v(a.userArn)}`,
    ...(actorParts(a).length > 0
      ? [
          `  Actor: ${actorParts(a)
            .map((p) => `${p.label} ${v(p.value)}`)
            .join(', ')}`,
        ]
      : []),
    `  Account: ${v(a.accountId)}`,
    `  Access key: ${v(a.accessKeyId)} (${describeAccessKey(a.accessKeyId)})`,
    '',
    'HOW MANY',
    ...firedLines(a).map((line, i) => `  ${i === 0 ? 'Fired' : '     '}: ${line}`),
    `  Window: ${num(minutes)} minutes (WINDOW_MINUTES=${num(a.windowMinutes)} plus the current minute)`,
    `  Distinct secrets: ${num(a.distinctSecrets)}`,
  ];
  if (a.countIsLowerBound) {
    lines.push(
      '  The count is a lower bound: at least one minute of the window hit the per-minute counting cap',
      '  (threshold x SATURATION_FACTOR), so the real number is higher.',
    );
  }
  if (a.continuation) {
    lines.push(
      `  This burst was first reported as ${v(a.threadId)} and is still going on; this alert covers the`,
      '  activity since the suppression period of that alert.',
    );
  }
  lines.push('  Calls by API:', ...textList(a.eventNames, o, '    '));
  if (a.thread) {
    lines.push(
      `  Since the first alert of this burst (${v(a.thread.since)}): ${a.thread.callsIsLowerBound ? 'at least ' : ''}${num(a.thread.calls)} calls, ${num(a.thread.distinctSecrets)} distinct secrets,`,
      `  regions ${a.thread.regions.map((r) => neutralize(r.value, o.valueMax)).join(', ') || '(none recorded)'}.`,
    );
  }
  lines.push(
    '',
    `WHICH SECRETS (${num(a.distinctSecrets)} distinct; reads per secret) as of ${v(a.lastSeen)}`,
    '  The burst may still be going on: a BURST SUMMARY with the complete list of secrets, regions and',
    '  addresses follows once the identity has been quiet for a while (at the latest when suppression ends).',
    ...textList(a.secrets, o),
    '',
    'FROM WHERE',
    '  Source IP addresses:',
    ...textList(a.sourceIps, o, '    '),
    '  User agents:',
    ...textList(a.userAgents, o, '    '),
    '  Regions:',
    ...textList(a.regions, o, '    '),
    '',
    'WHEN (UTC)',
    `  Window: ${v(a.windowStart)} to ${v(a.windowEnd)} (end exclusive)`,
    `  First read: ${v(a.firstSeen)}`,
    `  Last read: ${v(a.lastSeen)}`,
    `  Detected: ${v(a.detectedAt)}`,
    '',
    ...investigationText(a, v),
    'WHAT TO CHECK NEXT',
    '1. Ask the owner of this identity (the team or application behind it) whether this burst was expected,',
    '   for example a deployment, a restart of many tasks, a migration or a new batch job.',
    '2. Compare the source IPs and user agents above with what this identity normally uses: its own network',
    '   ranges or NAT addresses and its usual SDK. A workstation, a VPN exit, an unfamiliar tool or a new',
    '   region for a workload identity makes an innocent explanation less likely.',
    '3. Review everything else this identity did from an hour before the first read to an hour after the',
    '   last one: look for ListSecrets, GetCallerIdentity, new access keys or roles, policy changes and',
    '   activity in regions it does not normally use.',
  );
  if (command) lines.push(`   For example: ${command}`);
  const deniedOnly = a.reasonCounts?.length > 0 && a.reasonCounts.every((r) => r.reason === 'access-denied');
  lines.push(
    ...(deniedOnly
      ? [
          '4. These reads were denied: the secrets listed were not returned. Someone is probing for readable',
          '   secrets; find which of its other calls succeeded (step 3) and treat those secrets as exposed.',
        ]
      : [
          '4. If the reads stay unexplained, treat the secrets listed above as exposed: rotate them and check where',
          '   the old values were used since. The burst summary that follows lists every secret the burst read.',
        ]),
    '5. Cut off the access: deactivate a long-term key (AKIA); for temporary credentials (ASIA), revoke the',
    "   role's active sessions and find how the session was obtained (its AssumeRole call).",
  );
  if (keyStep) lines.push(keyStep);
  lines.push(
    `6. If the activity is legitimate and will recur, add an exception for it (see ${EXCEPTIONS_DOC}) rather`,
    '   than raising the threshold for everyone.',
    '',
    'REFERENCE',
    `  alertId: ${v(a.alertId)} (the same alert may be delivered more than once; drop repeats by this id)`,
    `  threadId: ${v(a.threadId)}`,
    `  Rule: ${a.rule} (preset ${a.preset}), severity ${a.severity}, risk score ${num(a.riskScore)}`,
    `  MITRE ATT&CK: ${MITRE.map((m) => `${m.tactic} / ${m.subtechnique} ${m.name}`).join('; ')}`,
    '  Values from CloudTrail are shown defanged: control characters as \\uXXXX, < > as ‹ ›, "://" as "[:]//",',
    '  and long values cut with an ellipsis. The sqs/lambda JSON payload carries them unchanged.',
  );
  return `${lines.join('\n')}\n`;
}

function overflowText(s: OverflowSummary, o: RenderOptions): string {
  const v = (x: string) => (x === '' ? '(none)' : neutralize(x, o.valueMax));
  const shown = [...s.identities].sort((a, b) => b.count - a.count).slice(0, o.overflowListLimit);
  const lines: string[] = [
    'Rapid secret retrieval: more identities crossed the threshold (overflow)',
    '',
    `${num(s.keys)} more ${plural(s.keys, 'identity', 'identities')} crossed the threshold in one evaluator run after`,
    `MAX_ALERTS_PER_RUN (${num(s.maxAlertsPerRun)}) alerts had already been produced. They were not alerted`,
    'individually, so that a wide event does not flood the channel; this summary lists them instead.',
    '',
    ...shortenedNote(o),
    'IDENTITIES (count in the window, alertId)',
  ];
  if (shown.length === 0) lines.push('  (none listed)');
  for (const i of shown) lines.push(`  - ${v(i.identity)}: ${num(i.count)} (alertId ${v(i.alertId)})`);
  const hidden = Math.max(s.identities.length, s.keys) - shown.length;
  if (hidden > 0) lines.push(`  - ... and ${hidden} more not listed`);
  lines.push(
    '',
    'WHAT TO CHECK NEXT',
    '1. Many identities at once usually means either a fleet-wide change (deployment, secret rotation,',
    '   configuration rollout) or one actor using many credentials. Find out which first.',
    '2. Look at the individual alerts sent in the same run and at CloudTrail for the identities above:',
    '   shared source IPs or user agents across identities point to a single actor.',
    '3. Treat unexplained reads as a possible compromise: follow the steps of an individual alert for each.',
    `4. If this is normal for your environment, add exceptions (see ${EXCEPTIONS_DOC}) or raise`,
    '   MAX_ALERTS_PER_RUN.',
    '',
    'REFERENCE',
    `  alertId: ${v(s.alertId)} (drop repeats by this id)`,
    `  Rule: ${s.rule}; detected ${v(s.detectedAt)}`,
    '  Values are shown defanged (see the individual alert format); the sqs/lambda JSON payload is exact.',
  );
  return `${lines.join('\n')}\n`;
}

function summaryText(s: BurstSummary, o: RenderOptions): string {
  const v = (x: string) => (x === '' ? '(none recorded)' : neutralize(x, o.valueMax));
  const calls = `${s.callsIsLowerBound ? 'at least ' : ''}${num(s.calls)}`;
  const closed =
    s.closedBy === 'quiet'
      ? `the identity has made no qualifying call for ${num(s.quietMinutes)} minutes`
      : 'the suppression period of its latest alert ended while it was still active';
  const secrets = textList(s.secrets, { ...o, listLimit: o.listLimit * SUMMARY_SECRETS_PER_LIST_ENTRY });
  const regions = splitList(s.regions, Number.POSITIVE_INFINITY).shown.length;
  if (s.secretsNotListed > 0) secrets.push(`  - ... and ${num(s.secretsNotListed)} more distinct secrets not listed`);
  const lines: string[] = [
    'Rapid secret retrieval: burst summary (AWS Secrets Manager)',
    '',
    `The burst of ${v(shortIdentity(s))} is over for now (${closed}). Over the whole burst it made`,
    `${calls} qualifying calls reading ${num(s.distinctSecrets)} distinct secrets in ${num(regions)} ${plural(regions, 'region', 'regions')}.`,
    '',
    ...shortenedNote(o),
    'WHO',
    `  Identity (grouping key, ${s.groupBy}): ${v(s.identity)}`,
    `  User or role name: ${v(s.userName)}`,
    `  ARN: ${v(s.userArn)}`,
    `  Account: ${v(s.accountId)}`,
    `  Access key: ${v(s.accessKeyId)} (${describeAccessKey(s.accessKeyId)})`,
    '',
    'WHOLE BURST',
    `  First call: ${v(s.firstSeen)}`,
    `  Last call: ${v(s.lastSeen)}`,
    `  Calls: ${calls}`,
    `  Reasons that fired: ${s.reasons.map((r) => v(r)).join(', ') || '(none recorded)'}`,
    ...s.signalCalls.map((c) => `  Calls counted by signal ${v(c.value)}: ${num(c.count)}`),
    ...(s.mutedCrossings > 0 ? [`  Crossings silenced by an analyst mute (rsr mutes): ${num(s.mutedCrossings)}`] : []),
    ...(s.complete
      ? []
      : [
          `  Counted since ${v(s.since)}: the burst outlasted the minutes the detector keeps; see CloudTrail for earlier.`,
        ]),
    ...(s.callsIsLowerBound ? ['  Calls and distinct secrets are lower bounds (a minute hit the counting cap).'] : []),
    '  Calls by API:',
    ...textList(s.eventNames, o, '    '),
    '',
    `EVERY SECRET READ (${num(s.distinctSecrets)} distinct; reads per secret)`,
    ...secrets,
    '',
    'FROM WHERE',
    '  Source IP addresses:',
    ...textList(s.sourceIps, o, '    '),
    '  User agents:',
    ...textList(s.userAgents, o, '    '),
    '  Regions:',
    ...textList(s.regions, o, '    '),
    '',
    ...investigationText(s, v),
    'WHAT TO DO NOW',
    '1. Treat every secret listed above as exposed unless the owner explains the burst: rotate them all,',
    '   not only those in the first alert, and check where the old values were used since.',
    '2. Review the identity in every region listed, over the whole span (an hour either side):',
    ...summaryLookupCommands(s).map((c) => `   ${c}`),
    '',
    'REFERENCE',
    `  summary id: ${v(s.alertId)} (drop repeats by this id)`,
    `  threadId: ${v(s.threadId)} (the first alert of the burst); latest alert: ${v(s.lastAlertId)}`,
    `  Rule: ${s.rule} (preset ${s.preset}); detected ${v(s.detectedAt)}`,
    '  Values are shown defanged (see the alert format); the sqs/lambda JSON payload is exact.',
  ];
  return `${lines.join('\n')}\n`;
}

/** The plain-text alert used for SNS `default` and `email`. */
export function renderText(n: Notification, options: Partial<RenderOptions> = {}): string {
  const o: RenderOptions = { ...FULL_RENDER, ...options };
  if (n.kind === 'summary') return summaryText(n, o);
  return n.kind === 'overflow' ? overflowText(n, o) : alertText(n, o);
}

// ---------------------------------------------------------------------------------------------------------------
// AWS Chatbot custom notification (SNS `https`)
