/**
 * The SNS envelope: one Publish request with per-protocol bodies (MessageStructure "json"), message attributes for
 * filter policies, and the size plans that keep the whole message under 256 KiB. The `sqs` and `lambda` bodies carry
 * the alert JSON unchanged unless the limit forces shortening (then the attribute `truncated` is "true").
 */

import type { Notification, ValueCount } from '../../../engine/alert';
import { OTHER_VALUE } from '../../../engine/ports';
import type { HttpsFormat } from '../../../engine/settings';
import { ELLIPSIS, sqsSafeJson, wellFormed } from '../sanitize';
import { renderChatbot } from './chat';
import { byCount, IDENTITY_ATTRIBUTE_MAX, type RenderOptions, renderSubject, SNS_MAX_MESSAGE_BYTES } from './common';
import { renderText } from './email';
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
  // What alerts and burst summaries share: who, and the context lists.
  const shared = {
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
  };
  if (n.kind === 'summary') {
    // The secrets are what a summary is for: keep five times as many as of the other lists.
    return { ...n, ...shared, secrets: shrinkList(n.secrets, d.listLimit * 5, d.valueMax) };
  }
  return { ...n, ...shared, secrets: l(n.secrets) };
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
      : n.kind === 'summary'
        ? {
            kind: str('summary'),
            rule: str(n.rule),
            severity: str('medium'),
            accountId: str(wellFormed(n.accountId.trim(), 64, 'unknown')),
            identity: str(wellFormed(n.identity, IDENTITY_ATTRIBUTE_MAX, 'unknown')),
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
