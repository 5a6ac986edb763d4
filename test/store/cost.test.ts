/**
 * Write cost per event of the DynamoDB store for the two load shapes of the design targets, measured as AWS bills
 * (test/support/capacity.ts): ≤ 1.5 write units per event for 1 000 identities at one event per minute each, and
 * ≤ 0.1 for one identity at 5 000 events per minute. Set RSR_COST_REPORT=1 to print the measurements.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DynamoDbWindowStore } from '../../lib/adapters/store/dynamodb';
import type { CountedEvent, EventContext } from '../../lib/engine/ports';
import { type CapacityReport, meter } from '../support/capacity';
import { freshTable, testClient, useDynalite } from '../support/dynalite';

useDynalite();

const BASE = JSON.parse(
  readFileSync(path.join(__dirname, '..', 'fixtures', 'store', 'event-context.json'), 'utf8'),
) as EventContext;
const B0 = BASE.eventTime / 60_000;
const SATURATION = 200; // default THRESHOLD 20 × SATURATION_FACTOR 10
const secretArn = (i: number) =>
  `arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/service-${String(i).padStart(3, '0')}/api-key-AbC12d`;

function event(
  key: string,
  bucket: number,
  n: number,
  secret: number,
  saturateOn: CountedEvent['saturateOn'] = 'events',
): CountedEvent {
  return {
    key,
    saturateOn,
    bucket,
    eventId: `6f1c7d0e-${key.length}-4a3b-9c2d-${String(n).padStart(12, '0')}-${key}`,
    values: [createHash('sha256').update(secretArn(secret)).digest('base64url').slice(0, 12)],
    expiresAt: (bucket + 25) * 60,
    context: {
      ...BASE,
      eventTime: bucket * 60_000 + (n % 60) * 1000,
      secretIds: [secretArn(secret)],
      userArn: `arn:aws:sts::111122223333:assumed-role/app-role/${key.split(':')[1] ?? key}`,
    },
  };
}

/** Runs `fn` over `items` with `limit` in flight. */
async function each<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

const perEvent = (r: CapacityReport, events: number) => (r.tableWriteUnits + r.indexWriteUnits) / events;

function report(shape: string, r: CapacityReport, events: number): void {
  if (!process.env.RSR_COST_REPORT) return;
  const sizes = [...r.itemSizes].sort((a, b) => a - b);
  process.stdout.write(
    `${shape}: ${events} events, ${r.tableWriteUnits} table + ${r.indexWriteUnits} index write units = ` +
      `${perEvent(r, events).toFixed(3)} per event; ${r.conditionalFailures} failed conditions; ` +
      `requests ${JSON.stringify(r.requests)}; item bytes median ${sizes[sizes.length >> 1]}, max ${r.largestItem}\n`,
  );
}

describe('DynamoDB store write cost (as AWS bills it)', () => {
  test('1 000 identities at one event per minute cost at most 1.5 write units per event', async () => {
    // Prepare
    const client = testClient();
    const store = new DynamoDbWindowStore(client, { tableName: await freshTable(client, 'cost-wide') });
    const capacity = meter(client);
    const identities = Array.from({ length: 1000 }, (_, i) => `AROA3EXAMPLEROLEID7Q:session-${i}`);
    const minutes = 1;
    // Act: one EventBridge invocation per event, as the ingest Lambda receives them
    for (let m = 0; m < minutes; m++) {
      await each(identities, 16, (key) =>
        store.record([event(key, B0 + m, m, m)], { saturation: SATURATION, now: (B0 + m) * 60_000 }),
      );
    }
    // Assess
    const events = identities.length * minutes;
    report('1000 identities x 1/min', capacity, events);
    expect(perEvent(capacity, events)).toBeLessThanOrEqual(1.5);
    expect(capacity.requests.UpdateItem).toBe(events);
    expect(capacity.largestItem).toBeLessThan(1024);
  }, 120_000);

  test('one identity at 5 000 events per minute costs at most 0.1 write units per event', async () => {
    // Prepare: an enumeration, cycling over 500 distinct secrets
    const client = testClient();
    const store = new DynamoDbWindowStore(client, { tableName: await freshTable(client, 'cost-hot') });
    const capacity = meter(client);
    const key = 'AROA3EXAMPLEROLEID7Q:exfil';
    const events = Array.from({ length: 5000 }, (_, n) => event(key, B0, n, n % 500));
    // Act
    for (const e of events) await store.record([e], { saturation: SATURATION, now: B0 * 60_000 });
    // Assess
    report('1 identity x 5000/min', capacity, events.length);
    expect(perEvent(capacity, events.length)).toBeLessThanOrEqual(0.1);
    expect(capacity.requests.UpdateItem).toBeLessThanOrEqual(SATURATION + 20);
    const [bucket] = await store.readBuckets(key, B0, B0, B0 * 60_000);
    expect(bucket?.events).toBe(SATURATION);
    expect(bucket?.saturated).toBe(true);
  }, 120_000);

  test('the hot identity stays within 0.1 write units per event when four containers share it', async () => {
    // Prepare: four warm containers, events dealt round-robin (each starts cold on the bucket)
    const client = testClient();
    const tableName = await freshTable(client, 'cost-hot4');
    const capacity = meter(client);
    const stores = Array.from({ length: 4 }, () => new DynamoDbWindowStore(client, { tableName }));
    const key = 'AROA3EXAMPLEROLEID7Q:exfil';
    const events = Array.from({ length: 5000 }, (_, n) => event(key, B0, n, n % 500));
    // Act
    for (const [n, e] of events.entries()) {
      await stores[n % 4]?.record([e], { saturation: SATURATION, now: B0 * 60_000 });
    }
    // Assess
    report('1 identity x 5000/min, 4 containers', capacity, events.length);
    expect(perEvent(capacity, events.length)).toBeLessThanOrEqual(0.1);
    const [bucket] = (await stores[0]?.readBuckets(key, B0, B0, B0 * 60_000)) ?? [];
    expect(bucket?.events).toBe(SATURATION);
  }, 120_000);

  test('four containers widening one saturated bucket in time order look before they write (span exact)', async () => {
    // Prepare: the benchmark's shape, events in time order over the minute, dealt round-robin: every container sees
    // every new second, and without looking first three of four widening writes lost the race (171 of 228)
    const client = testClient();
    const tableName = await freshTable(client, 'cost-widen4');
    const capacity = meter(client);
    const stores = Array.from({ length: 4 }, () => new DynamoDbWindowStore(client, { tableName }));
    const key = 'AROA3EXAMPLEROLEID7Q:exfil';
    const events = Array.from({ length: 5000 }, (_, n) => {
      const e = event(key, B0, n, n % 500);
      return { ...e, context: { ...e.context, eventTime: B0 * 60_000 + Math.floor((n * 60) / 5000) * 1000 } };
    });
    // Act
    for (const [n, e] of events.entries()) {
      await stores[n % 4]?.record([e], { saturation: SATURATION, now: B0 * 60_000 });
    }
    // Assess: cost, lost races, and the span to the second whatever the container that wrote it
    report('1 identity x 5000/min in time order, 4 containers', capacity, events.length);
    expect(perEvent(capacity, events.length)).toBeLessThanOrEqual(0.1);
    expect(capacity.conditionalFailures).toBeLessThan(80);
    const [bucket] = (await stores[0]?.readBuckets(key, B0, B0, B0 * 60_000)) ?? [];
    expect([bucket?.firstSeen, bucket?.lastSeen]).toEqual([B0 * 60_000, B0 * 60_000 + 59_000]);
  }, 120_000);

  test('one identity re-reading one secret 5 000 times a minute under distinct counting stays within 0.1', async () => {
    // Prepare: distinct counting never saturates on repeats, so the cost must come from the quiet-repeat path
    const client = testClient();
    const store = new DynamoDbWindowStore(client, { tableName: await freshTable(client, 'cost-repeat') });
    const capacity = meter(client);
    const key = 'AROA3EXAMPLEROLEID7Q:poller';
    const events = Array.from({ length: 5000 }, (_, n) => event(key, B0, n, 7, 'values'));
    // Act
    for (const e of events) await store.record([e], { saturation: SATURATION, now: B0 * 60_000 });
    // Assess
    report('1 identity x 5000/min, one secret, distinct counting', capacity, events.length);
    expect(perEvent(capacity, events.length)).toBeLessThanOrEqual(0.1);
    const [bucket] = await store.readBuckets(key, B0, B0, B0 * 60_000);
    expect([bucket?.events, bucket?.values.length, bucket?.saturated]).toEqual([SATURATION, 1, false]);
  }, 120_000);
});
