/**
 * SNS faults on the real path: dynalite for the store, fauxqs for SNS with an SQS subscriber, and an HTTP proxy in
 * front of fauxqs that answers 5xx, resets connections, or lets a publish through and loses its answer; plus an
 * endpoint where nothing listens. A failed publish leaves the alert pending: it is retried once its lease has ended
 * and delivered once, or twice with the same alertId when SNS took it but the evaluator never learned it did.
 */
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
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
import { DynamoDbWindowStore } from '../../lib/adapters/store/dynamodb';
import type { Alert } from '../../lib/engine/alert';
import { Detector } from '../../lib/engine/detector';
import { PublishError } from '../../lib/engine/errors';
import { handleEvaluate } from '../../lib/usecases/evaluate';
import { freshTable, testClient, useDynalite } from '../support/dynalite';
import { type Decision, type HttpFaultProxy, passAll, startHttpFaultProxy } from '../support/fault-proxy';
import { type Fauxqs, startFauxqs } from '../support/fauxqs';
import { recordingTelemetry } from '../support/hostile';
import { testConfig } from '../support/records';
import { burst, deliverUntilDone, EVALUATE_AT, failingStore, identities, messagesOf, SHORT_LOOK_BACK } from './support';

useDynalite();

const { telemetry } = recordingTelemetry();
const REGION = 'us-east-1';
let fauxqs: Fauxqs;
let proxy: HttpFaultProxy;
let sqs: SQSClient;
let topicArn: string;
let queueUrl: string;
/** A port on 127.0.0.1 where nothing listens (bound, then closed). */
let deadEndpoint: string;

beforeAll(async () => {
  fauxqs = await startFauxqs();
  proxy = await startHttpFaultProxy(fauxqs.endpoint);
  const direct = { region: REGION, endpoint: fauxqs.endpoint, maxAttempts: 1 };
  const sns = new SNSClient(direct);
  sqs = new SQSClient(direct);
  ({ TopicArn: topicArn = '' } = await sns.send(new CreateTopicCommand({ Name: 'rsr-faults' })));
  ({ QueueUrl: queueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: 'rsr-faults-subscriber' })));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }));
  sns.destroy();
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  deadEndpoint = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
}, 90_000);

afterAll(async () => {
  sqs?.destroy();
  await proxy?.close();
  await fauxqs?.stop();
});

beforeEach(async () => {
  proxy.decide = passAll;
  await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
});

/**
 * Alerts the subscriber queue received (fauxqs delivers the whole per-protocol document; `sqs` is the alert). fauxqs
 * enqueues to subscribers before it answers Publish, so short polls until an empty answer see every delivery.
 */
async function deliveredAlerts(): Promise<Alert[]> {
  const out: Alert[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return out;
    for (const m of Messages as Message[]) {
      const document = JSON.parse((JSON.parse(m.Body ?? '{}') as { Message: string }).Message) as { sqs: string };
      out.push(JSON.parse(document.sqs) as Alert);
    }
  }
}

function publisherVia(endpoint: string, config: ReturnType<typeof testConfig>): SnsPublisher {
  return new SnsPublisher({
    client: new SNSClient({ region: REGION, endpoint, maxAttempts: 1 }),
    topicArn,
    httpsFormat: config.httpsFormat,
  });
}

async function ingested(prefix: string) {
  const keys = identities(1, prefix);
  const config = testConfig({ tableName: await freshTable(testClient(), 'sns-faults'), topicArn, ...SHORT_LOOK_BACK });
  const store = new DynamoDbWindowStore(testClient(), { tableName: config.tableName });
  await deliverUntilDone(messagesOf(burst(keys)), { detector: new Detector(config), store });
  return { keys, config, store };
}

const FAULTS: [string, Decision | 'unreachable'][] = [
  [
    'HTTP 500 from SNS',
    { status: 500, body: '<ErrorResponse><Error><Code>InternalFailure</Code></Error></ErrorResponse>' },
  ],
  [
    'HTTP 400 throttling from SNS',
    { status: 400, body: '<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>' },
  ],
  ['connection reset by SNS', 'reset'],
  ['no SNS endpoint listening', 'unreachable'],
];

describe('SNS faults', () => {
  it.each(FAULTS)(
    '%s: the run fails, the alert stays pending, and it is delivered once after the lease',
    async (_n, fault) => {
      // Prepare
      const { keys, config, store } = await ingested(`AIDASNS${FAULTS.findIndex(([, f]) => f === fault)}`);
      const endpoint = fault === 'unreachable' ? deadEndpoint : proxy.endpoint;
      if (fault !== 'unreachable') proxy.decide = () => fault;
      // Act
      const failure = await handleEvaluate(
        { store, publisher: publisherVia(endpoint, config), config, telemetry },
        EVALUATE_AT,
      ).catch((e: unknown) => e);
      proxy.decide = passAll;
      const healthy = publisherVia(proxy.endpoint, config);
      const insideLease = await handleEvaluate({ store, publisher: healthy, config, telemetry }, EVALUATE_AT + 60_000);
      const afterLease = await handleEvaluate(
        { store, publisher: healthy, config, telemetry },
        EVALUATE_AT + (config.alertLeaseSeconds + 1) * 1000,
      );
      const alerts = await deliveredAlerts();
      // Assess
      expect(failure).toBeInstanceOf(PublishError);
      expect(insideLease.alerts + insideLease.retried).toBe(0);
      expect(afterLease.retried).toBe(1);
      expect(alerts.map((a) => a.identity)).toEqual(keys);
    },
  );

  it('SNS took the message but its answer was lost: delivered twice, with the same alertId', async () => {
    // Prepare
    const { keys, config, store } = await ingested('AIDASNSLOST');
    proxy.decide = () => 'drop-response';
    // Act
    const failure = await handleEvaluate(
      { store, publisher: publisherVia(proxy.endpoint, config), config, telemetry },
      EVALUATE_AT,
    ).catch((e: unknown) => e);
    proxy.decide = passAll;
    const healthy = publisherVia(proxy.endpoint, config);
    const afterLease = EVALUATE_AT + (config.alertLeaseSeconds + 1) * 1000;
    await handleEvaluate({ store, publisher: healthy, config, telemetry }, afterLease);
    await handleEvaluate({ store, publisher: healthy, config, telemetry }, afterLease + 60_000);
    const alerts = await deliveredAlerts();
    // Assess
    expect(failure).toBeInstanceOf(PublishError);
    expect(alerts.map((a) => a.identity)).toEqual([...keys, ...keys]);
    expect(alerts[0]?.alertId).toBe(alerts[1]?.alertId);
  });

  it('the evaluator died between the publish and marking it sent: the duplicate carries the same alertId', async () => {
    // Prepare
    const { keys, config, store } = await ingested('AIDASNSCRASH');
    const dying = failingStore(store, { markSent: { when: 'before', times: 1 } });
    const publisher = publisherVia(proxy.endpoint, config);
    // Act
    const failure = await handleEvaluate({ store: dying, publisher, config, telemetry }, EVALUATE_AT).catch(
      (e: unknown) => e,
    );
    const afterLease = EVALUATE_AT + (config.alertLeaseSeconds + 1) * 1000;
    await handleEvaluate({ store, publisher, config, telemetry }, EVALUATE_AT + 60_000);
    await handleEvaluate({ store, publisher, config, telemetry }, afterLease);
    await handleEvaluate({ store, publisher, config, telemetry }, afterLease + 60_000);
    const alerts = await deliveredAlerts();
    // Assess
    expect(failure).toBeInstanceOf(Error);
    expect(alerts.map((a) => a.identity)).toEqual([...keys, ...keys]);
    expect(new Set(alerts.map((a) => a.alertId)).size).toBe(1);
  });
});
