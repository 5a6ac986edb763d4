/**
 * `rsr redrive`: moves what landed in a dead-letter queue back into the window store, through the same counting path
 * as the ingest Lambda (unwrapDocument -> Detector.ingest), then deletes each message that was ingested.
 *
 * Message shapes (the body of an SQS message):
 *  - `eventbridge-event`: the EventBridge event itself. The secret-read rule's dead-letter queue holds these, and so
 *    does the SQS buffer's dead-letter queue (`ingestQueue=true`), whose messages are the events the rule sent.
 *  - `lambda-invocation-record`: what Lambda sends to the ingest function's on-failure destination after its retries:
 *    `{version, timestamp, requestContext, requestPayload, responseContext, responsePayload}`; `requestPayload` is
 *    the original event (an EventBridge event; an SQS batch is unpacked too).
 *
 * Rules (docs/RECOVERY.md):
 *  - A message is deleted only after its records were ingested without error. Ingest is idempotent on eventID, so
 *    redriving a message twice, or one that was partly counted before it failed, counts nothing twice.
 *  - Anything else stays in the queue and is listed with its reason: a body that is not JSON or not one of the two
 *    shapes, a message without any Secrets Manager record (the rule dead-letter queue also receives tamper notices
 *    the topic refused: those are for a person to read, not for the counters), and every message not yet handled
 *    when a store error stopped the run. Messages left behind are made visible again at the end of the run.
 *  - `dryRun` reads and classifies only: nothing is written, nothing deleted, every message is made visible again.
 *
 * Pure apart from the SQS client and the store it is given; `clock` supplies the ingest time.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type Detector, emptyStats, type IngestStats, mergeStats } from '../engine/detector';
import { SECRETS_MANAGER_SOURCE } from '../engine/event';
import type { WindowStore } from '../engine/ports';
import { toAccessEvent, unwrapDocument } from '../engine/records';

export const MESSAGE_SHAPES = ['eventbridge-event', 'lambda-invocation-record'] as const;
export type MessageShape = (typeof MESSAGE_SHAPES)[number];

/** Why a message stays in the queue. */
export const LEFT_REASONS = [
  'unparsable-body',
  'unrecognised-shape',
  'no-secret-read',
  'store-error',
  'not-attempted',
] as const;
export type LeftReason = (typeof LEFT_REASONS)[number];

/** SQS takes at most 10 messages per receive and per batch call. */
const SQS_BATCH = 10;
/** Messages listed one by one in the report (the counts cover all of them). */
const LISTED_MAX = 100;

export interface RedriveOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly detector: Detector;
  /** Where to count; not used (and may be absent) in a dry run. */
  readonly store: WindowStore | undefined;
  readonly dryRun: boolean;
  /** Stop after this many messages (undefined: until the queue is empty). */
  readonly max: number | undefined;
  /** Long-poll wait per receive; the run ends at the first receive that returns nothing new. */
  readonly waitSeconds: number;
  /** How long received messages stay hidden from other consumers during the run. */
  readonly visibilityTimeoutSeconds: number;
  readonly clock: () => number;
}

export interface ListedMessage {
  readonly messageId: string;
  readonly shape: MessageShape | undefined;
  readonly reason: LeftReason;
  /** The EventBridge rule (RULE_ARN attribute), the Lambda failure condition, or the store error. */
  readonly detail: string | undefined;
}

export interface RedriveReport {
  readonly queueUrl: string;
  readonly dryRun: boolean;
  /** Messages received (each counted once, even if SQS handed it out again). */
  received: number;
  /** Ingested and deleted (in a dry run: would be). */
  moved: number;
  /** Ingested, but the delete failed: the message comes back and will count as duplicates next time. */
  deleteFailures: number;
  left: number;
  byShape: Record<MessageShape | 'unrecognised', number>;
  leftByReason: Record<LeftReason, number>;
  /** The records of the moved messages, as the ingest Lambda counts them (dry run: what would qualify). */
  records: IngestStats;
  /** Messages left in the queue, with why (at most LISTED_MAX). */
  leftMessages: ListedMessage[];
  /** Set when a store error ended the run early. */
  stoppedBy: string | undefined;
}

type Classified =
  | {
      readonly ok: true;
      readonly shape: MessageShape;
      readonly documents: unknown[];
      readonly detail: string | undefined;
    }
  | { readonly ok: false; readonly reason: 'unparsable-body' | 'unrecognised-shape' };

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** An SQS batch as Lambda passes it (the on-failure record of an SQS-triggered invocation would carry one). */
function sqsBodies(payload: unknown): unknown[] | undefined {
  const records = asObject(payload)?.Records;
  if (!Array.isArray(records) || records.length === 0) return undefined;
  if (!records.every((r) => asObject(r)?.eventSource === 'aws:sqs')) return undefined;
  return records.map((r) => {
    const body = asObject(r)?.body;
    try {
      return typeof body === 'string' ? (JSON.parse(body) as unknown) : body;
    } catch {
      return body;
    }
  });
}

/** Which of the two shapes a message body has, and the documents to ingest from it. Never throws. */
export function classifyBody(body: string | undefined): Classified {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    return { ok: false, reason: 'unparsable-body' };
  }
  const object = asObject(parsed);
  if (object === undefined) return { ok: false, reason: 'unrecognised-shape' };
  const context = asObject(object.requestContext);
  if (context !== undefined && 'requestPayload' in object) {
    const response = asObject(object.responseContext);
    const detail = [context.condition, response?.functionError]
      .filter((s): s is string => typeof s === 'string')
      .join(', ');
    const payload = object.requestPayload;
    return {
      ok: true,
      shape: 'lambda-invocation-record',
      documents: sqsBodies(payload) ?? [payload],
      detail: detail || undefined,
    };
  }
  if ('detail-type' in object) return { ok: true, shape: 'eventbridge-event', documents: [object], detail: undefined };
  return { ok: false, reason: 'unrecognised-shape' };
}

/** The records of the documents, and the parts that hold none (named as the ingest Lambda names them). */
function recordsOf(documents: readonly unknown[]) {
  const records: unknown[] = [];
  const skipped: ReturnType<typeof unwrapDocument>['skipped'] = [];
  for (const doc of documents) {
    const u = unwrapDocument(doc);
    records.push(...u.records);
    skipped.push(...u.skipped);
  }
  return { records, skipped };
}

/** True when some record is a well-formed Secrets Manager call (what the secret-read rule sends). */
function holdsSecretRead(records: readonly unknown[]): boolean {
  return records.some((r) => {
    const parsed = toAccessEvent(r);
    return parsed.ok && parsed.value.eventSource === SECRETS_MANAGER_SOURCE;
  });
}

/** What the ingest Lambda would count, without writing: qualification only. */
function dryRunStats(detector: Detector, records: readonly unknown[]): IngestStats {
  const stats = emptyStats();
  for (const raw of records) {
    stats.received++;
    const p = detector.prepare(raw);
    if (p.ok) stats.qualifying++;
    else stats.skipped[p.reason]++;
  }
  return stats;
}

function ruleOf(message: Message): string | undefined {
  return message.MessageAttributes?.RULE_ARN?.StringValue;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.name}: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

export function emptyReport(queueUrl: string, dryRun: boolean): RedriveReport {
  return {
    queueUrl,
    dryRun,
    received: 0,
    moved: 0,
    deleteFailures: 0,
    left: 0,
    byShape: { 'eventbridge-event': 0, 'lambda-invocation-record': 0, unrecognised: 0 },
    leftByReason: Object.fromEntries(LEFT_REASONS.map((r) => [r, 0])) as Record<LeftReason, number>,
    records: emptyStats(),
    leftMessages: [],
    stoppedBy: undefined,
  };
}

export async function redrive(options: RedriveOptions): Promise<RedriveReport> {
  const { sqs, queueUrl, detector, store, dryRun } = options;
  if (!dryRun && store === undefined) throw new TypeError('redrive needs a store unless dryRun is set');
  const report = emptyReport(queueUrl, dryRun);
  const seen = new Set<string>();
  /** Receipt handles of messages to make visible again at the end. */
  const release: { id: string; handle: string }[] = [];

  const leave = (message: Message, shape: MessageShape | undefined, reason: LeftReason, detail?: string) => {
    report.left++;
    report.leftByReason[reason]++;
    if (report.leftMessages.length < LISTED_MAX) {
      report.leftMessages.push({
        messageId: message.MessageId ?? '',
        shape,
        reason,
        detail: detail ?? ruleOf(message),
      });
    }
    if (message.ReceiptHandle) release.push({ id: message.MessageId ?? '', handle: message.ReceiptHandle });
  };

  try {
    receiving: while (options.max === undefined || report.received < options.max) {
      const wanted = Math.min(SQS_BATCH, (options.max ?? Number.POSITIVE_INFINITY) - report.received);
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: wanted,
          WaitTimeSeconds: options.waitSeconds,
          VisibilityTimeout: options.visibilityTimeoutSeconds,
          MessageAttributeNames: ['All'],
        }),
      );
      const messages = out.Messages ?? [];
      // A message seen before came back (its visibility ran out during a long run): hide nothing twice, count it once.
      for (const m of messages) {
        if (m.MessageId && seen.has(m.MessageId) && m.ReceiptHandle)
          release.push({ id: m.MessageId, handle: m.ReceiptHandle });
      }
      const fresh = messages.filter((m) => m.MessageId !== undefined && !seen.has(m.MessageId));
      if (fresh.length === 0) break;
      for (const [index, message] of fresh.entries()) {
        seen.add(message.MessageId as string);
        report.received++;
        if (report.stoppedBy !== undefined) {
          leave(message, undefined, 'not-attempted');
          continue;
        }
        const classified = classifyBody(message.Body);
        if (!classified.ok) {
          report.byShape.unrecognised++;
          leave(message, undefined, classified.reason);
          continue;
        }
        report.byShape[classified.shape]++;
        const { records, skipped } = recordsOf(classified.documents);
        if (!holdsSecretRead(records)) {
          leave(message, classified.shape, 'no-secret-read', classified.detail);
          continue;
        }
        let stats: IngestStats;
        if (dryRun) {
          stats = dryRunStats(detector, records);
        } else {
          try {
            stats = await detector.ingest(store as WindowStore, records, options.clock());
          } catch (error) {
            report.stoppedBy = describe(error);
            leave(message, classified.shape, 'store-error', report.stoppedBy);
            // The rest of this receive stays in the queue too; the loop ends after it.
            for (const rest of fresh.slice(index + 1)) {
              seen.add(rest.MessageId as string);
              report.received++;
              leave(rest, undefined, 'not-attempted');
            }
            break receiving;
          }
        }
        for (const reason of skipped) {
          stats.received++;
          stats.skipped[reason]++;
        }
        mergeStats(report.records, stats);
        report.moved++;
        if (dryRun) {
          if (message.ReceiptHandle) release.push({ id: message.MessageId as string, handle: message.ReceiptHandle });
          continue;
        }
        try {
          await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
        } catch {
          report.deleteFailures++;
        }
      }
    }
  } finally {
    await makeVisible(sqs, queueUrl, release);
  }
  return report;
}

/** Best effort: what is not made visible here reappears anyway when its visibility timeout ends. */
async function makeVisible(sqs: SQSClient, queueUrl: string, messages: readonly { id: string; handle: string }[]) {
  for (let i = 0; i < messages.length; i += SQS_BATCH) {
    const chunk = messages.slice(i, i + SQS_BATCH);
    try {
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((m, n) => ({ Id: `m${n}`, ReceiptHandle: m.handle, VisibilityTimeout: 0 })),
        }),
      );
    } catch {
      // Ignored on purpose (see above).
    }
  }
}
