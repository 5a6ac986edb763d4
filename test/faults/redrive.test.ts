/**
 * `rsr redrive` against fauxqs (SQS) and dynalite: a dead-letter queue holding both message shapes (EventBridge events
 * from the rule or buffer dead-letter queue, Lambda on-failure invocation records), events the Lambda had already
 * counted, a failed call, a tamper notice and garbage. Ingested messages are deleted, the rest stay (visible again)
 * and are listed; redriving twice counts nothing twice; a store error stops the run and leaves the rest in place.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDbWindowStore } from '../../lib/adapters/store/dynamodb';
import type { RuntimeConfig } from '../../lib/config/load';
import { Detector } from '../../lib/engine/detector';
import { handleEvaluate } from '../../lib/usecases/evaluate';
import { classifyBody, type RedriveReport, redrive } from '../../lib/usecases/redrive';
import { rsrAsync } from '../support/cli';
import { freshTable, testClient, useDynalite } from '../support/dynalite';
import { type HttpFaultProxy, passAll, startHttpFaultProxy } from '../support/fault-proxy';
import { type Fauxqs, startFauxqs } from '../support/fauxqs';
import { envelope, readFixture, recordingTelemetry } from '../support/hostile';
import { BASE_TIME, secretsRecord, testConfig } from '../support/records';
import { burst, EVALUATE_AT, eventsPerKey, INGEST_AT, RecordingPublisher, SHORT_LOOK_BACK } from './support';

useDynalite();

const REGION = 'us-east-1';
const IDENTITY = 'AIDAREDRIVE000000001';
let fauxqs: Fauxqs;
let sqs: SQSClient;
let dynamoProxy: HttpFaultProxy;
let queues = 0;

beforeAll(async () => {
  fauxqs = await startFauxqs();
  sqs = new SQSClient({ region: REGION, endpoint: fauxqs.endpoint, maxAttempts: 1 });
  dynamoProxy = await startHttpFaultProxy(process.env.AWS_ENDPOINT_URL_DYNAMODB as string);
}, 90_000);

afterAll(async () => {
  sqs?.destroy();
  await dynamoProxy?.close();
  await fauxqs?.stop();
});

afterEach(() => {
  dynamoProxy.decide = passAll;
});

const ruleAttributes = readFixture<Record<string, MessageAttributeValue>>('redrive', 'rule-dlq-attributes.json');
const tamperNotice = readFixture<{ records: { record: Record<string, unknown> }[] }>('deploy', 'tamper-events.json')
  .records[0]?.record as Record<string, unknown>;

function invocationRecord(detail: unknown): string {
  const record = readFixture<{ requestPayload: Record<string, unknown> }>('redrive', 'lambda-on-failure.json');
  record.requestPayload.detail = detail;
  return JSON.stringify(record);
}

interface Outgoing {
  readonly body: string;
  readonly attributes?: Record<string, MessageAttributeValue>;
}

async function queueWith(messages: readonly Outgoing[]): Promise<string> {
  const { QueueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: `rsr-dlq-${++queues}` }));
  for (let i = 0; i < messages.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: messages.slice(i, i + 10).map((m, n) => ({
          Id: `e${i + n}`,
          MessageBody: m.body,
          MessageAttributes: m.attributes,
        })),
      }),
    );
  }
  return QueueUrl;
}

async function visibleMessages(queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? -1);
}

async function bodiesIn(queueUrl: string): Promise<string[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      VisibilityTimeout: 0,
    }),
  );
  return Messages.map((m) => m.Body ?? '').sort();
}

/**
 * The outage: 20 reads by one identity. The Lambda counted reads 0-4 before it broke; reads 5-14 sit in the rule
 * dead-letter queue (with 0 and 1 again: EventBridge had also retried them), reads 15-19 in the on-failure queue. The
 * queue also holds a failed call (ingested, skipped as failed-call), a tamper notice and two garbage bodies.
 */
async function outage(config: RuntimeConfig) {
  const reads = burst([IDENTITY], 20);
  const detector = new Detector(config);
  await detector.ingest(
    new DynamoDbWindowStore(testClient(), { tableName: config.tableName }),
    reads.slice(0, 5),
    INGEST_AT,
  );
  const failedCall = secretsRecord({
    principalId: IDENTITY,
    eventId: 'denied-1',
    eventTimeMs: BASE_TIME,
    errorCode: 'AccessDenied',
  });
  const messages: Outgoing[] = [
    ...[...reads.slice(5, 15), ...reads.slice(0, 2)].map((r) => ({
      body: JSON.stringify(envelope(r)),
      attributes: ruleAttributes,
    })),
    ...reads.slice(15).map((r) => ({ body: invocationRecord(r) })),
    { body: JSON.stringify(envelope(failedCall)), attributes: ruleAttributes },
    { body: JSON.stringify(envelope(tamperNotice)), attributes: ruleAttributes },
    { body: 'not json at all' },
    { body: '{"hello":"world"}' },
  ];
  return { detector, queueUrl: await queueWith(messages), total: messages.length };
}

async function setup() {
  const config = testConfig({ tableName: await freshTable(testClient(), 'redrive'), ...SHORT_LOOK_BACK });
  return { config, ...(await outage(config)) };
}

const run = (
  options: { queueUrl: string; detector: Detector; config: RuntimeConfig },
  extra: Partial<Parameters<typeof redrive>[0]> = {},
): Promise<RedriveReport> =>
  redrive({
    sqs,
    queueUrl: options.queueUrl,
    detector: options.detector,
    store: new DynamoDbWindowStore(testClient(), { tableName: options.config.tableName }),
    dryRun: false,
    max: undefined,
    waitSeconds: 0,
    visibilityTimeoutSeconds: 60,
    clock: () => INGEST_AT,
    ...extra,
  });

describe('classifyBody', () => {
  it('recognises the two dead-letter shapes and names what it cannot use', () => {
    // Prepare
    const event = envelope(secretsRecord());
    // Act / Assess
    expect(classifyBody(JSON.stringify(event))).toMatchObject({ ok: true, shape: 'eventbridge-event' });
    expect(classifyBody(invocationRecord({ x: 1 }))).toMatchObject({
      ok: true,
      shape: 'lambda-invocation-record',
      detail: 'RetriesExhausted, Unhandled',
    });
    expect(
      classifyBody('{"requestContext":{},"requestPayload":{"Records":[{"eventSource":"aws:sqs","body":"{}"}]}}'),
    ).toMatchObject({ ok: true, documents: [{}] });
    expect(classifyBody('nope')).toEqual({ ok: false, reason: 'unparsable-body' });
    expect(classifyBody(undefined)).toEqual({ ok: false, reason: 'unparsable-body' });
    expect(classifyBody('[1,2]')).toEqual({ ok: false, reason: 'unrecognised-shape' });
    expect(classifyBody('{"Records":[]}')).toEqual({ ok: false, reason: 'unrecognised-shape' });
  });
});

describe('redrive against fauxqs and dynalite', () => {
  it('moves both shapes, counts each read once, leaves garbage and the tamper notice in the queue; one alert follows', async () => {
    // Prepare
    const { config, detector, queueUrl, total } = await setup();
    // Act
    const dry = await run({ config, detector, queueUrl }, { dryRun: true, store: undefined });
    const afterDry = await visibleMessages(queueUrl);
    const countsAfterDry = await eventsPerKey(new DynamoDbWindowStore(testClient(), { tableName: config.tableName }), [
      IDENTITY,
    ]);
    const report = await run({ config, detector, queueUrl });
    const second = await run({ config, detector, queueUrl });
    const left = await bodiesIn(queueUrl);
    const publisher = new RecordingPublisher();
    const { telemetry } = recordingTelemetry();
    await handleEvaluate(
      { store: new DynamoDbWindowStore(testClient(), { tableName: config.tableName }), publisher, config, telemetry },
      EVALUATE_AT,
    );
    // Assess: the dry run touched nothing.
    expect({ received: dry.received, moved: dry.moved, left: dry.left, qualifying: dry.records.qualifying }).toEqual({
      received: total,
      moved: 18,
      left: 3,
      qualifying: 17,
    });
    expect(afterDry).toBe(total);
    expect(countsAfterDry).toEqual({ [IDENTITY]: 5 });
    // The real run: 12 + 5 reads and the failed call moved; two reads were duplicates; three messages stay.
    expect(report).toMatchObject({
      received: total,
      moved: 18,
      left: 3,
      deleteFailures: 0,
      stoppedBy: undefined,
      byShape: { 'eventbridge-event': 14, 'lambda-invocation-record': 5, unrecognised: 2 },
      leftByReason: { 'unparsable-body': 1, 'unrecognised-shape': 1, 'no-secret-read': 1 },
    });
    expect(report.records).toMatchObject({ received: 18, qualifying: 17, counted: 15, duplicates: 2, late: 0 });
    expect(report.records.skipped['failed-call']).toBe(1);
    expect(report.leftMessages.find((m) => m.reason === 'no-secret-read')?.detail).toBe(
      ruleAttributes.RULE_ARN?.StringValue,
    );
    // A second run finds only what was left, and counts nothing.
    expect({ received: second.received, moved: second.moved, left: second.left }).toEqual({
      received: 3,
      moved: 0,
      left: 3,
    });
    expect(left).toEqual([JSON.stringify(envelope(tamperNotice)), 'not json at all', '{"hello":"world"}'].sort());
    expect(
      await eventsPerKey(new DynamoDbWindowStore(testClient(), { tableName: config.tableName }), [IDENTITY]),
    ).toEqual({
      [IDENTITY]: 20,
    });
    expect(publisher.alerts().map((a) => [a.identity, a.count])).toEqual([[IDENTITY, 20]]);
  });

  it('stops at a store error, deletes only what it ingested, and a later run moves the rest', async () => {
    // Prepare
    const { config, detector, queueUrl, total } = await setup();
    let writes = 0;
    dynamoProxy.decide = (r) => (r.operation === 'UpdateItem' && ++writes > 4 ? { status: 500, body: '{}' } : 'pass');
    const failingStore = new DynamoDbWindowStore(
      new DynamoDBClient({ endpoint: dynamoProxy.endpoint, maxAttempts: 1 }),
      {
        tableName: config.tableName,
      },
    );
    // Act
    const broken = await run({ config, detector, queueUrl }, { store: failingStore });
    const remaining = await visibleMessages(queueUrl);
    dynamoProxy.decide = passAll;
    const recovered = await run({ config, detector, queueUrl });
    // Assess
    expect(broken.stoppedBy).toMatch(/store operation record failed/);
    expect(broken.leftByReason['store-error']).toBe(1);
    expect(broken.moved).toBeGreaterThan(0);
    expect(remaining).toBe(total - broken.moved);
    expect(recovered.moved + broken.moved).toBe(18);
    expect(
      await eventsPerKey(new DynamoDbWindowStore(testClient(), { tableName: config.tableName }), [IDENTITY]),
    ).toEqual({
      [IDENTITY]: 20,
    });
  });

  it('handles at most --max messages per run', async () => {
    // Prepare
    const { config, detector, queueUrl, total } = await setup();
    // Act
    const first = await run({ config, detector, queueUrl }, { max: 4 });
    // Assess
    expect(first.received).toBe(4);
    expect(await visibleMessages(queueUrl)).toBe(total - first.moved);
  });

  it('reports late events: counted, but older than the lateness allowance', async () => {
    // Prepare
    const { config, detector, queueUrl } = await setup();
    // Act: the redrive happens a day after the outage.
    const report = await run({ config, detector, queueUrl }, { clock: () => INGEST_AT + 86_400_000 });
    // Assess
    expect(report.records.late).toBe(report.records.counted);
    expect(report.records.counted).toBe(15);
  });
});

describe('rsr redrive (the bundled CLI)', () => {
  const awsEnv = (extra: Record<string, string> = {}) => ({
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: process.env.AWS_ENDPOINT_URL_DYNAMODB as string,
    ...extra,
  });

  it('moves what it can, lists what it leaves, and exits 1 because messages stay', async () => {
    // Prepare
    const { config, queueUrl } = await setup();
    // Act
    const dry = await rsrAsync(['redrive', '--queue-url', queueUrl, '--dry-run', '--wait-seconds', '0'], {
      env: awsEnv(),
    });
    const real = await rsrAsync(['redrive', '--queue-url', queueUrl, '--wait-seconds', '0', '--json'], {
      env: awsEnv({ TABLE_NAME: config.tableName }),
    });
    // Assess
    expect(dry.stderr).toBe('');
    expect(dry.stdout).toMatch(/dry run/);
    expect(dry.stdout).toMatch(/would move\s+18/);
    expect(dry.code).toBe(1);
    const report = JSON.parse(real.stdout) as RedriveReport;
    expect({ moved: report.moved, left: report.left, counted: report.records.counted }).toEqual({
      moved: 18,
      left: 3,
      counted: 15,
    });
    expect(real.stderr).toMatch(/left messages:/);
    expect(real.code).toBe(1);
  });

  it.each([
    [['redrive', '--queue-url', 'http://127.0.0.1:1/q'], /--table-name/],
    [['redrive', '--queue-url', 'http://127.0.0.1:1/q', '--table-name', 't1x', '--max', '0'], /--max="0"/],
    [
      ['redrive', '--queue-url', 'http://127.0.0.1:1/q', '--table-name', 't1x', '--wait-seconds', '30'],
      /--wait-seconds/,
    ],
    [['redrive'], /--queue-url/],
  ])('rejects %j with exit 2, naming the option', async (args, message) => {
    // Act
    const r = await rsrAsync(args, { env: awsEnv() });
    // Assess
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('fails cleanly (exit 1, no stack trace) when the queue cannot be reached', async () => {
    // Act
    const r = await rsrAsync(
      ['redrive', '--queue-url', 'http://127.0.0.1:1/000000000000/none', '--table-name', 'abc'],
      {
        env: awsEnv({ AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:1' }),
      },
    );
    // Assess
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^rsr: redrive .* failed: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
