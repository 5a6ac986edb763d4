/**
 * DynamoDB-specific behaviour on dynalite, beyond the shared contract: item layout and sizes, pages of busy buckets,
 * the per-container saturation short-circuit, several containers on one bucket, the request plan of the evaluator
 * reads, and a differential check against the memory store with realistic (paged) buckets.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type AttributeValue, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import {
  bucketItemKey,
  bucketPartition,
  DynamoDbWindowStore,
  digest7,
  ID_DIGEST_BYTES,
  PAGE_BYTES,
  shardOf,
} from '../../lib/adapters/store/dynamodb';
import { MemoryWindowStore } from '../../lib/adapters/store/memory';
import { ACTIVE_SHARDS, ATTR, itemSize, PENDING_INDEX } from '../../lib/adapters/store/table';
import type { Notification } from '../../lib/engine/alert';
import { type BucketState, CONTEXT_VALUES_LIMIT, type CountedEvent, type EventContext } from '../../lib/engine/ports';
import { meter } from '../support/capacity';
import { freshTable, testClient, useDynalite } from '../support/dynalite';

useDynalite();

const fixture = (...parts: string[]) =>
  JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', ...parts), 'utf8')) as unknown;
const BASE = fixture('store', 'event-context.json') as EventContext;
const ALERT = fixture('alerts', 'stratus-iam-user.json') as Notification;
const B0 = BASE.eventTime / 60_000;
const NOW = BASE.eventTime + 60_000;
const SATURATION = 200;
const KEY = 'AROA3EXAMPLEROLEID7Q:build-4711';

/** The engine's token for a secret id (12 base64url characters). */
const token = (secretId: string) => createHash('sha256').update(secretId).digest('base64url').slice(0, 12);
const secretArn = (i: number) => `arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/svc-${i}/key-AbC12d`;

function event(n: number, over: Partial<CountedEvent> = {}, context: Partial<EventContext> = {}): CountedEvent {
  const secretIds = context.secretIds ?? [secretArn(n)];
  return {
    key: KEY,
    bucket: B0,
    eventId: `0d9a6f53-7c1e-4b8e-a1f2-${String(n).padStart(12, '0')}`,
    values: secretIds.map(token),
    expiresAt: B0 * 60 + 1800,
    ...over,
    context: { ...BASE, eventTime: (over.bucket ?? B0) * 60_000 + (n % 60) * 1000, secretIds, ...context },
  };
}

async function setup(options: { pageBytes?: number } = {}) {
  const client = testClient();
  const tableName = await freshTable(client, 'ddb');
  const requests = meter(client);
  const open = () => new DynamoDbWindowStore(client, { tableName, ...options });
  return { client, tableName, requests, store: open(), open };
}

async function pagesOf(client: ReturnType<typeof testClient>, tableName: string, key = KEY, bucket = B0) {
  const out = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: bucketPartition(bucket, shardOf(key)) } },
    }),
  );
  return (out.Items ?? []).filter((i) => i.sk?.S?.startsWith(key));
}

const sortedState = (b: BucketState) => ({ ...b, values: [...b.values].sort() });

describe('DynamoDB store: item layout', () => {
  test('a one-event bucket is one item under 1 KB, in its minute and shard partition, with the TTL attribute', async () => {
    // Prepare
    const { client, tableName, store } = await setup();
    // Act
    await store.record([event(1)], { saturation: SATURATION, now: NOW });
    // Assess
    const { Item: item } = await client.send(new GetItemCommand({ TableName: tableName, Key: bucketItemKey(KEY, B0) }));
    expect(item?.[ATTR.partitionKey]?.S).toBe(`B#${B0}#${shardOf(KEY)}`);
    expect(item?.[ATTR.sortKey]?.S).toBe(KEY);
    expect(item?.[ATTR.expiresAt]?.N).toBe(String(B0 * 60 + 1800));
    expect(item?.[ATTR.pending]).toBeUndefined();
    expect(itemSize(item)).toBeLessThan(1024);
    expect(shardOf(KEY)).toBeLessThan(ACTIVE_SHARDS);
  });

  test('a busy bucket is split into pages of about one write unit; the saturating page drops its eventIds', async () => {
    // Prepare
    const { client, tableName, store } = await setup();
    // Act
    for (let n = 0; n < SATURATION; n++) await store.record([event(n)], { saturation: SATURATION, now: NOW });
    // Assess
    const pages = await pagesOf(client, tableName);
    expect(pages.length).toBeGreaterThan(2);
    for (const page of pages) expect(itemSize(page)).toBeLessThanOrEqual(PAGE_BYTES + 128);
    const last = pages.find((p) => p.z?.BOOL === true);
    expect(last?.ids).toBeUndefined();
    const [bucket] = await store.readBuckets(KEY, B0, B0, NOW);
    expect([bucket?.events, bucket?.values.length, bucket?.saturated]).toEqual([SATURATION, SATURATION, true]);
  });

  test('counts 400 distinct events of one bucket exactly: dedup digests compare alike on dynalite and AWS', async () => {
    // Prepare: dynalite compares binary set members as UTF-8 text, so digests must be 7-bit to mean the same there
    const { store } = await setup();
    const events = Array.from({ length: 400 }, (_, n) => event(n));
    // Act
    const outcomes: string[] = [];
    for (const e of events) outcomes.push(...(await store.record([e], { saturation: 1000, now: NOW })));
    // Assess
    expect(outcomes.filter((o) => o === 'counted')).toHaveLength(400);
    expect((await store.readBuckets(KEY, B0, B0, NOW))[0]?.events).toBe(400);
    expect([...digest7('any event id', ID_DIGEST_BYTES)].every((b) => b < 0x80)).toBe(true);
  });

  test('value texts beyond the first event go to the side item and come back on read', async () => {
    // Prepare
    const { client, tableName, store } = await setup();
    const agent = `aws-sdk-java/2.25.0 ${'Linux/6.1 OpenJDK_64-Bit_Server_VM/21 '.repeat(20)}`;
    // Act
    await store.record([event(1), event(2, {}, { userAgent: agent })], { saturation: SATURATION, now: NOW });
    // Assess
    const [page] = await pagesOf(client, tableName);
    expect(Object.values(page ?? {}).some((v: AttributeValue) => v.S === agent)).toBe(false);
    const [bucket] = await store.readBuckets(KEY, B0, B0, NOW);
    expect(bucket?.userAgents).toEqual({ [BASE.userAgent]: 1, [agent]: 1 });
    expect(bucket?.secrets).toEqual({ [secretArn(1)]: 1, [secretArn(2)]: 1 });
  });

  test('claims live in one item per key; the pending index entry exists only while the claim is pending', async () => {
    // Prepare
    const { client, tableName, store } = await setup();
    const claim = {
      alertId: 'alert-1',
      key: KEY,
      threadId: 'alert-1',
      windowEndBucket: B0,
      status: 'pending' as const,
      notification: ALERT,
      leaseUntil: NOW + 120_000,
      expiresAt: NOW / 1000 + 3600,
    };
    const read = async () =>
      (await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: `A#${KEY}` }, sk: { S: 'A' } } })))
        .Item;
    // Act
    await store.claimAlert(claim, undefined, NOW);
    const pending = await read();
    await store.markSent(KEY, 'alert-1', NOW);
    const sent = await read();
    // Assess
    expect(pending?.[ATTR.pending]?.S).toBe('P');
    expect(pending?.[ATTR.leaseUntil]?.N).toBe(String(claim.leaseUntil));
    expect(JSON.parse(pending?.nj?.S ?? '')).toEqual(ALERT);
    expect(sent?.[ATTR.pending]).toBeUndefined();
    expect(sent?.st?.S).toBe('sent');
  });
});

describe('DynamoDB store: request plan', () => {
  test('a saturated bucket is answered from the container’s memory; only an event that widens its span is written', async () => {
    // Prepare: events at seconds 0, 1 and 2 saturate the bucket
    const { store, requests } = await setup();
    for (let n = 0; n < 3; n++) await store.record([event(n)], { saturation: 3, now: NOW });
    const before = { ...requests.requests };
    // Act: second 1 lies inside the span (no request); second 10 moves lastSeen (one conditional update)
    const inside = await store.record([event(61), event(0)], { saturation: 3, now: NOW });
    const inSpan = { ...requests.requests };
    const outside = await store.record([event(10), event(70)], { saturation: 3, now: NOW });
    // Assess
    expect([...inside, ...outside]).toEqual(['saturated', 'saturated', 'saturated', 'saturated']);
    expect(inSpan).toEqual(before);
    expect(requests.requests.UpdateItem).toBe((before.UpdateItem ?? 0) + 1);
    const [bucket] = await store.readBuckets(KEY, B0, B0, NOW);
    expect(bucket?.lastSeen).toBe(B0 * 60_000 + 10_000);
    expect(bucket?.events).toBe(3);
  });

  test('a container that joins a busy bucket continues at its open page and still deduplicates', async () => {
    // Prepare
    const { open } = await setup();
    const first = open();
    for (let n = 0; n < 120; n++) await first.record([event(n)], { saturation: SATURATION, now: NOW });
    const second = open();
    // Act
    const redelivered = await second.record([event(5), event(119)], { saturation: SATURATION, now: NOW });
    const fresh = await second.record([event(500), event(501)], { saturation: SATURATION, now: NOW });
    // Assess
    expect(redelivered).toEqual(['duplicate', 'duplicate']);
    expect(fresh).toEqual(['counted', 'counted']);
    expect((await first.readBuckets(KEY, B0, B0, NOW))[0]?.events).toBe(122);
  });

  test('four containers writing one bucket at once count exactly and keep the value cap', async () => {
    // Prepare: 120 distinct events, each delivered twice; four containers, each handling its deliveries one at a
    // time (as a Lambda container does) but all four at once; 30 distinct source IPs; small pages
    const { open } = await setup({ pageBytes: 400 });
    const stores = Array.from({ length: 4 }, open);
    const events = Array.from({ length: 120 }, (_, n) => event(n, {}, { sourceIp: `10.1.0.${n % 30}` }));
    const deliveries = [...events, ...events.slice().reverse()];
    // Act
    const outcomes = await Promise.all(
      stores.map(async (store, c) => {
        const mine: string[] = [];
        for (let i = c; i < deliveries.length; i += 4) {
          mine.push(...(await store.record([deliveries[i] as CountedEvent], { saturation: SATURATION, now: NOW })));
        }
        return mine;
      }),
    );
    // Assess
    expect(outcomes.flat().filter((o) => o === 'counted')).toHaveLength(120);
    const [bucket] = (await stores[0]?.readBuckets(KEY, B0, B0, NOW)) ?? [];
    expect(bucket?.events).toBe(120);
    expect(bucket?.values).toHaveLength(120);
    const ips = Object.entries(bucket?.sourceIps ?? {});
    expect(ips.filter(([ip]) => ip !== '(other)')).toHaveLength(CONTEXT_VALUES_LIMIT);
    expect(ips.reduce((sum, [, n]) => sum + n, 0)).toBe(120);
  });

  test('activeKeys queries each (minute, shard) partition of the look-back and never scans', async () => {
    // Prepare
    const { store, requests } = await setup();
    await store.record([event(1), event(2, { key: 'AIDAOTHERUSER', bucket: B0 + 1 })], { saturation: 20, now: NOW });
    // Act
    const keys = await store.activeKeys(B0, B0 + 2, NOW);
    // Assess
    expect(keys).toEqual(['AIDAOTHERUSER', KEY].sort());
    expect(requests.requests.Query).toBe(3 * ACTIVE_SHARDS);
    expect(requests.requests.Scan).toBeUndefined();
  });

  test('readBuckets of the same evaluation reuses the items activeKeys read', async () => {
    // Prepare
    const { store, requests } = await setup();
    await store.record([event(1), event(2, { bucket: B0 + 1 })], { saturation: 20, now: NOW });
    await store.activeKeys(B0, B0 + 2, NOW);
    const before = { ...requests.requests };
    // Act
    const buckets = await store.readBuckets(KEY, B0, B0 + 2, NOW);
    // Assess
    expect(buckets.map((b) => b.events)).toEqual([1, 1]);
    expect(requests.requests).toEqual(before);
  });

  test('unsentAlerts queries the sparse pending index, not the table', async () => {
    // Prepare
    const { store, requests } = await setup();
    // Act
    await store.unsentAlerts(NOW);
    // Assess
    expect(requests.requests.Query).toBe(1);
    expect(requests.requests.Scan).toBeUndefined();
    expect(PENDING_INDEX).toBe('pending');
  });
});

describe('DynamoDB store against the memory store (realistic, paged buckets)', () => {
  test('readBuckets equals the memory store for random streams over one to three containers, on either measure', async () => {
    const streamArb = fc.record({
      saturation: fc.constantFrom(40, 200),
      saturateOn: fc.constantFrom('events' as const, 'values' as const),
      containers: fc.integer({ min: 1, max: 3 }),
      events: fc.array(
        fc.record({
          n: fc.integer({ min: 0, max: 400 }),
          bucket: fc.integer({ min: 0, max: 1 }),
          ip: fc.integer({ min: 0, max: 25 }),
          agent: fc.integer({ min: 0, max: 2 }),
          second: fc.integer({ min: 0, max: 59 }),
          batch: fc.boolean(),
        }),
        { minLength: 20, maxLength: 160 },
      ),
    });
    const agents = [
      BASE.userAgent,
      'Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10',
      `Go-http/1.1 ${'z'.repeat(700)}`,
    ];
    await fc.assert(
      fc.asyncProperty(streamArb, async ({ saturation, saturateOn, containers, events }) => {
        // Prepare
        const { open } = await setup();
        const stores = Array.from({ length: containers }, open);
        const memory = new MemoryWindowStore();
        const counted = events.map((x) =>
          event(
            x.n,
            { bucket: B0 + x.bucket, saturateOn },
            {
              sourceIp: `192.0.2.${x.ip}`,
              userAgent: agents[x.agent] ?? '',
              eventTime: (B0 + x.bucket) * 60_000 + x.second * 1000,
              userName: `user-${x.second % 3}`,
              // 50 secrets over up to 400 eventIds: under distinct counting, eventIds fill up before tokens do
              secretIds: [secretArn(x.n % 50)],
            },
          ),
        );
        // Act: same arrival order in both; batches of two where the stream says so
        for (let i = 0; i < counted.length; ) {
          const size = events[i]?.batch ? 2 : 1;
          const batch = counted.slice(i, i + size);
          const options = { saturation, now: NOW };
          const [expected, actual] = [
            await memory.record(batch, options),
            await stores[i % containers]?.record(batch, options),
          ];
          expect(actual?.map((o, j) => (o === 'saturated' && expected[j] === 'duplicate' ? 'duplicate' : o))).toEqual(
            expected,
          );
          i += size;
        }
        // Assess
        const [mine, theirs] = [
          await stores[0]?.readBuckets(KEY, B0, B0 + 1, NOW),
          await memory.readBuckets(KEY, B0, B0 + 1, NOW),
        ];
        expect(mine?.map((b) => b.bucket)).toEqual(theirs.map((b) => b.bucket));
        theirs.forEach((expected, i) => {
          const actual = mine?.[i] as BucketState;
          if (expected.events < saturation || saturateOn === 'events') {
            expect(sortedState(actual)).toEqual(sortedState(expected));
            return;
          }
          // Distinct counting past `saturation` eventIds: repeats may leave context out (see quietRepeat)
          const { eventNames, sourceIps, userAgents, regions, secrets, identity, firstSeen, lastSeen, ...counts } =
            sortedState(expected);
          expect(sortedState(actual)).toMatchObject(counts);
          expect(actual.firstSeen).toBeGreaterThanOrEqual(firstSeen);
          expect(actual.lastSeen).toBeLessThanOrEqual(lastSeen);
          for (const [field, all] of Object.entries({ eventNames, sourceIps, userAgents, regions, secrets })) {
            for (const [value, n] of Object.entries(actual[field as 'secrets']))
              expect(n).toBeLessThanOrEqual(all[value] ?? 0);
          }
          expect(identity.userArn).toBeTruthy();
        });
      }),
      { numRuns: 8 },
    );
  }, 120_000);
});

describe('DynamoDbWindowStore: crossing watch over several containers (lib/engine/fast-path.ts)', () => {
  const settings = {
    threshold: 4,
    windowMinutes: 2,
    latenessMinutes: 0,
    suppressionMinutes: 5,
    count: 'events' as const,
  };
  const now = (B0 + 1) * 60_000 - 1; // in bucket B0: windows end at B0 and read B0-2 … B0

  it('reads back single-event minutes that cold containers skipped, once the key is within reach', async () => {
    // Prepare: three containers (stores) on one table; a and b each write one minute's only event
    const { open, requests } = await setup();
    const [a, b, c] = [open(), open(), open()] as const;
    const told: string[] = [];
    const watch = { settings, watches: () => true, crossed: (k: string) => told.push(k) };
    const record = (store: DynamoDbWindowStore, e: CountedEvent) => store.record([e], { saturation: 200, now, watch });
    // Act
    await record(a, event(1, { bucket: B0 - 2 }));
    await record(b, event(2, { bucket: B0 - 1 }));
    const beforeC = [...told];
    const writesBefore = requests.requests.UpdateItem ?? 0;
    await record(c, event(3));
    await record(c, event(4));
    // Assess: the singles cost no summary write; the second event of B0 reads them back and crosses (4 events)
    expect(beforeC).toEqual([]);
    expect(writesBefore).toBe(2);
    expect(told).toEqual([KEY]);
  });

  it('tells no container while the store holds no crossing window', async () => {
    // Prepare
    const { open } = await setup();
    const stores = [open(), open(), open(), open()];
    const told: string[] = [];
    const watch = { settings, watches: () => true, crossed: (k: string) => told.push(k) };
    // Act: three events in the window, dealt over four containers, twice each minute in B0 - 1
    for (const [i, e] of [event(1, { bucket: B0 - 1 }), event(2, { bucket: B0 - 1 }), event(3)].entries()) {
      await (stores[i % 4] as DynamoDbWindowStore).record([e], { saturation: 200, now, watch });
    }
    // Assess
    expect(told).toEqual([]);
  });
});
