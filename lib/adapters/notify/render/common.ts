/**
 * What every audience's rendering shares: size limits of SNS, Slack and Chatbot, how much of each list a rendering
 * shows, and the wording pieces (identity, counts, key kind, subject, the CloudTrail lookup hint).
 *
 * Pure: no clock, no I/O. Attacker-controlled values go through `neutralize` in every human rendering.
 */

import type { Alert, BurstSummary, Notification, ReasonCount, ValueCount } from '../../../engine/alert';
import { reasonLine, reasonsOf, shortPhrase } from '../../../engine/headline';
import { accessKeyKind } from '../../../engine/investigate';
import { OTHER_VALUE } from '../../../engine/ports';
import { asciiOnly } from '../sanitize';

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
export const CHAT_SUMMARY_EVENT_TYPE = 'RapidSecretRetrievalSummary';
/** Secrets listed in a summary rendering per entry of RenderOptions.listLimit (the complete list is the point). */
export const SUMMARY_SECRETS_PER_LIST_ENTRY = 5;
/** Regions that get their own lookup command in a summary (a burst over more regions is listed, not commanded). */
export const SUMMARY_LOOKUP_REGIONS = 10;
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
export const CHAT_LIMITS = { listLimit: 5, valueMax: 80, overflowListLimit: 10 } as const;

export function num(n: number): string {
  return Number.isFinite(n) ? String(n) : '?';
}

export function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}

/** Most frequent first, the OTHER_VALUE bucket last; ties by value so output is deterministic. */
export function byCount(list: readonly ValueCount[]): ValueCount[] {
  const rank = (v: ValueCount) => (v.value === OTHER_VALUE ? 1 : 0);
  return [...list].sort(
    (a, b) => rank(a) - rank(b) || b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0),
  );
}

/** The top `limit` named values, how many named values were left out, and the OTHER_VALUE bucket (always shown). */
export function splitList(
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
export function shortIdentity(alert: Pick<Alert, 'identity' | 'identityType' | 'userName'>): string {
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

/** The key kind (lib/engine/investigate.ts decides it from the prefix) in words a responder acts on. */
export function describeAccessKey(accessKeyId: string): string {
  if (accessKeyId === '') return 'none recorded';
  const kind = accessKeyKind(accessKeyId);
  if (kind === 'long-term') return 'AKIA: long-term access key of an IAM user';
  if (kind === 'temporary') return 'ASIA: temporary credentials from STS';
  return 'unrecognised key prefix';
}

/** What fired, each reason in its own unit with its threshold (lib/engine/headline.ts), one line each. */
export function firedLines(a: Alert): string[] {
  return reasonsOf(a).map((r, i) => reasonLine(r, i === 0 && a.countIsLowerBound));
}

/** Secret ARNs share a long prefix; chat shows the part after `:secret:` so that cut values stay distinguishable. */
export function secretLabel(value: string): string {
  const at = value.startsWith('arn:') ? value.indexOf(':secret:') : -1;
  return at >= 0 ? value.slice(at + ':secret:'.length) : value;
}

/** Values that may be pasted into a shell command: AWS-controlled shapes only, never free text. */
export const SAFE_ACCESS_KEY = /^[A-Z0-9]{16,128}$/;
export const SAFE_USER_NAME = /^[\w+=,.@-]{1,128}$/;
export const SAFE_REGION = /^[a-z0-9-]{2,32}$/;
export const SAFE_ACCOUNT = /^\d{12}$/;

export function shiftIso(iso: string, minutes: number): string | undefined {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return undefined;
  return new Date(t + minutes * 60_000).toISOString().replace(/\.000Z$/, 'Z');
}

/** A CloudTrail lookup for everything the identity did around the window, when its values are safe to paste. */
export function cloudTrailCommand(alert: Alert): string | undefined {
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

/**
 * One CloudTrail lookup per region the burst touched (event history is regional), over the burst's whole span
 * padded by an hour each side; only AWS-shaped values are pasted into the command.
 */
export function summaryLookupCommands(s: BurstSummary): string[] {
  const start = shiftIso(s.since, -60);
  const end = shiftIso(s.lastSeen, 60);
  if (!start || !end) return [];
  let attribute: string;
  if (SAFE_ACCESS_KEY.test(s.accessKeyId)) attribute = `AttributeKey=AccessKeyId,AttributeValue=${s.accessKeyId}`;
  else if (SAFE_USER_NAME.test(s.userName)) attribute = `AttributeKey=Username,AttributeValue=${s.userName}`;
  else return [];
  return byCount(s.regions)
    .filter((r) => SAFE_REGION.test(r.value))
    .slice(0, SUMMARY_LOOKUP_REGIONS)
    .map(
      (r) =>
        `aws cloudtrail lookup-events --region ${r.value} --lookup-attributes ${attribute} --start-time ${start} --end-time ${end}`,
    );
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
  if (n.kind === 'summary') {
    const head = '[RSR] Burst summary: ';
    const tail = ` (${num(n.calls)}${n.callsIsLowerBound ? '+' : ''} calls, ${num(n.distinctSecrets)} secrets)`;
    const room = Math.max(12, SUBJECT_MAX - head.length - tail.length);
    return asciiOnly(`${head}${asciiOnly(shortIdentity(n), room) || 'unknown identity'}${tail}`, SUBJECT_MAX);
  }
  const head = n.continuation ? '[RSR] Rapid secret retrieval continues: ' : '[RSR] Rapid secret retrieval: ';
  const tail = ` (${shortPhrase(reasonsOf(n)[0] as ReasonCount, n.countIsLowerBound)} in ${num(windowLengthMinutes(n))} min)`;
  const room = Math.max(12, SUBJECT_MAX - head.length - tail.length);
  const who = asciiOnly(shortIdentity(n), room) || 'unknown identity';
  return asciiOnly(`${head}${who}${tail}`, SUBJECT_MAX);
}

// ---------------------------------------------------------------------------------------------------------------
// Plain text (SNS `default` and `email`)

/** Under `actor` grouping, the parts the actor is made of (role, session, source identity) that are present. */
export function actorParts(a: Alert): { label: string; value: string }[] {
  if (a.actor === undefined) return [];
  return [
    { label: 'role', value: a.actor.role ?? '' },
    { label: 'session', value: a.actor.session ?? '' },
    { label: 'source identity', value: a.actor.sourceIdentity ?? '' },
  ].filter((p) => p.value !== '');
}
