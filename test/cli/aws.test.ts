/** `rsr create-table` and `rsr fire-drill` through the real bundle against dynalite and fauxqs. */
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { topicRegion } from '../../lib/cli/aws';
import { ConfigError } from '../../lib/engine/errors';
import { rsrAsync as rsr } from '../support/cli';
import { uniqueTableName, useDynalite } from '../support/dynalite';
import { type Fauxqs, startFauxqs } from '../support/fauxqs';

useDynalite();

const awsEnv = () => ({
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_ENDPOINT_URL_DYNAMODB: process.env.AWS_ENDPOINT_URL_DYNAMODB as string,
});

describe('rsr create-table', () => {
  it('creates the table, then exits 0 saying it already exists', async () => {
    // Prepare
    const name = uniqueTableName('cli');
    // Act
    const first = await rsr(['create-table', '--table-name', name], { env: awsEnv() });
    const second = await rsr(['create-table', '--table-name', name], { env: awsEnv() });
    // Assess
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`created: ${name}`);
    expect(first.stderr).toMatch(/TimeToLive|TTL/i); // dynalite rejects UpdateTimeToLive: warned, not fatal
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`already exists: ${name}`);
  });

  it('exits 2 on an invalid table name, naming the option', async () => {
    const r = await rsr(['create-table', '--table-name', 'x'], { env: awsEnv() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--table-name');
  });
});

describe('rsr fire-drill', () => {
  let server: Fauxqs;
  beforeAll(async () => {
    server = await startFauxqs();
  }, 90_000);
  afterAll(async () => server?.stop());

  it('publishes a clearly marked synthetic alert to the topic', async () => {
    // Prepare
    const options = { region: 'us-east-1', endpoint: server.endpoint };
    const sns = new SNSClient(options);
    const sqs = new SQSClient(options);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'rsr-drill' }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'rsr-drill-q' }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }));
    // Act: no AWS_REGION, so the Region can only come from the topic ARN
    const { AWS_REGION: _, ...noRegion } = awsEnv();
    const r = await rsr(['fire-drill', '--topic-arn', TopicArn as string], {
      env: { ...noRegion, AWS_ENDPOINT_URL_SNS: server.endpoint },
    });
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 2 }));
    // Assess
    expect(r.code).toBe(0);
    expect(Messages).toHaveLength(1);
    const body = JSON.parse(Messages[0]?.Body ?? '{}') as { Subject: string; Message: string };
    expect(body.Subject).toMatch(/FIRE-DRILL/);
    const email = (JSON.parse(body.Message) as { email: string }).email;
    expect(email).toMatch(/no secret was read/i);
    sns.destroy();
    sqs.destroy();
  });

  it("with --summary also publishes the marked burst summary, in the alert's thread", async () => {
    // Prepare
    const options = { region: 'us-east-1', endpoint: server.endpoint };
    const sns = new SNSClient(options);
    const sqs = new SQSClient(options);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'rsr-drill-summary' }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'rsr-drill-summary-q' }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }));
    // Act
    const r = await rsr(['fire-drill', '--summary', '--topic-arn', TopicArn as string], {
      env: { ...awsEnv(), AWS_ENDPOINT_URL_SNS: server.endpoint },
    });
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 2, MaxNumberOfMessages: 10 }),
    );
    // Assess
    expect(r.code).toBe(0);
    const bodies = Messages.map((m) => JSON.parse(m.Body ?? '{}') as { Subject: string; Message: string });
    const subjects = bodies.map((b) => b.Subject).sort();
    expect(subjects).toHaveLength(2);
    expect(subjects[0]).toMatch(/^\[RSR\] Burst summary: FIRE-DRILL/);
    const payloads = bodies.map((b) => JSON.parse((JSON.parse(b.Message) as { sqs: string }).sqs));
    const alert = payloads.find((p) => p.kind === 'alert');
    expect(payloads.find((p) => p.kind === 'summary')).toMatchObject({ threadId: alert.threadId });
    sns.destroy();
    sqs.destroy();
  });

  it('exits 2 without a topic, naming the option and the variable', async () => {
    const r = await rsr(['fire-drill'], { env: awsEnv() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--topic-arn');
    expect(r.stderr).toContain('TOPIC_ARN');
    expect(r.stderr).not.toContain('undefined');
  });

  it('exits 2 on a topic ARN that is not one, quoting it', async () => {
    const r = await rsr(['fire-drill', '--topic-arn', 'arn:aws:sqs:us-east-1:123456789012:q'], { env: awsEnv() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--topic-arn="arn:aws:sqs:us-east-1:123456789012:q" is not valid');
  });
});

describe('topicRegion', () => {
  it.each([
    ['arn:aws:sns:us-east-1:123456789012:alerts', 'us-east-1'],
    ['arn:aws:sns:eu-central-1:123456789012:alerts.fifo', 'eu-central-1'],
    ['arn:aws-us-gov:sns:us-gov-west-1:123456789012:alerts', 'us-gov-west-1'],
    ['arn:aws-cn:sns:cn-north-1:123456789012:alerts', 'cn-north-1'],
    ['arn:aws-eusc:sns:eusc-de-east-1:123456789012:alerts', 'eusc-de-east-1'],
  ])('takes the Region from %s', (arn, region) => {
    expect(topicRegion(arn, '--topic-arn')).toBe(region);
  });

  it.each([
    'arn:aws:sqs:us-east-1:123456789012:alerts',
    'arn:aws:sns::123456789012:alerts',
    'arn:aws:sns:us-east-1:123456789012:alerts:6f1c3b2e-subscription',
    'alerts',
  ])('refuses %s, naming where it came from', (arn) => {
    expect(() => topicRegion(arn, 'TOPIC_ARN')).toThrow(ConfigError);
    expect(() => topicRegion(arn, 'TOPIC_ARN')).toThrow(/^TOPIC_ARN=/);
  });
});
