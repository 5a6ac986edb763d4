/**
 * Checks an SNS Publish request with MessageStructure "json" against the rules SNS, SQS and AWS Chatbot apply.
 * Pure; returns a list of problems (empty = valid). Tests rely on it because the local emulator (fauxqs 1.9) ignores
 * MessageStructure and delivers the whole document, and SnsPublisher logs its findings before publishing.
 */
import type { HttpsFormat } from '../../config/load';
import { SNS_MAX_MESSAGE_BYTES, SUBJECT_MAX } from './render';

/** Keys SNS accepts in a MessageStructure "json" document. */
export const PROTOCOL_KEYS = [
  'default',
  'email',
  'email-json',
  'http',
  'https',
  'sqs',
  'lambda',
  'sms',
  'firehose',
  'application',
] as const;

/** SQS (raw delivery) takes at most 10 message attributes. */
const MAX_ATTRIBUTES = 10;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
/** Characters SQS accepts in bodies and attribute values: tab, LF, CR, and U+0020 upwards minus surrogates, U+FFFE/F. */
const SQS_REFUSED = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export interface SnsMessageLike {
  readonly Subject?: string;
  readonly Message?: string;
  readonly MessageStructure?: string;
  readonly MessageAttributes?: Readonly<
    Record<string, { readonly DataType?: string; readonly StringValue?: string; readonly BinaryValue?: unknown }>
  >;
}

export interface ValidateOptions {
  /** Which shape the `https` body must have: a Chatbot custom notification or the alert JSON. Default: chatbot. */
  readonly httpsFormat?: HttpsFormat;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isStringArray(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((s) => typeof s === 'string');
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

/** AWS Chatbot custom notification shape (version, source, content.description required; the rest typed if present). */
export function validateChatbotNotification(value: unknown): string[] {
  const p: string[] = [];
  if (!isObject(value)) return ['https: chatbot notification is not a JSON object'];
  if (value.version !== '1.0') p.push('https: version must be "1.0"');
  if (value.source !== 'custom') p.push('https: source must be "custom"');
  if (value.id !== undefined && typeof value.id !== 'string') p.push('https: id must be a string');
  const content = value.content;
  if (!isObject(content)) {
    p.push('https: content must be an object');
  } else {
    if (typeof content.description !== 'string' || content.description.trim() === '') {
      p.push('https: content.description must be a non-empty string');
    }
    if (content.textType !== undefined && content.textType !== 'client-markdown') {
      p.push('https: content.textType must be "client-markdown"');
    }
    if (content.title !== undefined && typeof content.title !== 'string')
      p.push('https: content.title must be a string');
    for (const key of ['nextSteps', 'keywords'] as const) {
      if (content[key] !== undefined && !isStringArray(content[key])) p.push(`https: content.${key} must be strings`);
    }
  }
  const metadata = value.metadata;
  if (metadata !== undefined) {
    if (!isObject(metadata)) {
      p.push('https: metadata must be an object');
    } else {
      for (const key of ['threadId', 'summary', 'eventType'] as const) {
        if (metadata[key] !== undefined && typeof metadata[key] !== 'string')
          p.push(`https: metadata.${key} must be a string`);
      }
      if (metadata.relatedResources !== undefined && !isStringArray(metadata.relatedResources)) {
        p.push('https: metadata.relatedResources must be strings');
      }
      const extra = metadata.additionalContext;
      if (extra !== undefined && (!isObject(extra) || !Object.values(extra).every((v) => typeof v === 'string'))) {
        p.push('https: metadata.additionalContext must map names to strings');
      }
    }
  }
  return p;
}

function validateSubject(subject: string | undefined): string[] {
  if (subject === undefined) return [];
  const p: string[] = [];
  if (subject.length === 0) p.push('Subject is empty');
  if (subject.length > SUBJECT_MAX) p.push(`Subject has ${subject.length} characters (must be < 100)`);
  if (/[^\x20-\x7e]/.test(subject))
    p.push('Subject has characters other than printable ASCII (line breaks, controls, non-ASCII)');
  if (subject.length > 0 && !/^[A-Za-z0-9\p{P}]/u.test(subject))
    p.push('Subject must start with a letter, digit or punctuation');
  return p;
}

function validateAttributes(attributes: SnsMessageLike['MessageAttributes']): string[] {
  if (attributes === undefined) return [];
  const p: string[] = [];
  const entries = Object.entries(attributes);
  if (entries.length > MAX_ATTRIBUTES)
    p.push(`${entries.length} message attributes (SQS delivers at most ${MAX_ATTRIBUTES})`);
  for (const [name, a] of entries) {
    if (!ATTRIBUTE_NAME.test(name) || name.includes('..') || /^(aws\.|amazon\.)/i.test(name) || /^\.|\.$/.test(name)) {
      p.push(`attribute name ${JSON.stringify(name)} is not allowed`);
    }
    if (a.DataType !== 'String' && a.DataType !== 'Number' && a.DataType !== 'String.Array') {
      p.push(`attribute ${name}: DataType ${JSON.stringify(a.DataType)} is not a string type`);
      continue;
    }
    if (typeof a.StringValue !== 'string' || a.StringValue.length === 0) {
      p.push(`attribute ${name}: value must be a non-empty string`);
    } else if (SQS_REFUSED.test(a.StringValue)) {
      p.push(`attribute ${name}: value has characters SQS refuses (controls, lone surrogates, U+FFFE/U+FFFF)`);
    }
  }
  return p;
}

function attributeSize(attributes: SnsMessageLike['MessageAttributes']): number {
  return Object.entries(attributes ?? {}).reduce(
    (sum, [name, a]) =>
      sum +
      Buffer.byteLength(name) +
      Buffer.byteLength(a.DataType ?? '') +
      Buffer.byteLength(typeof a.StringValue === 'string' ? a.StringValue : ''),
    0,
  );
}

/** Every problem found in `msg`; empty when SNS (and the subscribers we target) would accept it. */
export function validateSnsMessage(msg: SnsMessageLike, options: ValidateOptions = {}): string[] {
  const httpsFormat = options.httpsFormat ?? 'chatbot';
  const p: string[] = [...validateSubject(msg.Subject), ...validateAttributes(msg.MessageAttributes)];
  if (msg.MessageStructure !== 'json') p.push('MessageStructure must be "json"');
  if (typeof msg.Message !== 'string' || msg.Message.length === 0) return [...p, 'Message must be a non-empty string'];

  const bytes = Buffer.byteLength(msg.Message, 'utf8') + attributeSize(msg.MessageAttributes);
  if (bytes > SNS_MAX_MESSAGE_BYTES)
    p.push(`message and attributes take ${bytes} bytes (limit ${SNS_MAX_MESSAGE_BYTES})`);
  if (SQS_REFUSED.test(msg.Message)) p.push('Message has characters SQS refuses (lone surrogates, U+FFFE/U+FFFF)');

  const parsed = parseJson(msg.Message);
  if (!parsed.ok) return [...p, `Message is not JSON: ${parsed.error}`];
  const doc = parsed.value;
  if (!isObject(doc)) return [...p, 'Message must be a JSON object'];
  if (typeof doc.default !== 'string') p.push('Message has no string "default"');
  for (const [key, value] of Object.entries(doc)) {
    if (!(PROTOCOL_KEYS as readonly string[]).includes(key))
      p.push(`Message has unknown protocol key ${JSON.stringify(key)}`);
    if (typeof value !== 'string') {
      p.push(`Message.${key} must be a string (per-protocol bodies are strings, not nested JSON)`);
    } else if (SQS_REFUSED.test(value)) {
      p.push(`Message.${key} has characters SQS refuses`);
    }
  }

  if (typeof doc.https === 'string') {
    const https = parseJson(doc.https);
    if (!https.ok) p.push(`https is not JSON: ${https.error}`);
    else if (httpsFormat === 'chatbot') p.push(...validateChatbotNotification(https.value));
    else if (!isObject(https.value) || typeof https.value.kind !== 'string') p.push('https: alert JSON has no "kind"');
  }
  for (const key of ['sqs', 'lambda'] as const) {
    const body = doc[key];
    if (typeof body !== 'string') continue;
    const json = parseJson(body);
    if (!json.ok) p.push(`${key} is not JSON: ${json.error}`);
    else if (!isObject(json.value) || typeof json.value.kind !== 'string' || typeof json.value.alertId !== 'string') {
      p.push(`${key}: alert JSON must have "kind" and "alertId"`);
    }
  }
  return p;
}
