/**
 * Shared pieces of the fault tests: a burst of reads per identity as EventBridge events, SQS delivery with
 * redelivery of failed messages, stores wrapped to fail at a chosen step, and a publisher that records deliveries.
 */
import type { SQSBatchResponse } from 'aws-lambda';
import type { Alert, Notification } from '../../lib/engine/alert';
import type { Detector } from '../../lib/engine/detector';
import type { AlertPublisher, WindowStore } from '../../lib/engine/ports';
import { handleIngest } from '../../lib/usecases/ingest';
import { envelope, recordingTelemetry, sqsRecord } from '../support/hostile';
import { BASE_TIME, secretsRecord } from '../support/records';

/** Reads of one burst: `perIdentity` GetSecretValue calls per identity, 5 s apart, starting at BASE_TIME. */
export function burst(identities: readonly string[], perIdentity = 20, start = BASE_TIME): Record<string, unknown>[] {
  return identities.flatMap((principalId, who) =>
    Array.from({ length: perIdentity }, (_, i) =>
      secretsRecord({
        principalId,
        eventId: `${principalId}-read-${i}`,
        eventTimeMs: start + i * 5_000,
        secretId: `prod/app-${who}/secret-${i}`,
      }),
    ),
  );
}

export const identities = (n: number, prefix = 'AIDAFAULT'): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(11, '0')}`);

/**
 * Settings for fault tests on dynalite: each evaluator run queries every (minute, shard) of its look-back, so a short
 * lateness allowance (13 minutes of look-back instead of 20) keeps the many runs cheap. The burst and the run times
 * below stay well inside it.
 */
export const SHORT_LOOK_BACK = { latenessMinutes: 3 } as const;

/** The burst is ingested a minute after its last read and evaluated a minute later. */
export const INGEST_AT = BASE_TIME + 3 * 60_000;
export const EVALUATE_AT = INGEST_AT + 60_000;

export interface Message {
  readonly id: string;
  readonly body: string;
}

export const messagesOf = (records: readonly Record<string, unknown>[]): Message[] =>
  records.map((r) => ({ id: String(r.eventID), body: JSON.stringify(envelope(r)) }));

/** One SQS delivery of `messages` (batches of 10) to the ingest handler; returns the ids it reported failed. */
export async function deliverSqs(
  messages: readonly Message[],
  deps: { detector: Detector; store: WindowStore },
  now = INGEST_AT,
): Promise<string[]> {
  const { telemetry } = recordingTelemetry();
  const failed: string[] = [];
  for (let i = 0; i < messages.length; i += 10) {
    const batch = messages.slice(i, i + 10);
    const result = (await handleIngest(
      { Records: batch.map((m) => sqsRecord(m.id, m.body)) },
      { ...deps, telemetry },
      now,
    )) as SQSBatchResponse;
    failed.push(...result.batchItemFailures.map((f) => f.itemIdentifier));
  }
  return failed;
}

/** SQS semantics: failed messages come back until they succeed (at most `rounds` times). */
export async function deliverUntilDone(
  messages: readonly Message[],
  deps: { detector: Detector; store: WindowStore },
  rounds = 30,
): Promise<{ deliveries: number; firstFailures: number }> {
  let pending = [...messages];
  let deliveries = 0;
  let firstFailures = -1;
  for (let round = 0; pending.length > 0; round++) {
    if (round >= rounds) throw new Error(`${pending.length} messages still failing after ${rounds} rounds`);
    deliveries += pending.length;
    const failed = new Set(await deliverSqs(pending, deps));
    if (firstFailures < 0) firstFailures = failed.size;
    pending = pending.filter((m) => failed.has(m.id));
  }
  return { deliveries, firstFailures: Math.max(0, firstFailures) };
}

/** Sum of counted events per key over the look-back of EVALUATE_AT. */
export async function eventsPerKey(store: WindowStore, keys: readonly string[], now = EVALUATE_AT) {
  const from = Math.floor(BASE_TIME / 60_000) - 1;
  const to = Math.floor(now / 60_000);
  const out: Record<string, number> = {};
  for (const key of keys) {
    out[key] = (await store.readBuckets(key, from, to, now)).reduce((n, b) => n + b.events, 0);
  }
  return out;
}

/** A publisher that keeps what it delivered (optionally failing while `failing` is set). */
export class RecordingPublisher implements AlertPublisher {
  readonly delivered: Notification[] = [];
  failing: Error | undefined;
  async publish(n: Notification): Promise<void> {
    if (this.failing) throw this.failing;
    this.delivered.push(n);
  }
  alerts(): Alert[] {
    return this.delivered.filter((n): n is Alert => n.kind === 'alert');
  }
}

/** Every identity named in the delivered notifications (alerts and overflow summaries), with repeats. */
export function identitiesIn(notifications: readonly Notification[]): string[] {
  return notifications.flatMap((n) =>
    n.kind === 'overflow' ? n.identities.map((i) => i.identity) : n.kind === 'alert' ? [n.identity] : [],
  );
}

type StoreMethod = keyof WindowStore;

/**
 * A store that delegates to `inner` and throws after (or instead of) chosen calls, as a Lambda that times out or a
 * process that dies at that point would: `after` lets the call take effect and then fails, `before` fails it.
 */
export function failingStore(
  inner: WindowStore,
  plan: Partial<Record<StoreMethod, { when: 'before' | 'after'; times: number; error?: Error }>>,
): WindowStore {
  const left = new Map(Object.entries(plan).map(([m, p]) => [m, p?.times ?? 0]));
  const wrap =
    <K extends StoreMethod>(method: K) =>
    async (...args: Parameters<WindowStore[K]>): Promise<Awaited<ReturnType<WindowStore[K]>>> => {
      const p = plan[method];
      const remaining = left.get(method) ?? 0;
      const fail = p !== undefined && remaining > 0;
      if (fail) left.set(method, remaining - 1);
      const error = p?.error ?? new Error(`Task timed out during ${method}`);
      if (fail && p.when === 'before') throw error;
      const result = await (inner[method] as (...a: Parameters<WindowStore[K]>) => ReturnType<WindowStore[K]>)(...args);
      if (fail) throw error;
      return result as Awaited<ReturnType<WindowStore[K]>>;
    };
  return {
    record: wrap('record'),
    activeKeys: wrap('activeKeys'),
    readBuckets: wrap('readBuckets'),
    lastAlert: wrap('lastAlert'),
    claimAlert: wrap('claimAlert'),
    markSent: wrap('markSent'),
    unsentAlerts: wrap('unsentAlerts'),
    renewLease: wrap('renewLease'),
    openThreads: wrap('openThreads'),
    closeThread: wrap('closeThread'),
    putMute: wrap('putMute'),
    deleteMutes: wrap('deleteMutes'),
    listMutes: wrap('listMutes'),
  };
}
