/**
 * The chat audience: an AWS Chatbot custom notification for Slack (read on a phone: short lists, inline code spans
 * that disable Slack formatting and auto-linking).
 */

import type {
  Alert,
  BurstSummary,
  Notification,
  OverflowSummary,
  ReasonCount,
  ValueCount,
} from '../../../engine/alert';
import { MITRE } from '../../../engine/alert';
import { headline, reasonsOf, shortPhrase } from '../../../engine/headline';
import { ELLIPSIS, neutralize } from '../sanitize';
import {
  actorParts,
  byCount,
  CHAT_DESCRIPTION_MAX,
  CHAT_EVENT_TYPE,
  CHAT_LIMITS,
  CHAT_OVERFLOW_EVENT_TYPE,
  CHAT_SUMMARY_EVENT_TYPE,
  describeAccessKey,
  EXCEPTIONS_DOC,
  FULL_RENDER,
  firedLines,
  num,
  plural,
  type RenderOptions,
  SAFE_ACCOUNT,
  secretLabel,
  shortIdentity,
  splitList,
  windowLengthMinutes,
} from './common';
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
  const who = code(shortIdentity(a), c.valueMax);
  const first = reasonsOf(a)[0] as ReasonCount;
  const title = `${a.continuation ? 'Rapid secret retrieval continues' : 'Rapid secret retrieval'}: ${who} (${shortPhrase(first, a.countIsLowerBound)} in ${num(minutes)} min)`;
  const description = capLines(
    [
      `${who} (${neutralize(a.identityType || 'unknown type', 40)}) in account ${code(a.accountId, 20)}, within a ${num(minutes)}-minute window:`,
      ...firedLines(a).map((line) => `• *${line}*`),
      ...(a.countIsLowerBound ? ['The count is a lower bound: the per-minute counting cap was reached.'] : []),
      ...(a.continuation ? [`Continues the burst first reported as ${code(a.threadId, 80)}.`] : []),
      `• Key: ${code(a.accessKeyId, 40)} (${describeAccessKey(a.accessKeyId)})`,
      `• Principal: ${code(a.identity, c.valueMax)}`,
      `• ARN: ${code(a.userArn, c.valueMax)}`,
      ...(actorParts(a).length > 0
        ? [
            `• Actor: ${actorParts(a)
              .map((p) => `${p.label} ${code(p.value, c.valueMax)}`)
              .join(', ')}`,
          ]
        : []),
      `• Secrets (${num(a.distinctSecrets)} distinct): ${chatList(
        a.secrets.map((s) => ({ value: secretLabel(s.value), count: s.count })),
        c.listLimit,
        c.valueMax,
      )}`,
      `• Source IPs: ${chatList(a.sourceIps, c.listLimit, c.valueMax)}`,
      `• User agents: ${chatList(a.userAgents, c.listLimit, c.valueMax)}`,
      `• Regions: ${chatList(a.regions, c.listLimit, c.valueMax)}`,
      `• Window (UTC): ${code(a.windowStart, 40)} to ${code(a.windowEnd, 40)}`,
      ...(a.thread
        ? [
            `• Since the first alert: ${num(a.thread.calls)}${a.thread.callsIsLowerBound ? '+' : ''} calls, ${num(a.thread.distinctSecrets)} distinct secrets, regions ${chatList(a.thread.regions, c.listLimit, c.valueMax)}`,
          ]
        : []),
      `Lists as of ${code(a.lastSeen, 40)}; a burst summary with every secret read follows in this thread.`,
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
        'If unexplained: rotate every secret in the burst summary (the complete list) and deactivate the key or revoke the sessions.',
        `If legitimate and recurring: add an exception (${EXCEPTIONS_DOC}).`,
      ],
      keywords,
    },
    metadata: {
      // The burst's thread: continuation alerts of the same burst reply in one chat thread, while a new burst by the
      // same identity starts a new, visible message instead of hiding in an old thread.
      threadId: a.threadId,
      summary: neutralize(`Rapid secret retrieval: ${shortIdentity(a)}: ${headline(a)} in ${minutes} min`, 200),
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
        signals: reasonsOf(a)
          .map((r) => r.reason)
          .join(','),
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

function summaryChat(s: BurstSummary, o: RenderOptions): ChatbotNotification {
  const c = chatLimits(o);
  const who = code(shortIdentity(s), c.valueMax);
  const calls = `${num(s.calls)}${s.callsIsLowerBound ? '+' : ''}`;
  const title = `Burst summary: ${who} (${calls} calls, ${num(s.distinctSecrets)} distinct secrets)`;
  const description = capLines(
    [
      `The burst is over for now (${s.closedBy === 'quiet' ? `quiet for ${num(s.quietMinutes)} min` : 'suppression period ended'}). Whole burst, ${code(s.firstSeen, 40)} to ${code(s.lastSeen, 40)}:`,
      `• Calls: *${calls}*; reasons: ${s.reasons.map((r) => code(r, 40)).join(', ') || '(none)'}`,
      ...(s.mutedCrossings > 0 ? [`• Crossings silenced by a mute: ${num(s.mutedCrossings)}`] : []),
      `• Regions: ${chatList(s.regions, c.listLimit, c.valueMax)}`,
      `• Source IPs: ${chatList(s.sourceIps, c.listLimit, c.valueMax)}`,
      `• User agents: ${chatList(s.userAgents, c.listLimit, c.valueMax)}`,
      `• Secrets (${num(s.distinctSecrets)} distinct): ${chatList(
        s.secrets.map((x) => ({ value: secretLabel(x.value), count: x.count })),
        c.listLimit,
        c.valueMax,
      )}`,
      'The complete list of secrets is in the email summary.',
      `• summary id ${code(s.alertId, 100)}`,
      ...(o.shortened === 'no' ? [] : ['Shortened to fit the SNS size limit.']),
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
        'Rotate every secret of the burst (complete list in the email summary), not only those in the first alert.',
        `Review the identity in every region listed, ${s.firstSeen} to ${s.lastSeen} (an hour either side).`,
      ],
      keywords: [MITRE[0].subtechnique, 'summary'],
    },
    metadata: {
      // Same thread as the burst's alerts, so the summary lands under them.
      threadId: s.threadId,
      summary: neutralize(`Burst summary: ${shortIdentity(s)} ${calls} calls, ${s.distinctSecrets} secrets`, 200),
      eventType: CHAT_SUMMARY_EVENT_TYPE,
      relatedResources: [],
      additionalContext: {
        alertId: s.alertId,
        threadId: s.threadId,
        identity: neutralize(s.identity, 256),
        calls: num(s.calls),
        distinctSecrets: num(s.distinctSecrets),
        firstSeen: s.firstSeen,
        lastSeen: s.lastSeen,
      },
    },
  };
}

export function renderChatbot(n: Notification, options: Partial<RenderOptions> = {}): ChatbotNotification {
  const o: RenderOptions = { ...FULL_RENDER, ...options };
  if (n.kind === 'summary') return summaryChat(n, o);
  return n.kind === 'overflow' ? overflowChat(n, o) : alertChat(n, o);
}

// ---------------------------------------------------------------------------------------------------------------
// Machine payload and the SNS message
