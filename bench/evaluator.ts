/**
 * Figure 3, evaluator scaling: one scheduled evaluation (runEvaluation with the real DynamoDbWindowStore against
 * dynalite) with 1 k, 10 k and 100 k active identities, each with one live bucket somewhere in the look-back, plus
 * five identities per step that cross the threshold (so that the claim and publish path runs too); then the same
 * with 10× as many expired-but-undeleted bucket items (yesterday's traffic that TTL has not removed yet).
 *
 * Populating 1.1 M items through record() would take far too long against dynalite, so items are written with
 * BatchWriteItem — but only items the store itself would write: a template page is written by the store's own
 * record() for a real detector event, and each synthetic item is that page with the per-event parts (key, eventId
 * digest, times, identity, expiry) replaced by the store's own functions. A sample of synthetic events is then
 * recorded through record() into a scratch table and compared attribute by attribute; any difference aborts.
 */
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import { bucketItemKey, DynamoDbWindowStore, digest7, ID_DIGEST_BYTES } from '../lib/adapters/store/dynamodb';
import { DEFAULTS } from '../lib/config/load';
import { Detector } from '../lib/engine/detector';
import { type EvaluationSettings, runEvaluation } from '../lib/engine/evaluate';
import type { AlertPublisher, CountedEvent } from '../lib/engine/ports';
import { BUCKET_MS, bucketExpiresAt } from '../lib/engine/window';
import { type LocalDynamo, meterReads, meterWrites, totalReadUnits, totalWriteUnits } from './dynamo';
import { principal, secretRead } from './generate';
import { median, msSince, Rng } from './stats';

type Item = Record<string, AttributeValue>;

export interface EvaluatorOptions {
  readonly active: readonly number[];
  /** Expired items per active identity in the second series (10 by the brief). */
  readonly expiredFactor: number;
  /** Largest active count the expired series goes to (populating 1 M items takes minutes). */
  readonly expiredUpTo: number;
  readonly runs: number;
  /** Identities crossing the threshold added per step (5 by default). */
  readonly hotPerStep?: number;
  readonly log: (line: string) => void;
}

export interface EvaluationPoint {
  readonly active: number;
  readonly activeKeysSeen: number;
  readonly expiredItems: number;
  readonly runsMs: number[];
  readonly medianMs: number;
  /**
   * Median time this thread was busy during a run (event-loop utilisation: the evaluator's own CPU work, engine and
   * SDK marshalling, without waiting for DynamoDB) — meaningful when dynalite runs in its worker thread.
   */
  readonly busyMs: number;
  /** Read units of the first run, by operation, and in total. */
  readonly readUnits: Record<string, number>;
  readonly readUnitsTotal: number;
  readonly requests: Record<string, number>;
  readonly writeUnits: number;
  readonly alerts: number;
  /**
   * Peak growth of this thread's JS heap during the first run, sampled every 10 ms (dynalite runs in a worker with
   * its own heap, so this is the evaluator's); undefined when dynalite shares this thread.
   */
  readonly heapPeakMB: number | undefined;
}

/** Samples the main thread's heap while `fn` runs; returns the peak growth over the level before it (MB). */
async function heapGrowth<T>(fn: () => Promise<T>): Promise<{ value: T; peakMB: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 10);
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    return { value, peakMB: (peak - before) / 1e6 };
  } finally {
    clearInterval(timer);
  }
}

const SETTINGS: EvaluationSettings = DEFAULTS;
/** The evaluator runs 30 s into minute n: the look-back is minutes n-19 … n. */
const NOW = Date.UTC(2026, 10, 25, 12, 0, 30);
const NOW_BUCKET = Math.floor(NOW / BUCKET_MS);
const LOOK_BACK = SETTINGS.windowMinutes + 1 + SETTINGS.latenessMinutes;

/** A real detector event (from a CloudTrail record) to derive every synthetic one from. */
function templateEvent(): CountedEvent {
  const rng = new Rng('evaluator-template');
  const who = principal(rng, 'template');
  const prepared = new Detector(SETTINGS).prepare(JSON.parse(secretRead(rng, NOW - 10_000, who, 7)));
  if (!prepared.ok) throw new Error(`template record does not qualify: ${prepared.reason}`);
  return prepared.event;
}

/** The template event moved to another key, bucket and eventId (what the detector would make of that record). */
function synthetic(template: CountedEvent, key: string, bucket: number, n: number): CountedEvent {
  const eventTime = bucket * BUCKET_MS + (n % 29) * 1000;
  return {
    ...template,
    key,
    bucket,
    eventId: `bench-${key}-${bucket}-${n}`,
    expiresAt: bucketExpiresAt(bucket, SETTINGS),
    context: {
      ...template.context,
      eventTime,
      userArn: `arn:aws:sts::111122223333:assumed-role/app-role/${key.slice(key.indexOf(':') + 1)}`,
      accessKeyId: `ASIA${String(n).padStart(16, '0')}`,
    },
  };
}

/** The page item the store writes for `e`, from the template page it wrote for `template`. */
function itemFor(page: Item, e: CountedEvent): Item {
  const c = e.context;
  return {
    ...page,
    ...bucketItemKey(e.key, e.bucket),
    ids: { BS: [digest7(e.eventId, ID_DIGEST_BYTES)] },
    fs: { N: String(c.eventTime) },
    ls: { N: String(c.eventTime) },
    exp: { N: String(e.expiresAt) },
    id: {
      M: {
        a: { S: c.accountId },
        u: { S: c.userArn },
        n: { S: c.userName },
        t: { S: c.identityType },
        k: { S: c.accessKeyId },
      },
    },
  };
}

const record = (store: DynamoDbWindowStore, events: readonly CountedEvent[], now = NOW) =>
  store.record(events, { saturation: SETTINGS.threshold * SETTINGS.saturationFactor, now });

async function getPage(client: DynamoDBClient, table: string, e: CountedEvent): Promise<Item> {
  const out = await client.send(
    new GetItemCommand({ TableName: table, Key: bucketItemKey(e.key, e.bucket), ConsistentRead: true }),
  );
  if (!out.Item) throw new Error(`no page for ${e.key}`);
  return out.Item;
}

/** Normalises binary values (Buffer here, Uint8Array from the SDK) so that items compare by content. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return `base64:${Buffer.from(value).toString('base64')}`;
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/** Writes the template page with the store and checks synthetic items against the store's own writes. */
async function templatePage(dynamo: LocalDynamo, template: CountedEvent): Promise<Item> {
  const client = dynamo.client();
  const table = await dynamo.table('bench-template');
  const store = new DynamoDbWindowStore(client, { tableName: table });
  await record(store, [template]);
  const page = await getPage(client, table, template);
  const rng = new Rng('evaluator-check');
  for (let i = 0; i < 8; i++) {
    const e = synthetic(template, `AROAEXAMPLECHECK${i}:session-${rng.int(0, 1e6)}`, NOW_BUCKET - rng.int(0, 400), i);
    await record(store, [e]);
    const written = plain(await getPage(client, table, e));
    if (!isDeepStrictEqual(written, plain(itemFor(page, e)))) {
      throw new Error(`synthetic item differs from the store's own write:\n${JSON.stringify(written)}`);
    }
  }
  return page;
}

async function batchWrite(client: DynamoDBClient, table: string, items: Iterable<Item>): Promise<void> {
  const chunks: Item[][] = [];
  let chunk: Item[] = [];
  for (const item of items) {
    chunk.push(item);
    if (chunk.length === 25) {
      chunks.push(chunk);
      chunk = [];
    }
  }
  if (chunk.length > 0) chunks.push(chunk);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < chunks.length) {
        let pending = (chunks[next++] as Item[]).map((Item) => ({ PutRequest: { Item } }));
        while (pending.length > 0) {
          const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
          pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
        }
      }
    }),
  );
}

function* activeItems(page: Item, template: CountedEvent, from: number, to: number): Generator<Item> {
  for (let i = from; i < to; i++) {
    yield itemFor(
      page,
      synthetic(template, `AROAEXAMPLEACTIVE${i % 997}:session-${i}`, NOW_BUCKET - (i % LOOK_BACK), i),
    );
  }
}

function* expiredItems(page: Item, template: CountedEvent, from: number, to: number): Generator<Item> {
  for (let i = from; i < to; i++) {
    // Minutes 1 to 24 hours before the look-back: long expired, not yet deleted by TTL (which may lag ~2 days).
    const bucket = NOW_BUCKET - LOOK_BACK - 40 - (i % 1400);
    yield itemFor(page, synthetic(template, `AROAEXAMPLEOLD${i % 991}:session-${i}`, bucket, i));
  }
}

/** `count` identities crossing the threshold in the last minutes, recorded through the store itself. */
async function addHot(
  client: DynamoDBClient,
  table: string,
  template: CountedEvent,
  step: number,
  count: number,
): Promise<void> {
  const store = new DynamoDbWindowStore(client, { tableName: table });
  for (let h = 0; h < count; h++) {
    const key = `AROAEXAMPLEHOT:step-${step}-${h}`;
    const events = Array.from({ length: SETTINGS.threshold + 5 }, (_, n) => {
      const e = synthetic(template, key, NOW_BUCKET - (n % 3), n);
      return { ...e, context: { ...e.context, eventTime: Math.min(e.context.eventTime, NOW - 1000) } };
    });
    await record(store, events);
  }
}

async function evaluate(
  dynamo: LocalDynamo,
  table: string,
  active: number,
  expired: number,
  runs: number,
): Promise<EvaluationPoint> {
  const runsMs: number[] = [];
  const busy: number[] = [];
  let first: Omit<EvaluationPoint, 'runsMs' | 'medianMs' | 'busyMs'> | undefined;
  for (let r = 0; r < runs; r++) {
    // A fresh client and store per run: nothing carried over but what is in the table.
    const client = dynamo.client();
    const reads = meterReads(client);
    const writes = meterWrites(client);
    const store = new DynamoDbWindowStore(client, { tableName: table });
    let alerts = 0;
    const publisher: AlertPublisher = {
      publish: async () => {
        alerts += 1;
      },
    };
    const start = process.hrtime.bigint();
    const loop = performance.eventLoopUtilization();
    const { value: report, peakMB } = await heapGrowth(() => runEvaluation(store, publisher, SETTINGS, NOW));
    busy.push(performance.eventLoopUtilization(loop).active);
    runsMs.push(msSince(start));
    first ??= {
      heapPeakMB: dynamo.thread === 'worker' ? peakMB : undefined,
      active,
      activeKeysSeen: report.activeKeys,
      expiredItems: expired,
      readUnits: { ...reads.units },
      readUnitsTotal: totalReadUnits(reads),
      requests: { ...reads.requests, ...writes.requests },
      writeUnits: totalWriteUnits(writes),
      alerts,
    };
  }
  if (!first) throw new Error('no runs');
  return { ...first, runsMs, medianMs: median(runsMs), busyMs: median(busy) };
}

export async function benchEvaluator(dynamo: LocalDynamo, options: EvaluatorOptions): Promise<EvaluationPoint[]> {
  const template = templateEvent();
  const page = await templatePage(dynamo, template);
  const points: EvaluationPoint[] = [];
  const client = dynamo.client();
  for (const withExpired of [false, true]) {
    const table = await dynamo.table(withExpired ? 'bench-eval-expired' : 'bench-eval');
    let written = 0;
    let step = 0;
    for (const active of options.active) {
      if (withExpired && active > options.expiredUpTo) break;
      const started = process.hrtime.bigint();
      await batchWrite(client, table, activeItems(page, template, written, active));
      if (withExpired) {
        const from = written * options.expiredFactor;
        await batchWrite(client, table, expiredItems(page, template, from, active * options.expiredFactor));
      }
      await addHot(client, table, template, step++, options.hotPerStep ?? 5);
      written = active;
      const expired = withExpired ? active * options.expiredFactor : 0;
      options.log(
        `evaluator: ${active} active, ${expired} expired items written in ${(msSince(started) / 1000).toFixed(1)} s`,
      );
      const point = await evaluate(dynamo, table, active, expired, options.runs);
      options.log(
        `evaluator: ${point.activeKeysSeen} active keys, ${expired} expired: ${point.medianMs.toFixed(0)} ms, ` +
          `${point.readUnitsTotal} RU, heap +${point.heapPeakMB?.toFixed(0)} MB, ${JSON.stringify(point.requests)}`,
      );
      points.push(point);
    }
  }
  return points;
}
