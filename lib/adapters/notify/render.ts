/**
 * Turns a Notification (Alert | OverflowSummary) into what people read (email subject and text, a Slack message via
 * AWS Chatbot) and into one SNS Publish request with per-protocol bodies (MessageStructure "json").
 *
 * Pure: no clock, no I/O. Attacker-controlled values go through `neutralize` in every human rendering; the `sqs` and
 * `lambda` bodies carry the alert JSON unchanged unless the 256 KiB SNS limit forces shortening (then the message
 * attribute `truncated` is "true").
 */
import type { HttpsFormat } from '../../config/load';
import type { Alert, Notification, OverflowSummary, ValueCount } from '../../engine/alert';
import { MITRE } from '../../engine/alert';
import { OTHER_VALUE } from '../../engine/ports';
import { asciiOnly, ELLIPSIS, neutralize, sqsSafeJson, wellFormed } from './sanitize';

/** SNS: a published message (all per-protocol bodies plus message attributes) is at most 256 KiB. */
export const SNS_MAX_MESSAGE_BYTES = 256 * 1024;
/** SNS: the subject must be shorter than 100 characters. */
export const SUBJECT_MAX = 99;
/** Message attribute `identity` is cut to this many characters (filter policies only need a recognisable prefix). */
export const IDENTITY_ATTRIBUTE_MAX = 256;
/** Slack shows the description; a Slack section block holds at most 3000 characters of text, so stay under that. */
export const CHAT_DESCRIPTION_MAX = 2800;
export const CHAT_EVENT_TYPE = 'RapidSecretRetrieval';
export const CHAT_OVERFLOW_EVENT_TYPE = 'RapidSecretRetrievalOverflow';
export const EXCEPTIONS_DOC = 'docs/EXCEPTIONS.md';

/** How much of each list and value a human rendering shows. */
export interface RenderOptions {
  /** Entries shown per list (secrets, IPs, user agents, regions, API names). */
  readonly listLimit: number;
  /** Cap per displayed value (see neutralize). */
  readonly valueMax: number;
  /** Identities shown in an overflow summary. */
  readonly overflowListLimit: number;
  /** Set by buildSnsMessage when the size guard had to shorten: `data` means the JSON payloads were shortened too. */
  readonly shortened: 'no' | 'human' | 'data';
}

export const FULL_RENDER: RenderOptions = Object.freeze({
  listLimit: 20,
  valueMax: 200,
  overflowListLimit: 100,
  shortened: 'no',
});

/** Chat is read on a phone: fewer entries, shorter values. */
const CHAT_LIMITS = { listLimit: 5, valueMax: 80, overflowListLimit: 10 } as const;

/** AWS Chatbot (Amazon Q Developer in chat applications) custom notification. */
export interface ChatbotNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps: readonly string[];
    readonly keywords: readonly string[];
  };
  readonly metadata: {
    readonly threadId: string;
    readonly summary: string;
    readonly eventType: string;
    readonly relatedResources: readonly string[];
    /** The schema allows string values only. */
    readonly additionalContext: Readonly<Record<string, string>>;
  };
}

/** Structurally a PublishCommandInput minus TopicArn (kept free of the SDK so rendering stays pure). */
export interface SnsMessage {
  readonly Subject: string;
  /** JSON object text: `default` plus per-protocol keys, each value itself a string. */
  readonly Message: string;
  readonly MessageStructure: 'json';
  readonly MessageAttributes: Readonly<Record<string, { readonly DataType: 'String'; readonly StringValue: string }>>;
}

export interface BuildOptions {
  readonly httpsFormat: HttpsFormat;
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

function num(n: number): string {
  return Number.isFinite(n) ? String(n) : '?';
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}

/** Most frequent first, the OTHER_VALUE bucket last; ties by value so output is deterministic. */
function byCount(list: readonly ValueCount[]): ValueCount[] {
  const rank = (v: ValueCount) => (v.value === OTHER_VALUE ? 1 : 0);
  return [...list].sort(
    (a, b) => rank(a) - rank(b) || b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0),
  );
}

/** The top `limit` named values, how many named values were left out, and the OTHER_VALUE bucket (always shown). */
function splitList(
  list: readonly ValueCount[],
  limit: number,
): { shown: ValueCount[]; hidden: number; other: ValueCount | undefined } {
  const sorted = byCount(list);
  const named = sorted.filter((v) => v.value !== OTHER_VALUE);
  const shown = named.slice(0, Math.max(0, limit));
  return { shown, hidden: named.length - shown.length, other: sorted.find((v) => v.value === OTHER_VALUE) };
}

/** Minutes covered by the alerted window (WINDOW_MINUTES + 1 buckets unless the timestamps say otherwise). */
export function windowLengthMinutes(alert: Alert): number {
  const ms = Date.parse(alert.windowEnd) - Date.parse(alert.windowStart);
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms / 60_000) : alert.windowMinutes + 1;
}

/** A readable name for the grouping key: role/session for assumed roles, the user name for users, else the key. */
export function shortIdentity(alert: Alert): string {
  const key = alert.identity;
  if (key.startsWith('arn:')) {
    // arn:aws:sts::123:assumed-role/Role/session -> Role/session; arn:aws:iam::123:user/path/alice -> path/alice
    const resource = key.split(':').slice(5).join(':');
    const slash = resource.indexOf('/');
    return slash >= 0 ? resource.slice(slash + 1) : resource || key;
  }
  const colon = key.indexOf(':');
  if (alert.identityType === 'AssumedRole' && colon >= 0) {
    const session = key.slice(colon + 1);
    return alert.userName ? `${alert.userName}/${session}` : session;
  }
  if (alert.userName) return alert.userName;
  return key || '(unknown identity)';
}

export function accessKeyKind(accessKeyId: string): string {
  if (accessKeyId === '') return 'none recorded';
  if (accessKeyId.startsWith('AKIA')) return 'AKIA: long-term access key of an IAM user';
  if (accessKeyId.startsWith('ASIA')) return 'ASIA: temporary credentials from STS';
  return 'unrecognised key prefix';
}

function countNoun(alert: Alert): string {
  return alert.countMode === 'distinct-secrets' ? 'distinct secrets' : 'secret reads';
}

/** "made 42 secret reads" / "read 42 distinct secrets", depending on what COUNT counts. */
function countPhrase(alert: Alert, count: string): string {
  return alert.countMode === 'distinct-secrets' ? `read ${count} distinct secrets` : `made ${count} secret reads`;
}

/** Secret ARNs share a long prefix; chat shows the part after `:secret:` so that cut values stay distinguishable. */
function secretLabel(value: string): string {
  const at = value.startsWith('arn:') ? value.indexOf(':secret:') : -1;
  return at >= 0 ? value.slice(at + ':secret:'.length) : value;
}

/** Values that may be pasted into a shell command: AWS-controlled shapes only, never free text. */
const SAFE_ACCESS_KEY = /^[A-Z0-9]{16,128}$/;
const SAFE_USER_NAME = /^[\w+=,.@-]{1,128}$/;
const SAFE_REGION = /^[a-z0-9-]{2,32}$/;
const SAFE_ACCOUNT = /^\d{12}$/;

function shiftIso(iso: string, minutes: number): string | undefined {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return undefined;
  return new Date(t + minutes * 60_000).toISOString().replace(/\.000Z$/, 'Z');
}

/** A CloudTrail lookup for everything the identity did around the window, when its values are safe to paste. */
function cloudTrailCommand(alert: Alert): string | undefined {
  const start = shiftIso(alert.firstSeen, -60);
  const end = shiftIso(alert.lastSeen, 60);
  if (!start || !end) return undefined;
  let attribute: string;
  if (SAFE_ACCESS_KEY.test(alert.accessKeyId))
    attribute = `AttributeKey=AccessKeyId,AttributeValue=${alert.accessKeyId}`;
  else if (SAFE_USER_NAME.test(alert.userName)) attribute = `AttributeKey=Username,AttributeValue=${alert.userName}`;
  else return undefined;
  const region = byCount(alert.regions).find((r) => SAFE_REGION.test(r.value))?.value;
  return [
    'aws cloudtrail lookup-events',
    region ? ` --region ${region}` : '',
    ` --lookup-attributes ${attribute}`,
    ` --start-time ${start} --end-time ${end}`,
  ].join('');
}

// ---------------------------------------------------------------------------------------------------------------
// Subject

/** ASCII, one line, at most SUBJECT_MAX characters; the identity is cut first when space runs out. */
export function renderSubject(n: Notification): string {
  if (n.kind === 'overflow') {
    const keys = num(n.keys);
    return asciiOnly(
      `[RSR] ${keys} more ${plural(n.keys, 'identity', 'identities')} crossed the threshold (overflow)`,
      SUBJECT_MAX,
    );
  }
  const head = n.continuation ? '[RSR] Rapid secret retrieval continues: ' : '[RSR] Rapid secret retrieval: ';
  const tail = ` (${num(n.count)}${n.countIsLowerBound ? '+' : ''} in ${num(windowLengthMinutes(n))} min)`;
  const room = Math.max(12, SUBJECT_MAX - head.length - tail.length);
  const who = asciiOnly(shortIdentity(n), room) || 'unknown identity';
  return asciiOnly(`${head}${who}${tail}`, SUBJECT_MAX);
}

// ---------------------------------------------------------------------------------------------------------------
// Plain text (SNS `default` and `email`)

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
function investigationText(a: Alert, v: (s: string) => string): string[] {
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
  const count = `${a.countIsLowerBound ? 'at least ' : ''}${num(a.count)}`;
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
    `${v(shortIdentity(a))} ${countPhrase(a, count)} within ${num(minutes)} minutes; the threshold is ${num(a.threshold)}.`,
    '',
    ...shortenedNote(o),
    'WHO',
    `  Identity (grouping key, ${a.groupBy}): ${v(a.identity)}`,
    `  Identity type: ${v(a.identityType)}`,
    `  User or role name: ${v(a.userName)}`,
    `  ARN: ${v(a.userArn)}`,
    `  Account: ${v(a.accountId)}`,
    `  Access key: ${v(a.accessKeyId)} (${accessKeyKind(a.accessKeyId)})`,
    '',
    'HOW MANY',
    `  Count: ${count} ${countNoun(a)} (threshold ${num(a.threshold)}, counting ${a.countMode})`,
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
  lines.push(
    '',
    `WHICH SECRETS (${num(a.distinctSecrets)} distinct; reads per secret)`,
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
  lines.push(
    '4. If the reads stay unexplained, treat the secrets listed above as exposed: rotate them and check where',
    '   the old values were used since.',
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

/** The plain-text alert used for SNS `default` and `email`. */
export function renderText(n: Notification, options: Partial<RenderOptions> = {}): string {
  const o: RenderOptions = { ...FULL_RENDER, ...options };
  return n.kind === 'overflow' ? overflowText(n, o) : alertText(n, o);
}

// ---------------------------------------------------------------------------------------------------------------
// AWS Chatbot custom notification (SNS `https`)

/** Inline code span: disables Slack formatting and auto-linking for the value; `neutralize` removes backticks. */
function code(value: string, max: number): string {
  return value === '' ? '(none)' : `\`${neutralize(value, max)}\``;
}

function chatList(list: readonly ValueCount[], limit: number, max: number): string {
  if (list.length === 0) return '(none)';
  const { shown, hidden, other } = splitList(list, limit);
  const parts = shown.map((v) => `${code(v.value, max)} ×${num(v.count)}`);
  if (hidden > 0) parts.push(`${hidden} more`);
  if (other) parts.push(`(other values) ×${num(other.count)}`);
  return parts.join(', ');
}

/** Joins lines and stops before `max` characters, on a line boundary. */
function capLines(lines: readonly string[], max: number): string {
  let out = '';
  for (const line of lines) {
    const next = out === '' ? line : `${out}\n${line}`;
    if (next.length > max) return `${out}\n${ELLIPSIS} (more in the email alert)`;
    out = next;
  }
  return out;
}

function chatLimits(o: RenderOptions): { listLimit: number; valueMax: number; overflowListLimit: number } {
  return {
    listLimit: Math.min(CHAT_LIMITS.listLimit, o.listLimit),
    valueMax: Math.min(CHAT_LIMITS.valueMax, o.valueMax),
    overflowListLimit: Math.min(CHAT_LIMITS.overflowListLimit, o.overflowListLimit),
  };
}

function alertChat(a: Alert, o: RenderOptions): ChatbotNotification {
  const c = chatLimits(o);
  const minutes = windowLengthMinutes(a);
  const count = `${num(a.count)}${a.countIsLowerBound ? '+' : ''}`;
  const who = code(shortIdentity(a), c.valueMax);
  const title = `${a.continuation ? 'Rapid secret retrieval continues' : 'Rapid secret retrieval'}: ${who} (${count} in ${num(minutes)} min)`;
  const description = capLines(
    [
      `${who} (${neutralize(a.identityType || 'unknown type', 40)}) in account ${code(a.accountId, 20)} ${countPhrase(a, `*${count}*`)} in ${num(minutes)} minutes (threshold ${num(a.threshold)}).`,
      ...(a.countIsLowerBound ? ['The count is a lower bound: the per-minute counting cap was reached.'] : []),
      ...(a.continuation ? [`Continues the burst first reported as ${code(a.threadId, 80)}.`] : []),
      `• Key: ${code(a.accessKeyId, 40)} (${accessKeyKind(a.accessKeyId)})`,
      `• Principal: ${code(a.identity, c.valueMax)}`,
      `• ARN: ${code(a.userArn, c.valueMax)}`,
      `• Secrets (${num(a.distinctSecrets)} distinct): ${chatList(
        a.secrets.map((s) => ({ value: secretLabel(s.value), count: s.count })),
        c.listLimit,
        c.valueMax,
      )}`,
      `• Source IPs: ${chatList(a.sourceIps, c.listLimit, c.valueMax)}`,
      `• User agents: ${chatList(a.userAgents, c.listLimit, c.valueMax)}`,
      `• Regions: ${chatList(a.regions, c.listLimit, c.valueMax)}`,
      `• Window (UTC): ${code(a.windowStart, 40)} to ${code(a.windowEnd, 40)}`,
      `• alertId ${code(a.alertId, 100)}`,
      ...(o.shortened === 'no' ? [] : ['Shortened to fit the SNS size limit.']),
    ],
    CHAT_DESCRIPTION_MAX,
  );
  const keywords = [
    MITRE[0].subtechnique,
    `severity:${a.severity}`,
    neutralize(a.identityType || 'unknown-type', 40),
    ...(SAFE_ACCOUNT.test(a.accountId) ? [`account:${a.accountId}`] : []),
  ];
  const related = [a.userArn, ...byCount(a.secrets).map((s) => s.value)]
    .filter((r) => r.startsWith('arn:'))
    .slice(0, 1 + c.listLimit)
    .map((r) => neutralize(r, 256));
  return {
    version: '1.0',
    source: 'custom',
    id: a.alertId,
    content: {
      textType: 'client-markdown',
      title,
      description,
      nextSteps: [
        'Ask the owner of the identity whether the burst was expected (deployment, restart, migration, new job).',
        "Check whether the source IPs and user agents are the identity's usual ones.",
        'Review what else the identity did in CloudTrail from an hour before to an hour after the window.',
        'If unexplained: rotate the secrets read and deactivate the key or revoke the sessions.',
        `If legitimate and recurring: add an exception (${EXCEPTIONS_DOC}).`,
      ],
      keywords,
    },
    metadata: {
      // The burst's thread: continuation alerts of the same burst reply in one chat thread, while a new burst by the
      // same identity starts a new, visible message instead of hiding in an old thread.
      threadId: a.threadId,
      summary: neutralize(
        `Rapid secret retrieval: ${shortIdentity(a)} ${countPhrase(a, count)} in ${minutes} min`,
        200,
      ),
      eventType: CHAT_EVENT_TYPE,
      relatedResources: related,
      additionalContext: {
        alertId: a.alertId,
        threadId: a.threadId,
        identity: neutralize(a.identity, 256),
        accountId: neutralize(a.accountId, 20),
        count: num(a.count),
        countIsLowerBound: String(a.countIsLowerBound),
        threshold: num(a.threshold),
        windowStart: a.windowStart,
        windowEnd: a.windowEnd,
        continuation: String(a.continuation),
        severity: a.severity,
      },
    },
  };
}

function overflowChat(s: OverflowSummary, o: RenderOptions): ChatbotNotification {
  const c = chatLimits(o);
  const shown = [...s.identities].sort((a, b) => b.count - a.count).slice(0, c.overflowListLimit);
  const hidden = Math.max(s.identities.length, s.keys) - shown.length;
  const title = `${num(s.keys)} more ${plural(s.keys, 'identity', 'identities')} crossed the rapid secret retrieval threshold`;
  const description = capLines(
    [
      `Not alerted one by one: MAX_ALERTS_PER_RUN (${num(s.maxAlertsPerRun)}) was reached in this evaluator run.`,
      ...shown.map((i) => `• ${code(i.identity, c.valueMax)} ×${num(i.count)} (alert ${code(i.alertId, 80)})`),
      ...(hidden > 0 ? [`… and ${hidden} more (see the email alert)`] : []),
      `• alertId ${code(s.alertId, 100)}`,
    ],
    CHAT_DESCRIPTION_MAX,
  );
  return {
    version: '1.0',
    source: 'custom',
    id: s.alertId,
    content: {
      textType: 'client-markdown',
      title,
      description,
      nextSteps: [
        'Find out whether a fleet-wide change (deployment, rotation, rollout) explains the reads.',
        'Look for source IPs or user agents shared across these identities in CloudTrail.',
        `If normal: add exceptions (${EXCEPTIONS_DOC}) or raise MAX_ALERTS_PER_RUN.`,
      ],
      keywords: [MITRE[0].subtechnique, 'overflow'],
    },
    metadata: {
      threadId: s.alertId,
      summary: `${num(s.keys)} more identities crossed the threshold; not alerted individually`,
      eventType: CHAT_OVERFLOW_EVENT_TYPE,
      relatedResources: [],
      additionalContext: {
        alertId: s.alertId,
        keys: num(s.keys),
        maxAlertsPerRun: num(s.maxAlertsPerRun),
        detectedAt: s.detectedAt,
      },
    },
  };
}

export function renderChatbot(n: Notification, options: Partial<RenderOptions> = {}): ChatbotNotification {
  const o: RenderOptions = { ...FULL_RENDER, ...options };
  return n.kind === 'overflow' ? overflowChat(n, o) : alertChat(n, o);
}

// ---------------------------------------------------------------------------------------------------------------
// Machine payload and the SNS message

/** The alert as JSON for the `sqs`/`lambda` bodies (and `https` in alert-json format); SQS-safe, same value. */
export function alertJson(n: Notification): string {
  return sqsSafeJson(JSON.stringify(n));
}

/** Cuts a string to `max` code units on a character boundary, marking the cut with an ellipsis. */
function cut(value: string, max: number): string {
  if (value.length <= max) return value;
  let out = '';
  for (const ch of value) {
    if (out.length + ch.length > max - ELLIPSIS.length) break;
    out += ch;
  }
  return out + ELLIPSIS;
}

/** Keeps the top `limit` entries (values cut to `max`); dropped counts are added to the OTHER_VALUE entry. */
function shrinkList(list: readonly ValueCount[], limit: number, max: number): ValueCount[] {
  const sorted = byCount(list);
  const kept = sorted.filter((v) => v.value !== OTHER_VALUE).slice(0, limit);
  const keptSet = new Set(kept);
  const dropped = sorted.filter((v) => !keptSet.has(v)).reduce((sum, v) => sum + v.count, 0);
  const out = kept.map((v) => ({ value: cut(v.value, max), count: v.count }));
  if (dropped > 0) out.push({ value: OTHER_VALUE, count: dropped });
  return out;
}

interface DataLimits {
  readonly listLimit: number;
  readonly valueMax: number;
  readonly overflowListLimit: number;
}

/** A shortened copy that still satisfies the Alert/OverflowSummary types; alertId and threadId stay exact. */
function shrinkData(n: Notification, d: DataLimits): Notification {
  if (n.kind === 'overflow') {
    return {
      ...n,
      identities: n.identities
        .slice(0, d.overflowListLimit)
        .map((i) => ({ identity: cut(i.identity, d.valueMax), count: i.count, alertId: i.alertId })),
    };
  }
  const s = (x: string) => cut(x, d.valueMax);
  const l = (x: readonly ValueCount[]) => shrinkList(x, d.listLimit, d.valueMax);
  return {
    ...n,
    identity: s(n.identity),
    accountId: s(n.accountId),
    userArn: s(n.userArn),
    userName: s(n.userName),
    identityType: s(n.identityType),
    accessKeyId: s(n.accessKeyId),
    eventNames: l(n.eventNames),
    sourceIps: l(n.sourceIps),
    userAgents: l(n.userAgents),
    regions: l(n.regions),
    secrets: l(n.secrets),
  };
}

interface SizePlan {
  readonly human: Omit<RenderOptions, 'shortened'>;
  readonly data?: DataLimits;
}

/** Tried in order until the message fits; the last one bounds every attacker-controlled string. */
const SIZE_PLANS: readonly SizePlan[] = [
  { human: { listLimit: 20, valueMax: 200, overflowListLimit: 100 } },
  { human: { listLimit: 10, valueMax: 120, overflowListLimit: 50 } },
  {
    human: { listLimit: 10, valueMax: 120, overflowListLimit: 50 },
    data: { listLimit: 20, valueMax: 1024, overflowListLimit: 1000 },
  },
  {
    human: { listLimit: 5, valueMax: 80, overflowListLimit: 25 },
    data: { listLimit: 10, valueMax: 256, overflowListLimit: 200 },
  },
  {
    human: { listLimit: 3, valueMax: 60, overflowListLimit: 10 },
    data: { listLimit: 3, valueMax: 128, overflowListLimit: 20 },
  },
  {
    human: { listLimit: 0, valueMax: 60, overflowListLimit: 0 },
    data: { listLimit: 0, valueMax: 64, overflowListLimit: 0 },
  },
];

function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** What SNS counts of the attributes towards the message size: names, types and values. */
export function attributeBytes(attributes: SnsMessage['MessageAttributes']): number {
  return Object.entries(attributes).reduce(
    (sum, [name, a]) => sum + utf8Bytes(name) + utf8Bytes(a.DataType) + utf8Bytes(a.StringValue),
    0,
  );
}

function attributesFor(n: Notification, truncated: boolean): SnsMessage['MessageAttributes'] {
  type Attributes = Record<string, SnsMessage['MessageAttributes'][string]>;
  const str = (StringValue: string) => ({ DataType: 'String' as const, StringValue });
  const base: Attributes =
    n.kind === 'overflow'
      ? {
          kind: str('overflow'),
          rule: str(n.rule),
          severity: str('medium'),
          accountId: str('unknown'),
          identity: str('(overflow)'),
        }
      : {
          kind: str('alert'),
          rule: str(n.rule),
          severity: str(n.severity),
          accountId: str(wellFormed(n.accountId.trim(), 64, 'unknown')),
          identity: str(wellFormed(n.identity, IDENTITY_ATTRIBUTE_MAX, 'unknown')),
          continuation: str(String(n.continuation)),
        };
  return truncated ? { ...base, truncated: str('true') } : base;
}

function messageDocument(n: Notification, human: RenderOptions, data: Notification, httpsFormat: HttpsFormat): string {
  const text = renderText(n, human);
  const json = alertJson(data);
  const https = httpsFormat === 'alert-json' ? json : sqsSafeJson(JSON.stringify(renderChatbot(n, human)));
  return sqsSafeJson(JSON.stringify({ default: text, email: text, https, sqs: json, lambda: json }));
}

/**
 * The SNS Publish request for one notification. Size guard: when the document would exceed 256 KiB (together with
 * the attributes), lists and values are shortened step by step, first in the human renderings, then in the JSON
 * payloads (attribute `truncated`="true"); the text says so.
 */
export function buildSnsMessage(n: Notification, options: BuildOptions): SnsMessage {
  const Subject = renderSubject(n);
  let Message = '';
  let MessageAttributes = attributesFor(n, false);
  for (const [index, plan] of SIZE_PLANS.entries()) {
    const shortened: RenderOptions['shortened'] = plan.data ? 'data' : index > 0 ? 'human' : 'no';
    MessageAttributes = attributesFor(n, plan.data !== undefined);
    const data = plan.data ? shrinkData(n, plan.data) : n;
    Message = messageDocument(n, { ...plan.human, shortened }, data, options.httpsFormat);
    if (utf8Bytes(Message) + attributeBytes(MessageAttributes) <= SNS_MAX_MESSAGE_BYTES) break;
  }
  return { Subject, Message, MessageStructure: 'json', MessageAttributes };
}
