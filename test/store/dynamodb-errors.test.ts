/**
 * The DynamoDB store's edge against a mocked SDK: which failures surface as StoreError (so the Lambda throws and
 * AWS retries), which are expected outcomes, and how a batch is spread over UpdateItem calls.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  InternalServerError,
  ProvisionedThroughputExceededException,
  QueryCommand,
  ThrottlingException,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbWindowStore, digest7, ID_DIGEST_BYTES } from '../../lib/adapters/store/dynamodb';
import { StoreError } from '../../lib/engine/errors';
import type { CountedEvent, EventContext } from '../../lib/engine/ports';

const BASE = JSON.parse(
  readFileSync(path.join(__dirname, '..', 'fixtures', 'store', 'event-context.json'), 'utf8'),
) as EventContext;
const B0 = BASE.eventTime / 60_000;
const NOW = BASE.eventTime + 60_000;
const OPTIONS = { saturation: 200, now: NOW };

const ddb = mockClient(DynamoDBClient);
const metadata = { $metadata: {} };

function event(key: string, n: number): CountedEvent {
  return { key, bucket: B0, eventId: `evt-${key}-${n}`, values: [], expiresAt: B0 * 60 + 1800, context: BASE };
}

function store(): DynamoDbWindowStore {
  return new DynamoDbWindowStore(new DynamoDBClient({ region: 'us-east-1' }), { tableName: 'rsr-test' });
}

/** Rejects with StoreError(operation) whose cause is `cause`. */
async function expectStoreError(promise: Promise<unknown>, operation: string, cause: Error): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreError);
  expect((error as StoreError).operation).toBe(operation);
  expect((error as StoreError).cause).toBe(cause);
}

beforeEach(() => ddb.reset());
afterAll(() => ddb.restore());

describe('DynamoDB store errors', () => {
  test('throttling of a counter write surfaces as StoreError so the ingest Lambda fails and is retried', async () => {
    // Prepare
    const throttled = new ProvisionedThroughputExceededException({ message: 'slow down', ...metadata });
    ddb.on(UpdateItemCommand).rejects(throttled);
    // Act
    const recording = store().record([event('AIDAKEY1', 1)], OPTIONS);
    // Assess
    await expectStoreError(recording, 'record', throttled);
  });

  test('a 5xx from DynamoDB surfaces as StoreError naming the operation', async () => {
    // Prepare
    const outage = new InternalServerError({ message: 'boom', ...metadata });
    ddb.on(QueryCommand).rejects(outage);
    // Act
    const reading = store().activeKeys(B0, B0 + 1, NOW);
    // Assess
    await expectStoreError(reading, 'activeKeys', outage);
  });

  test('request throttling of a claim surfaces as StoreError, not as a lost claim', async () => {
    // Prepare
    const throttled = new ThrottlingException({ message: 'rate exceeded', ...metadata });
    ddb.on(UpdateItemCommand).rejects(throttled);
    const notification = JSON.parse(
      readFileSync(path.join(__dirname, '..', 'fixtures', 'alerts', 'stratus-iam-user.json'), 'utf8'),
    );
    // Act
    const claiming = store().claimAlert(
      {
        alertId: 'a1',
        key: 'AIDAKEY1',
        threadId: 'a1',
        windowEndBucket: B0,
        status: 'pending',
        notification,
        leaseUntil: NOW + 120_000,
        expiresAt: NOW / 1000 + 3600,
      },
      undefined,
      NOW,
    );
    // Assess
    await expectStoreError(claiming, 'claimAlert', throttled);
  });

  test('a failed condition is an outcome: markSent resolves and renewLease answers false', async () => {
    // Prepare
    ddb.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: 'no', ...metadata }));
    const s = store();
    // Act
    const sent = s.markSent('AIDAKEY1', 'a1', NOW);
    const renewed = s.renewLease('AIDAKEY1', 'a1', NOW + 60_000, NOW);
    // Assess
    await expect(sent).resolves.toBeUndefined();
    await expect(renewed).resolves.toBe(false);
  });

  test('unprocessed BatchGetItem keys are retried until answered', async () => {
    // Prepare: the first answer leaves the key unprocessed, the second returns nothing for it (no bucket)
    ddb
      .on(BatchGetItemCommand)
      .resolvesOnce({ Responses: { 'rsr-test': [] }, UnprocessedKeys: { 'rsr-test': { Keys: [{}] } } })
      .resolves({ Responses: { 'rsr-test': [] } });
    // Act
    const buckets = await store().readBuckets('AIDAKEY1', B0, B0, NOW);
    // Assess
    expect(buckets).toEqual([]);
    expect(ddb.commandCalls(BatchGetItemCommand)).toHaveLength(2);
  });

  test('keys that stay unprocessed end in StoreError rather than a silently partial read', async () => {
    // Prepare
    ddb.on(BatchGetItemCommand).resolves({ Responses: {}, UnprocessedKeys: { 'rsr-test': { Keys: [{}] } } });
    jest.useFakeTimers();
    // Act: skip the backoff between rounds
    const reading = store()
      .readBuckets('AIDAKEY1', B0, B0, NOW)
      .catch((e: unknown) => e);
    await jest.runAllTimersAsync();
    const error = await reading;
    jest.useRealTimers();
    // Assess
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).operation).toBe('readBuckets');
  });
});

describe('DynamoDB store batching', () => {
  test('a batch keeps at most 16 UpdateItem calls in flight and returns outcomes in input order', async () => {
    // Prepare: 100 keys; odd keys are answered as duplicates (condition failed, then the read finds the id)
    let inFlight = 0;
    let peak = 0;
    ddb.on(UpdateItemCommand).callsFake(async (input: UpdateItemCommandInput) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      const key = input.Key?.sk?.S ?? '';
      if (Number(key.slice(3)) % 2 === 1) {
        throw new ConditionalCheckFailedException({ message: 'dup', ...metadata });
      }
      return { Attributes: { n: { N: '1' } } };
    });
    ddb.on(GetItemCommand).callsFake(async (input) => {
      const key = String(input.Key?.sk?.S);
      return { Item: { ...input.Key, n: { N: '1' }, ids: { BS: [await digest(`evt-${key}-1`)] } } };
    });
    const batch = Array.from({ length: 100 }, (_, i) => event(`key${i}`, 1));
    // Act
    const outcomes = await store().record(batch, OPTIONS);
    // Assess
    expect(peak).toBeLessThanOrEqual(16);
    expect(peak).toBeGreaterThan(1);
    expect(outcomes).toEqual(batch.map((_, i) => (i % 2 === 1 ? 'duplicate' : 'counted')));
  });

  test('events of one bucket in a batch are written one after the other, in input order', async () => {
    // Prepare
    const order: string[] = [];
    let inFlight = 0;
    let peak = 0;
    ddb.on(UpdateItemCommand).callsFake(async (input: UpdateItemCommandInput) => {
      if (!input.Key?.pk?.S?.startsWith('B#')) return {}; // value texts for the side item
      inFlight++;
      peak = Math.max(peak, inFlight);
      order.push(String(input.ExpressionAttributeValues?.[':0']?.B?.[0]));
      await new Promise((resolve) => setTimeout(resolve, 2));
      inFlight--;
      return { Attributes: { n: { N: String(order.length) } } };
    });
    const batch = Array.from({ length: 5 }, (_, i) => event('AIDAKEY1', i));
    // Act
    await store().record(batch, OPTIONS);
    // Assess
    expect(peak).toBe(1);
    expect(order).toEqual(await Promise.all(batch.map(async (e) => String((await digest(e.eventId))[0]))));
  });
});

/** The store's dedup digest of an eventId. */
async function digest(eventId: string): Promise<Uint8Array> {
  return digest7(eventId, ID_DIGEST_BYTES);
}
