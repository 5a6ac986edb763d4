/**
 * The AWS runtime end to end on real local servers: dynalite (DynamoDB) and fauxqs (SNS + SQS). The Stratus
 * detonation, wrapped in EventBridge envelopes, goes through the ingest logic into DynamoDB; the evaluator publishes
 * to a real SNS topic with an SQS subscriber; faults are injected with a TCP proxy in front of dynalite.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBClient as Client } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { SnsPublisher } from '../../lib/adapters/notify/sns';
import { validateSnsMessage } from '../../lib/adapters/notify/validate';
import { DynamoDbWindowStore } from '../../lib/adapters/store/dynamodb';
import { createTelemetry } from '../../lib/adapters/telemetry';
import type { RuntimeConfig } from '../../lib/config/load';
import type { Alert, Notification } from '../../lib/engine/alert';
import { Detector } from '../../lib/engine/detector';
import { StoreError } from '../../lib/engine/errors';
import { QuietKeys } from '../../lib/engine/fast-path';
import type { AlertPublisher } from '../../lib/engine/ports';
import { handleEvaluate } from '../../lib/usecases/evaluate';
import { handleIngest } from '../../lib/usecases/ingest';
import { freshTable, testClient, useDynalite } from '../support/dynalite';
import {
  type Decision,
  type HttpFaultProxy,
  passAll,
  SERVER_ERROR,
  startHttpFaultProxy,
  THROTTLED,
} from '../support/fault-proxy';
import { type Fauxqs, startFauxqs } from '../support/fauxqs';
import { eventBridgeEnvelope, testConfig } from '../support/records';

useDynalite();

const telemetry = createTelemetry('rsr-test', 'SILENT');
const stratus = JSON.parse(
  readFileSync(join(__dirname, '../fixtures/stratus-red-team/secretsmanager-retrieve-secrets.json'), 'utf8'),
) as { eventTime: string; eventName: string }[];
const reads = stratus.filter((r) => r.eventName === 'GetSecretValue');
const envelope = eventBridgeEnvelope;
const lastEventTime = Math.max(...reads.map((r) => Date.parse(r.eventTime)));
/** Ingest runs 20 s after the last event; the evaluator a minute later. */
const INGEST_AT = lastEventTime + 20_000;
const EVALUATE_AT = INGEST_AT + 60_000;

let fauxqs: Fauxqs;
let sns: SNSClient;
let sqs: SQSClient;
let topicArn: string;
let queueUrl: string;

beforeAll(async () => {
  fauxqs = await startFauxqs();
  const options = { region: 'us-east-1', endpoint: fauxqs.endpoint, maxAttempts: 1 };
  sns = new SNSClient(options);
  sqs = new SQSClient(options);
  ({ TopicArn: topicArn = '' } = await sns.send(new CreateTopicCommand({ Name: 'rsr-e2e' })));
  ({ QueueUrl: queueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: 'rsr-e2e-subscriber' })));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }));
}, 90_000);

afterAll(async () => {
  sns?.destroy();
  sqs?.destroy();
  await fauxqs?.stop();
});

beforeEach(async () => {
  await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
});

async function delivered(waitSeconds = 1): Promise<Message[]> {
  const out: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: waitSeconds }),
    );
    if (Messages.length === 0) return out;
    out.push(...Messages);
  }
}

/** fauxqs 1.9 delivers the whole JSON document (AWS would deliver only the `sqs` value): pick the values out. */
function bodies(message: Message): Record<string, string> {
  const envelope = JSON.parse(message.Body ?? '{}') as { Message: string };
  return JSON.parse(envelope.Message) as Record<string, string>;
}

async function setup(overrides: Partial<RuntimeConfig> = {}, client: DynamoDBClient = testClient()) {
  const config = testConfig({ ...overrides, tableName: await freshTable(testClient()), topicArn });
  const store = new DynamoDbWindowStore(client, { tableName: config.tableName });
  const detector = new Detector(config);
  const publisher = new SnsPublisher({ client: sns, topicArn, httpsFormat: config.httpsFormat });
  return { config, store, detector, publisher };
}

describe('runtime end to end (dynalite + fauxqs)', () => {
  it('turns 20 ingested GetSecretValue events into exactly one SNS alert, and suppresses the next run', async () => {
    // Prepare
    const { config, store, detector, publisher } = await setup();
    // Act
    for (const r of reads) await handleIngest(envelope(r), { detector, store, telemetry }, INGEST_AT);
    const first = await handleEvaluate({ store, publisher, config, telemetry }, EVALUATE_AT);
    const messages = await delivered();
    const second = await handleEvaluate({ store, publisher, config, telemetry }, EVALUATE_AT + 60_000);
    const later = await delivered();
    // Assess
    expect(first.alerts).toBe(1);
    expect(messages).toHaveLength(1);
    const body = bodies(messages[0] as Message);
    const alert = JSON.parse(body.sqs as string) as Alert;
    expect(alert).toMatchObject({ kind: 'alert', count: 20, identity: 'AIDA45XCCHPPLELFTIIM', userName: 'christophe' });
    expect(JSON.parse(body.lambda as string)).toEqual(alert);
    expect(body.email).toContain('AIDA45XCCHPPLELFTIIM');
    expect(body.email).toContain('20');
    expect(body.default).toBe(body.email);
    const chatbot = JSON.parse(body.https as string);
    expect(chatbot).toMatchObject({ version: '1.0', source: 'custom' });
    expect(chatbot.content.description).toContain('christophe');
    expect(second.alerts).toBe(0);
    expect(second.suppressed).toBe(1);
    expect(later).toHaveLength(0);
  });

  it('the published message passes the per-protocol validator', async () => {
    const { config, store, detector } = await setup();
    const sent: Notification[] = [];
    const recorder: AlertPublisher = { publish: async (n) => void sent.push(n) };
    for (const r of reads) await handleIngest(envelope(r), { detector, store, telemetry }, INGEST_AT);
    await handleEvaluate({ store, publisher: recorder, config, telemetry }, EVALUATE_AT);
    const { buildSnsMessage } = await import('../../lib/adapters/notify/render');
    expect(sent).toHaveLength(1);
    expect(validateSnsMessage(buildSnsMessage(sent[0] as Notification, { httpsFormat: 'chatbot' }))).toEqual([]);
  });

  it('counts the same 20 events delivered twice once: still one alert with count 20', async () => {
    const { config, store, detector, publisher } = await setup();
    for (const r of [...reads, ...reads]) await handleIngest(envelope(r), { detector, store, telemetry }, INGEST_AT);
    const report = await handleEvaluate({ store, publisher, config, telemetry }, EVALUATE_AT);
    const messages = await delivered();
    expect(report.alerts).toBe(1);
    expect(messages).toHaveLength(1);
    expect((JSON.parse(bodies(messages[0] as Message).sqs as string) as Alert).count).toBe(20);
  });

  it('accepts an SQS batch of EventBridge events and reports per-message failures only for store errors', async () => {
    const { store, detector } = await setup();
    const batch = {
      Records: [
        ...reads
          .slice(0, 3)
          .map((r, i) => ({ messageId: `m${i}`, body: JSON.stringify(envelope(r)), eventSource: 'aws:sqs' })),
        { messageId: 'garbage', body: '{not json', eventSource: 'aws:sqs' },
      ],
    };
    const result = await handleIngest(batch, { detector, store, telemetry }, INGEST_AT);
    expect(result).toEqual({ batchItemFailures: [] });
  });

  it('publishes once when two or eight evaluators run at the same time', async () => {
    for (const parallel of [2, 8]) {
      const { config, store, detector, publisher } = await setup();
      for (const r of reads) await handleIngest(envelope(r), { detector, store, telemetry }, INGEST_AT);
      const evaluators = Array.from(
        { length: parallel },
        () => new DynamoDbWindowStore(testClient(), { tableName: config.tableName }),
      );
      const reports = await Promise.all(
        evaluators.map((s) => handleEvaluate({ store: s, publisher, config, telemetry }, EVALUATE_AT)),
      );
      const messages = await delivered();
      expect(reports.reduce((n, r) => n + r.alerts, 0)).toBe(1);
      expect(messages).toHaveLength(1);
      expect(store).toBeDefined();
    }
  });

  it('leaves a failed publish pending and delivers it once on a later run, with the same alertId', async () => {
    const { config, store, detector, publisher } = await setup();
    for (const r of reads) await handleIngest(envelope(r), { detector, store, telemetry }, INGEST_AT);
    const failing: AlertPublisher = {
      publish: async () => {
        throw new Error('SNS unavailable');
      },
    };
    // Act: the first run cannot publish; the next one inside the lease must not; the one after it does.
    await expect(handleEvaluate({ store, publisher: failing, config, telemetry }, EVALUATE_AT)).rejects.toThrow(
      /publishing alert/,
    );
    const insideLease = await handleEvaluate({ store, publisher, config, telemetry }, EVALUATE_AT + 60_000);
    const afterLease = await handleEvaluate(
      { store, publisher, config, telemetry },
      EVALUATE_AT + (config.alertLeaseSeconds + 1) * 1000,
    );
    const again = await handleEvaluate(
      { store, publisher, config, telemetry },
      EVALUATE_AT + (config.alertLeaseSeconds + 61) * 1000,
    );
    const messages = await delivered();
    // Assess
    expect(insideLease.alerts + insideLease.retried).toBe(0);
    expect(afterLease.retried).toBe(1);
    expect(again.retried + again.alerts).toBe(0);
    expect(messages).toHaveLength(1);
  });
});

describe('ingest fast path (dynalite + fauxqs)', () => {
  /** A publisher that notes which ingested event (by index) each publish happened during. */
  function noting(publisher: AlertPublisher, at: { index: number }, log: { index: number; alertId: string }[]) {
    return {
      publish: async (n: Notification) => {
        await publisher.publish(n);
        log.push({ index: at.index, alertId: n.alertId });
      },
    };
  }

  it('publishes the alert during ingest of the 20th event, and the scheduled evaluation then publishes nothing', async () => {
    // Prepare
    const { config, store, detector, publisher } = await setup();
    const at = { index: -1 };
    const log: { index: number; alertId: string }[] = [];
    const fastPath = { quiet: new QuietKeys(config), publisher: noting(publisher, at, log), config };
    // Act
    for (const [i, r] of reads.entries()) {
      at.index = i;
      await handleIngest(envelope(r), { detector, store, telemetry, fastPath }, INGEST_AT);
    }
    const duringIngest = await delivered();
    const scheduled = await handleEvaluate({ store, publisher, config, telemetry }, EVALUATE_AT);
    const afterwards = await delivered();
    // The same events without the fast path: the scheduled evaluator's own alert.
    const plain = await setup();
    for (const r of reads) await handleIngest(envelope(r), { ...plain, telemetry }, INGEST_AT);
    const sent: Notification[] = [];
    await handleEvaluate({ ...plain, publisher: { publish: async (n) => void sent.push(n) }, telemetry }, EVALUATE_AT);
    // Assess
    expect(log.map((l) => l.index)).toEqual([reads.length - 1]);
    expect(duringIngest).toHaveLength(1);
    const alert = JSON.parse(bodies(duringIngest[0] as Message).sqs as string) as Alert;
    expect(alert).toMatchObject({ kind: 'alert', count: 20, identity: 'AIDA45XCCHPPLELFTIIM' });
    expect({ alerts: scheduled.alerts, retried: scheduled.retried, suppressed: scheduled.suppressed }).toEqual({
      alerts: 0,
      retried: 0,
      suppressed: 1,
    });
    expect(afterwards).toHaveLength(0);
    // One claim whichever path makes it: the fast path's alert is the one the evaluator would have sent.
    expect(sent.map((n) => n.alertId)).toEqual([alert.alertId]);
  });

  it.each([2, 4])(
    'a burst dealt round-robin over %i containers (own store caches, one table) alerts while ingesting the 20th event, once',
    async (k) => {
      // Prepare
      const { config, detector, publisher } = await setup();
      const at = { index: -1 };
      const log: { index: number; alertId: string }[] = [];
      const containers = Array.from({ length: k }, () => ({
        store: new DynamoDbWindowStore(testClient(), { tableName: config.tableName }),
        fastPath: { quiet: new QuietKeys(config), publisher: noting(publisher, at, log), config },
      }));
      // Act
      for (const [i, r] of reads.entries()) {
        at.index = i;
        const c = containers[i % k] as (typeof containers)[number];
        await handleIngest(envelope(r), { detector, store: c.store, telemetry, fastPath: c.fastPath }, INGEST_AT);
      }
      const duringIngest = await delivered();
      const store = (containers[0] as (typeof containers)[number]).store;
      const scheduled = await handleEvaluate({ store, publisher, config, telemetry }, EVALUATE_AT);
      const afterwards = await delivered();
      // Assess
      expect(log.map((l) => l.index)).toEqual([reads.length - 1]);
      expect(duringIngest).toHaveLength(1);
      expect(scheduled.alerts).toBe(0);
      expect(afterwards).toHaveLength(0);
    },
  );

  it('a failing fast-path publish does not fail ingest; the evaluator delivers the pending alert once', async () => {
    // Prepare
    const { config, store, detector, publisher } = await setup();
    const failing: AlertPublisher = {
      publish: async () => {
        throw new Error('SNS unavailable');
      },
    };
    const fastPath = { quiet: new QuietKeys(config), publisher: failing, config };
    // Act
    const results = [];
    for (const r of reads)
      results.push(await handleIngest(envelope(r), { detector, store, telemetry, fastPath }, INGEST_AT));
    const insideLease = await handleEvaluate({ store, publisher, config, telemetry }, EVALUATE_AT);
    const afterLease = await handleEvaluate(
      { store, publisher, config, telemetry },
      INGEST_AT + (config.alertLeaseSeconds + 1) * 1000,
    );
    const again = await handleEvaluate(
      { store, publisher, config, telemetry },
      INGEST_AT + (config.alertLeaseSeconds + 61) * 1000,
    );
    const messages = await delivered();
    // Assess
    expect(results.reduce((n, r) => n + ((r as { counted?: number }).counted ?? 0), 0)).toBe(20);
    expect(insideLease.alerts + insideLease.retried).toBe(0);
    expect(afterLease.retried).toBe(1);
    expect(again.alerts + again.retried).toBe(0);
    expect(messages).toHaveLength(1);
    expect((JSON.parse(bodies(messages[0] as Message).sqs as string) as Alert).count).toBe(20);
  });
});

describe('DynamoDB faults (proxy in front of dynalite)', () => {
  let proxy: HttpFaultProxy;
  beforeAll(async () => {
    proxy = await startHttpFaultProxy(process.env.AWS_ENDPOINT_URL_DYNAMODB as string);
  });
  afterAll(async () => proxy?.close());
  afterEach(() => {
    proxy.decide = passAll;
  });

  const viaProxy = () => new Client({ endpoint: proxy.endpoint, maxAttempts: 2, retryMode: 'standard' });

  it.each([
    ['connection reset', 'reset' as Decision],
    ['throttling', THROTTLED],
    ['HTTP 500', SERVER_ERROR],
  ])('throws a StoreError on %s, and after the retry nothing is double counted', async (_name, fault) => {
    // Prepare: half the events land, then the store fails mid-ingest
    const { config, store, detector, publisher } = await setup({}, viaProxy());
    const half = reads.slice(0, 10);
    for (const r of half) await handleIngest(envelope(r), { detector, store, telemetry }, INGEST_AT);
    proxy.decide = () => fault;
    // Act
    const failure = await handleIngest(envelope(reads[10]), { detector, store, telemetry }, INGEST_AT).catch(
      (e: unknown) => e,
    );
    proxy.decide = passAll;
    // AWS retries the failed invocation; an at-least-once redelivery of everything comes on top.
    for (const r of reads.slice(10)) await handleIngest(envelope(r), { detector, store, telemetry }, INGEST_AT);
    for (const r of half) await handleIngest(envelope(r), { detector, store, telemetry }, INGEST_AT);
    const report = await handleEvaluate(
      { store: new DynamoDbWindowStore(testClient(), { tableName: config.tableName }), publisher, config, telemetry },
      EVALUATE_AT,
    );
    const messages = await delivered();
    // Assess
    expect(failure).toBeInstanceOf(StoreError);
    expect(report.alerts).toBe(1);
    expect((JSON.parse(bodies(messages[0] as Message).sqs as string) as Alert).count).toBe(20);
  });
});

describe('burst summaries and mutes end to end (dynalite + fauxqs)', () => {
  const MINUTE = 60_000;
  /** The Stratus reads moved by `minutes`, with fresh eventIDs: another burst of the same identity. */
  const shifted = (minutes: number) =>
    reads.map((r) => ({
      ...r,
      eventTime: new Date(Date.parse(r.eventTime) + minutes * MINUTE).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      eventID: `${(r as { eventID?: string }).eventID ?? 'e'}-${minutes}`,
    }));
  const kinds = (messages: Message[]) =>
    messages.map((m) => (JSON.parse(bodies(m).sqs as string) as Notification).kind);
  /** The evaluation after the identity has been quiet for QUIET_MINUTES. */
  const quietAt = (config: RuntimeConfig) => EVALUATE_AT + (config.quietMinutes + 1) * MINUTE;

  it('one alert and one summary per burst with two and eight concurrent evaluators', async () => {
    for (const parallel of [2, 8]) {
      // Prepare
      const { config, store, detector, publisher } = await setup();
      for (const r of reads) await handleIngest(envelope(r), { detector, store, telemetry }, INGEST_AT);
      const evaluators = Array.from(
        { length: parallel },
        () => new DynamoDbWindowStore(testClient(), { tableName: config.tableName }),
      );
      const runAll = (now: number) =>
        Promise.all(evaluators.map((s) => handleEvaluate({ store: s, publisher, config, telemetry }, now)));
      // Act
      const atCrossing = await runAll(EVALUATE_AT);
      const whileRunning = await runAll(EVALUATE_AT + 2 * MINUTE);
      const atQuiet = await runAll(quietAt(config));
      const afterwards = await runAll(quietAt(config) + MINUTE);
      const messages = await delivered();
      // Assess
      expect(atCrossing.reduce((n, r) => n + r.alerts, 0)).toBe(1);
      expect(whileRunning.reduce((n, r) => n + r.alerts + r.summaries, 0)).toBe(0);
      expect(atQuiet.reduce((n, r) => n + r.summaries, 0)).toBe(1);
      expect(afterwards.reduce((n, r) => n + r.summaries + r.alerts, 0)).toBe(0);
      expect(kinds(messages)).toEqual(['alert', 'summary']);
      const [alert, summary] = messages.map((m) => JSON.parse(bodies(m).sqs as string));
      expect(summary).toMatchObject({ kind: 'summary', threadId: alert.alertId, calls: 20, distinctSecrets: 20 });
      expect(bodies(messages[1] as Message).email).toContain('EVERY SECRET READ (20 distinct');
    }
  }, 120_000);

  it('retries a summary whose publish failed, once its lease has ended, with the same id', async () => {
    // Prepare
    const { config, store, detector, publisher } = await setup();
    for (const r of reads) await handleIngest(envelope(r), { detector, store, telemetry }, INGEST_AT);
    await handleEvaluate({ store, publisher, config, telemetry }, EVALUATE_AT);
    await delivered();
    const failing: AlertPublisher = {
      publish: async () => {
        throw new Error('SNS unavailable');
      },
    };
    // Act
    await expect(handleEvaluate({ store, publisher: failing, config, telemetry }, quietAt(config))).rejects.toThrow(
      /publishing alert rsr-summary-/,
    );
    const insideLease = await handleEvaluate({ store, publisher, config, telemetry }, quietAt(config) + MINUTE);
    const afterLease = await handleEvaluate(
      { store, publisher, config, telemetry },
      quietAt(config) + (config.alertLeaseSeconds + 1) * 1000,
    );
    const messages = await delivered();
    // Assess
    expect(insideLease.summaries + insideLease.retried).toBe(0);
    expect(afterLease.retried).toBe(1);
    expect(kinds(messages)).toEqual(['summary']);
  });

  it('a mute silences a burst and is counted; once it has expired the next burst alerts and is summarised', async () => {
    // Prepare: suppression shorter than the gap between the bursts, a mute covering only the first one
    const { config, store, detector, publisher } = await setup({ suppressionMinutes: 20 });
    await store.putMute(
      {
        key: 'AIDA45XCCHPPLELFTIIM',
        until: EVALUATE_AT + 30 * MINUTE,
        reason: 'red-team exercise, ticket SEC-7',
        by: 'arn:aws:sts::111122223333:assumed-role/SecOps/alice',
        createdAt: INGEST_AT - 10 * MINUTE,
      },
      INGEST_AT,
    );
    const other = await setup();
    for (const r of reads) await handleIngest(envelope(r), { detector, store, telemetry }, INGEST_AT);
    for (const r of reads) await handleIngest(envelope(r), { ...other, telemetry }, INGEST_AT);
    // Act
    const muted = await handleEvaluate({ store, publisher, config, telemetry }, EVALUATE_AT);
    const mutedQuiet = await handleEvaluate({ store, publisher, config, telemetry }, quietAt(config));
    const silent = await delivered();
    const otherTable = await handleEvaluate({ ...other, telemetry }, EVALUATE_AT);
    await delivered();
    for (const r of shifted(40))
      await handleIngest(envelope(r), { detector, store, telemetry }, INGEST_AT + 40 * MINUTE);
    const next = await handleEvaluate({ store, publisher, config, telemetry }, EVALUATE_AT + 40 * MINUTE);
    const nextQuiet = await handleEvaluate({ store, publisher, config, telemetry }, quietAt(config) + 40 * MINUTE);
    const messages = await delivered();
    // Assess
    expect(muted).toMatchObject({ alerts: 0, muted: 1 });
    // Still over the threshold in the look-back: suppressed by the muted claim, as after an alert.
    expect(mutedQuiet).toMatchObject({ alerts: 0, summaries: 0, suppressed: 1 });
    expect(silent).toHaveLength(0);
    expect(otherTable.alerts).toBe(1); // the mute lives in its own table's deployment only
    expect(next).toMatchObject({ alerts: 1, muted: 0 });
    expect(nextQuiet.summaries).toBe(1);
    expect(kinds(messages)).toEqual(['alert', 'summary']);
    expect(JSON.parse(bodies(messages[0] as Message).sqs as string)).toMatchObject({ continuation: false });
  });
});
