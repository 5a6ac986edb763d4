/**
 * DynamoDB faults against the real store on dynalite, through an HTTP proxy that fails chosen or random requests:
 * throttling, 5xx, reset connections, and writes that took effect but whose answer was lost. Plus the crash points a
 * Lambda timeout creates (after the count, before the return; after the claim; after the publish).
 *
 * Invariants: no qualifying event is lost (it is either counted or its message/invocation fails so that AWS retries
 * it), none is counted twice below saturation, no alert is lost, and an alert is delivered twice only when the
 * evaluator died between publishing and marking it sent (then both copies carry the same alertId).
 */
import { type AddressInfo, createServer } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { DynamoDbWindowStore } from '../../lib/adapters/store/dynamodb';
import type { Alert } from '../../lib/engine/alert';
import { Detector } from '../../lib/engine/detector';
import { StoreError } from '../../lib/engine/errors';
import type { WindowStore } from '../../lib/engine/ports';
import { handleEvaluate } from '../../lib/usecases/evaluate';
import { handleIngest } from '../../lib/usecases/ingest';
import { freshTable, testClient, useDynalite } from '../support/dynalite';
import {
  type Decision,
  type HttpFaultProxy,
  passAll,
  SERVER_ERROR,
  seeded,
  startHttpFaultProxy,
  THROTTLED,
} from '../support/fault-proxy';
import { CaseCounter, envelope, recordingTelemetry } from '../support/hostile';
import { testConfig } from '../support/records';
import {
  burst,
  deliverSqs,
  deliverUntilDone,
  EVALUATE_AT,
  eventsPerKey,
  failingStore,
  INGEST_AT,
  identities,
  identitiesIn,
  messagesOf,
  RecordingPublisher,
  SHORT_LOOK_BACK,
} from './support';

useDynalite();

const cases = new CaseCounter();
afterAll(() => console.log(cases.report('store faults (property)')));

let proxy: HttpFaultProxy;
beforeAll(async () => {
  proxy = await startHttpFaultProxy(process.env.AWS_ENDPOINT_URL_DYNAMODB as string);
});
afterAll(async () => proxy?.close());
afterEach(() => {
  proxy.decide = passAll;
});

const { telemetry } = recordingTelemetry();
const FAULTS: Record<string, Decision> = {
  throttling: { status: 400, body: (THROTTLED as { body: string }).body },
  'HTTP 500': { status: 500, body: (SERVER_ERROR as { body: string }).body },
  'connection reset': 'reset',
  'write applied, answer lost': 'drop-response',
};

/** A Lambda container: its own client (through the proxy unless `direct`) and store with a cold cache. */
function container(tableName: string, direct = false, maxAttempts = 1): DynamoDbWindowStore {
  const client = direct ? testClient() : new DynamoDBClient({ endpoint: proxy.endpoint, maxAttempts });
  return new DynamoDbWindowStore(client, { tableName });
}

async function setup(overrides: Parameters<typeof testConfig>[0] = {}) {
  const config = testConfig({ tableName: await freshTable(testClient(), 'faults'), ...SHORT_LOOK_BACK, ...overrides });
  return { config, detector: new Detector(config) };
}

/** Counts each request the store sends for a counted event (UpdateItem, and GetItem after a failed condition). */
const isIngestCall = (operation: string | undefined) => operation === 'UpdateItem' || operation === 'GetItem';

describe('ingest under DynamoDB faults', () => {
  it.each(Object.entries(FAULTS))(
    '%s on every third write fails exactly those SQS messages; redelivery counts every event once',
    async (_name, fault) => {
      // Prepare
      const keys = identities(2);
      const { config, detector } = await setup();
      const store = container(config.tableName);
      const messages = messagesOf(burst(keys));
      let n = 0;
      proxy.decide = (r) => (isIngestCall(r.operation) && ++n % 3 === 0 ? fault : 'pass');
      // Act: the first delivery meets the faults; SQS brings failed messages back, and (at least once) everything.
      const failed = await deliverSqs(messages, { detector, store });
      proxy.decide = passAll;
      await deliverSqs(
        messages.filter((m) => failed.includes(m.id)),
        { detector, store },
      );
      await deliverSqs(messages, { detector, store: container(config.tableName) });
      const publisher = new RecordingPublisher();
      const report = await handleEvaluate(
        { store: container(config.tableName, true), publisher, config, telemetry },
        EVALUATE_AT,
      );
      // Assess
      expect(failed.length).toBeGreaterThan(0);
      expect(await eventsPerKey(container(config.tableName, true), keys)).toEqual(
        Object.fromEntries(keys.map((k) => [k, 20])),
      );
      expect(report.alerts).toBe(keys.length);
      expect(publisher.alerts().map((a) => [a.identity, a.count])).toEqual(
        expect.arrayContaining(keys.map((k) => [k, 20])),
      );
    },
  );

  it('counts every event exactly once under random faults on a quarter of all requests, redeliveries included (3 schedules)', async () => {
    const kinds = Object.values(FAULTS);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        cases.count('random DynamoDB fault schedule', async (seed) => {
          // Prepare
          const keys = identities(2, `AIDARANDOM${seed % 7}`);
          const { config, detector } = await setup();
          const random = seeded(seed);
          proxy.decide = () => (random() < 0.25 ? (kinds[Math.floor(random() * kinds.length)] as Decision) : 'pass');
          const messages = messagesOf(burst(keys));
          // Act: two containers take turns, as Lambda scales out; faults stay on during redelivery.
          const first = await deliverUntilDone(messages, { detector, store: container(config.tableName) });
          const again = await deliverUntilDone(messages, { detector, store: container(config.tableName) });
          proxy.decide = passAll;
          const counts = await eventsPerKey(container(config.tableName, true), keys);
          // Assess
          expect(first.firstFailures + again.firstFailures).toBeGreaterThan(0);
          expect(counts).toEqual(Object.fromEntries(keys.map((k) => [k, 20])));
        }),
      ),
      { numRuns: 3 },
    );
  });

  it.each(Object.entries(FAULTS))(
    '%s on an EventBridge invocation throws StoreError (so Lambda retries it), and the retry counts it once',
    async (_name, fault) => {
      // Prepare
      const [key] = identities(1, 'AIDAEVENTBRIDGE') as [string];
      const { config, detector } = await setup();
      const [record] = burst([key], 1);
      proxy.decide = (r) => (isIngestCall(r.operation) ? fault : 'pass');
      // Act
      const error = await handleIngest(
        envelope(record),
        { detector, store: container(config.tableName), telemetry },
        INGEST_AT,
      ).catch((e: unknown) => e);
      proxy.decide = passAll;
      const retry = await handleIngest(
        envelope(record),
        { detector, store: container(config.tableName), telemetry },
        INGEST_AT,
      );
      // Assess
      expect(error).toBeInstanceOf(StoreError);
      expect(retry).toMatchObject({ counted: fault === 'drop-response' ? 0 : 1 });
      expect(retry).toMatchObject({ duplicates: fault === 'drop-response' ? 1 : 0 });
      expect(await eventsPerKey(container(config.tableName, true), [key])).toEqual({ [key]: 1 });
    },
  );
});

describe('DynamoDB unreachable (connection refused)', () => {
  it('fails every message of an SQS batch and the EventBridge invocation; once it is back, each event counts once', async () => {
    // Prepare: a port where nothing listens.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const [key] = identities(1, 'AIDAREFUSED') as [string];
    const { config, detector } = await setup();
    const down = new DynamoDbWindowStore(new DynamoDBClient({ endpoint, maxAttempts: 1 }), {
      tableName: config.tableName,
    });
    const messages = messagesOf(burst([key], 12));
    // Act
    const failed = await deliverSqs(messages, { detector, store: down });
    const error = await handleIngest(
      JSON.parse((messages[0] as { body: string }).body),
      { detector, store: down, telemetry },
      INGEST_AT,
    ).catch((e: unknown) => e);
    await deliverUntilDone(
      messages.filter((m) => failed.includes(m.id)),
      { detector, store: container(config.tableName, true) },
    );
    // Assess
    expect(failed.sort()).toEqual(messages.map((m) => m.id).sort());
    expect(error).toBeInstanceOf(StoreError);
    expect(await eventsPerKey(container(config.tableName, true), [key])).toEqual({ [key]: 12 });
  });
});

describe('a Lambda timeout between counting and returning', () => {
  it('counts an EventBridge event once when the invocation dies after the write and the event is redelivered', async () => {
    // Prepare
    const [key] = identities(1, 'AIDATIMEOUT') as [string];
    const { config, detector } = await setup();
    const records = burst([key], 5);
    const dying = failingStore(container(config.tableName, true), { record: { when: 'after', times: 5 } });
    // Act
    const errors: unknown[] = [];
    for (const r of records) {
      await handleIngest(envelope(r), { detector, store: dying, telemetry }, INGEST_AT).catch((e) => errors.push(e));
    }
    const retried = [];
    for (const r of records) {
      retried.push(
        await handleIngest(envelope(r), { detector, store: container(config.tableName, true), telemetry }, INGEST_AT),
      );
    }
    // Assess
    expect(errors).toHaveLength(5);
    expect(retried.map((s) => ('duplicates' in s ? s.duplicates : -1))).toEqual([1, 1, 1, 1, 1]);
    expect(await eventsPerKey(container(config.tableName, true), [key])).toEqual({ [key]: 5 });
  });

  it('counts an SQS message once when its batch dies after the write and the message comes back', async () => {
    // Prepare
    const [key] = identities(1, 'AIDASQSTIMEOUT') as [string];
    const { config, detector } = await setup();
    const messages = messagesOf(burst([key], 10));
    const dying = failingStore(container(config.tableName, true), { record: { when: 'after', times: 10 } });
    // Act
    const failed = await deliverSqs(messages, { detector, store: dying });
    await deliverSqs(
      messages.filter((m) => failed.includes(m.id)),
      { detector, store: container(config.tableName, true) },
    );
    // Assess
    expect(failed).toHaveLength(10);
    expect(await eventsPerKey(container(config.tableName, true), [key])).toEqual({ [key]: 10 });
  });

  it('counts once when the redelivery runs in another container while the first write is still in flight', async () => {
    // Prepare
    const [key] = identities(1, 'AIDARACE') as [string];
    const { config, detector } = await setup();
    const records = burst([key], 20);
    // Act: the same 20 events in two containers at once, twice over.
    await Promise.all(
      [1, 2, 3, 4].map(() =>
        Promise.all(
          records.map((r) =>
            handleIngest(envelope(r), { detector, store: container(config.tableName, true), telemetry }, INGEST_AT),
          ),
        ),
      ),
    );
    // Assess
    expect(await eventsPerKey(container(config.tableName, true), [key])).toEqual({ [key]: 20 });
  });
});

describe('evaluator under DynamoDB faults and crashes', () => {
  async function ingested(n: number, prefix: string, overrides: Parameters<typeof testConfig>[0] = {}) {
    const keys = identities(n, prefix);
    const { config, detector } = await setup(overrides);
    await deliverUntilDone(messagesOf(burst(keys)), { detector, store: container(config.tableName, true) });
    return { keys, config };
  }

  const run = (config: ReturnType<typeof testConfig>, store: WindowStore, publisher: RecordingPublisher, at: number) =>
    handleEvaluate({ store, publisher, config, telemetry }, at);

  it.each([
    ['Query (active keys)', 'Query'],
    ['BatchGetItem (buckets)', 'BatchGetItem'],
    ['GetItem (last alert)', 'GetItem'],
    ['UpdateItem (claim)', 'UpdateItem'],
  ])('a failing %s fails the run, and the next run delivers every alert once', async (_name, operation) => {
    // Prepare
    const { keys, config } = await ingested(2, `AIDAEVAL${operation.slice(0, 3).toUpperCase()}`);
    const publisher = new RecordingPublisher();
    proxy.decide = (r) => (r.operation === operation ? FAULTS['HTTP 500'] : 'pass') as Decision;
    // Act
    const failure = await run(config, container(config.tableName), publisher, EVALUATE_AT).catch((e: unknown) => e);
    proxy.decide = passAll;
    // The lease of anything claimed before the fault must end before it is retried.
    const later = EVALUATE_AT + (config.alertLeaseSeconds + 1) * 1000;
    await run(config, container(config.tableName), publisher, EVALUATE_AT + 60_000);
    await run(config, container(config.tableName), publisher, later);
    await run(config, container(config.tableName), publisher, later + 60_000);
    // Assess
    expect(failure).toBeInstanceOf(StoreError);
    expect(identitiesIn(publisher.delivered).sort()).toEqual([...keys].sort());
  });

  it('an evaluator whose claim write applied but whose answer was lost: the alert is delivered once, after the lease', async () => {
    // Prepare
    const { keys, config } = await ingested(1, 'AIDACLAIMLOST');
    const publisher = new RecordingPublisher();
    let claims = 0;
    proxy.decide = (r) => (r.operation === 'UpdateItem' && ++claims === 1 ? 'drop-response' : 'pass');
    // Act
    const failure = await run(config, container(config.tableName), publisher, EVALUATE_AT).catch((e: unknown) => e);
    proxy.decide = passAll;
    const insideLease = await run(config, container(config.tableName), publisher, EVALUATE_AT + 60_000);
    const afterLease = await run(
      config,
      container(config.tableName),
      publisher,
      EVALUATE_AT + (config.alertLeaseSeconds + 1) * 1000,
    );
    // Assess
    expect(failure).toBeInstanceOf(StoreError);
    expect(insideLease.alerts + insideLease.retried).toBe(0);
    expect(afterLease.retried).toBe(1);
    expect(identitiesIn(publisher.delivered)).toEqual(keys);
  });

  it('an evaluator that dies after claiming and before publishing: delivered once by a later run', async () => {
    // Prepare
    const { keys, config } = await ingested(2, 'AIDADIESCLAIM');
    const publisher = new RecordingPublisher();
    const dying = failingStore(container(config.tableName, true), { claimAlert: { when: 'after', times: 1 } });
    // Act
    const failure = await run(config, dying, publisher, EVALUATE_AT).catch((e: unknown) => e);
    const later = EVALUATE_AT + (config.alertLeaseSeconds + 1) * 1000;
    await run(config, container(config.tableName, true), publisher, EVALUATE_AT + 60_000);
    await run(config, container(config.tableName, true), publisher, later);
    // Assess
    expect(failure).toBeInstanceOf(Error);
    expect(identitiesIn(publisher.delivered).sort()).toEqual([...keys].sort());
  });

  it('an evaluator that dies between publishing and marking sent: the one duplicate carries the same alertId', async () => {
    // Prepare
    const { keys, config } = await ingested(2, 'AIDADIESPUBLISH');
    const publisher = new RecordingPublisher();
    const dying = failingStore(container(config.tableName, true), { markSent: { when: 'before', times: 1 } });
    // Act
    const failure = await run(config, dying, publisher, EVALUATE_AT).catch((e: unknown) => e);
    const later = EVALUATE_AT + (config.alertLeaseSeconds + 1) * 1000;
    await run(config, container(config.tableName, true), publisher, EVALUATE_AT + 60_000);
    await run(config, container(config.tableName, true), publisher, later);
    await run(config, container(config.tableName, true), publisher, later + 60_000);
    // Assess: the first alert went out twice (the documented window), the other once; nothing is lost.
    expect(failure).toBeInstanceOf(Error);
    const alerts = publisher.alerts();
    const first = alerts[0] as Alert;
    expect(alerts.filter((a) => a.identity === first.identity).map((a) => a.alertId)).toEqual([
      first.alertId,
      first.alertId,
    ]);
    expect(alerts.filter((a) => a.identity !== first.identity)).toHaveLength(keys.length - 1);
    expect(new Set(alerts.map((a) => a.identity))).toEqual(new Set(keys));
  });
});

describe('concurrent evaluators on one table, several identities, cap and overflow', () => {
  it.each([2, 8])(
    '%i evaluators at once: every identity in exactly one alert or overflow entry, no alertId twice',
    async (parallel) => {
      // Prepare: 6 identities cross; at most 2 alerts per run, the rest overflow.
      const keys = identities(6, `AIDACONC${parallel}`);
      const { config, detector } = await setup({ maxAlertsPerRun: 2 });
      await deliverUntilDone(messagesOf(burst(keys)), { detector, store: container(config.tableName, true) });
      const publisher = new RecordingPublisher();
      // Act: all evaluators at once, then all again a minute later (suppression).
      const round = (at: number) =>
        Promise.all(
          Array.from({ length: parallel }, () =>
            handleEvaluate({ store: container(config.tableName, true), publisher, config, telemetry }, at),
          ),
        );
      const reports = await round(EVALUATE_AT);
      const delivered = publisher.delivered.length;
      await round(EVALUATE_AT + 60_000);
      // Assess
      expect(identitiesIn(publisher.delivered).sort()).toEqual([...keys].sort());
      const ids = publisher.delivered.map((n) => n.alertId);
      expect(new Set(ids).size).toBe(ids.length);
      for (const r of reports) expect(r.alerts).toBeLessThanOrEqual(config.maxAlertsPerRun);
      expect(publisher.delivered.some((n) => n.kind === 'overflow')).toBe(true);
      expect(publisher.delivered).toHaveLength(delivered);
    },
  );
});
