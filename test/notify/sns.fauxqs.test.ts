/**
 * SnsPublisher against a real local SNS/SQS server (fauxqs). fauxqs ignores MessageStructure: an SQS subscriber
 * receives the whole JSON document where AWS would deliver only its `sqs` value, so the test picks the per-protocol
 * bodies out of the document and checks each one, and runs validateSnsMessage for what fauxqs does not check.
 */
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { ChatbotNotification } from '../../lib/adapters/notify/render';
import { SnsPublisher } from '../../lib/adapters/notify/sns';
import { validateSnsMessage } from '../../lib/adapters/notify/validate';
import type { Alert } from '../../lib/engine/alert';
import { PublishError } from '../../lib/engine/errors';
import { type Fauxqs, startFauxqs } from '../support/fauxqs';
import { hostileAlert, overflowSummary, protocolBodies, stratusAlert } from './fixtures';

const REGION = 'us-east-1';

describe('SnsPublisher with fauxqs', () => {
  let server: Fauxqs;
  let sns: SNSClient;
  let sqs: SQSClient;
  let topicArn: string;
  let rawQueueUrl: string;
  let envelopeQueueUrl: string;

  async function queueWithSubscription(name: string, raw: boolean): Promise<string> {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: Attributes?.QueueArn,
        Attributes: raw ? { RawMessageDelivery: 'true' } : {},
      }),
    );
    return QueueUrl as string;
  }

  async function receiveOne(queueUrl: string): Promise<Message> {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 2,
        MessageAttributeNames: ['All'],
      }),
    );
    expect(Messages).toHaveLength(1);
    return Messages?.[0] as Message;
  }

  beforeAll(async () => {
    server = await startFauxqs();
    const config = { region: REGION, endpoint: server.endpoint, maxAttempts: 1 };
    sns = new SNSClient(config);
    sqs = new SQSClient(config);
    ({ TopicArn: topicArn = '' } = await sns.send(new CreateTopicCommand({ Name: 'rsr-alerts' })));
    rawQueueUrl = await queueWithSubscription('rsr-raw', true);
    envelopeQueueUrl = await queueWithSubscription('rsr-envelope', false);
  }, 90_000);

  afterAll(async () => {
    sns?.destroy();
    sqs?.destroy();
    await server?.stop();
  });

  it('delivers the email text, the chatbot notification and the exact alert JSON', async () => {
    // Prepare
    const alert = stratusAlert();
    const publisher = new SnsPublisher({ client: sns, topicArn, httpsFormat: 'chatbot' });
    // Act
    await publisher.publish(alert);
    // Assess
    const raw = await receiveOne(rawQueueUrl);
    const bodies = protocolBodies(raw.Body as string);
    expect(validateSnsMessage({ Message: raw.Body, MessageStructure: 'json' })).toEqual([]);
    expect(bodies.email).toContain('christophe: 20 secret reads, within a 10-minute window');
    expect(bodies.email).toContain('WHAT TO CHECK NEXT');
    expect(bodies.default).toBe(bodies.email);
    const chat = JSON.parse(bodies.https as string) as ChatbotNotification;
    expect(chat).toMatchObject({ version: '1.0', source: 'custom', id: alert.alertId });
    expect(chat.content.description).toContain('`christophe`');
    expect(JSON.parse(bodies.sqs as string)).toEqual(alert);
    expect(JSON.parse(bodies.lambda as string)).toEqual(alert);
    // Raw delivery turns the SNS message attributes into SQS message attributes.
    expect(raw.MessageAttributes?.kind?.StringValue).toBe('alert');
    expect(raw.MessageAttributes?.identity?.StringValue).toBe(alert.identity);
    expect(raw.MessageAttributes?.accountId?.StringValue).toBe(alert.accountId);

    const envelope = JSON.parse((await receiveOne(envelopeQueueUrl)).Body as string) as {
      Type: string;
      Subject: string;
      Message: string;
      MessageAttributes: Record<string, { Type: string; Value: string }>;
    };
    expect(envelope.Type).toBe('Notification');
    expect(envelope.Subject).toBe('[RSR] Rapid secret retrieval: christophe (20 secret reads in 10 min)');
    expect(envelope.Message).toBe(raw.Body);
    expect(envelope.MessageAttributes.severity).toEqual({ Type: 'String', Value: 'medium' });
  });

  it('round-trips hostile values exactly in the sqs body and defanged in the human bodies', async () => {
    // Prepare
    const alert = hostileAlert();
    const publisher = new SnsPublisher({ client: sns, topicArn, httpsFormat: 'chatbot' });
    // Act
    await publisher.publish(alert);
    // Assess
    const raw = await receiveOne(rawQueueUrl);
    await receiveOne(envelopeQueueUrl);
    const bodies = protocolBodies(raw.Body as string);
    expect(JSON.parse(bodies.sqs as string) as Alert).toEqual(alert);
    expect(bodies.email).not.toMatch(/<!|<@|<http/);
    expect(JSON.parse(bodies.https as string).content.description).not.toMatch(/<!|<@|<http/);
    expect(raw.MessageAttributes?.identity?.StringValue).toBe(alert.identity);
  });

  it('delivers the alert JSON to https subscribers in alert-json format', async () => {
    // Prepare
    const summary = overflowSummary();
    const publisher = new SnsPublisher({ client: sns, topicArn, httpsFormat: 'alert-json' });
    // Act
    await publisher.publish(summary);
    // Assess
    const raw = await receiveOne(rawQueueUrl);
    await receiveOne(envelopeQueueUrl);
    const bodies = protocolBodies(raw.Body as string);
    expect(JSON.parse(bodies.https as string)).toEqual(summary);
    expect(bodies.email).toContain('MAX_ALERTS_PER_RUN (100)');
    expect(raw.MessageAttributes?.kind?.StringValue).toBe('overflow');
  });

  it('fails with PublishError carrying the service error for a topic that does not exist', async () => {
    // Prepare
    const publisher = new SnsPublisher({
      client: sns,
      topicArn: 'arn:aws:sns:us-east-1:000000000000:no-such-topic',
      httpsFormat: 'chatbot',
    });
    // Act
    const error = (await publisher.publish(stratusAlert()).catch((e: unknown) => e)) as PublishError;
    // Assess
    expect(error).toBeInstanceOf(PublishError);
    expect(error.alertId).toBe(stratusAlert().alertId);
    expect(error.cause).toBeInstanceOf(Error);
    expect((error.cause as Error).name).toBe('NotFoundException');
  });

  it('reaches the endpoint given by AWS_ENDPOINT_URL_SNS without an explicit endpoint (SDK v3 behaviour)', async () => {
    // Prepare
    const saved = process.env.AWS_ENDPOINT_URL_SNS;
    process.env.AWS_ENDPOINT_URL_SNS = server.endpoint;
    const client = new SNSClient({ region: REGION, maxAttempts: 1 });
    // Hermetic even if the SDK ignored the variable: refuse to send anywhere but the local server.
    const hosts: string[] = [];
    client.middlewareStack.add(
      (next) => async (args) => {
        const hostname = (args.request as { hostname?: string }).hostname ?? '';
        hosts.push(hostname);
        if (hostname !== '127.0.0.1') throw new Error(`refusing to send to ${hostname}`);
        return next(args);
      },
      { step: 'finalizeRequest', name: 'onlyLocalhost' },
    );
    const publisher = new SnsPublisher({ client, topicArn, httpsFormat: 'chatbot' });
    try {
      // Act
      await publisher.publish(stratusAlert());
      // Assess
      expect(JSON.parse(protocolBodies((await receiveOne(rawQueueUrl)).Body as string).sqs as string)).toEqual(
        stratusAlert(),
      );
      await receiveOne(envelopeQueueUrl);
      expect(hosts).toEqual(['127.0.0.1']);
    } finally {
      client.destroy();
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_SNS;
      else process.env.AWS_ENDPOINT_URL_SNS = saved;
    }
  });
});

describe('startFauxqs', () => {
  it('fails with a clear message when the server does not answer in time', async () => {
    // Act
    const error = (await startFauxqs({ readyTimeoutMs: 1 }).catch((e: unknown) => e)) as Error;
    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(/^fauxqs did not start: no answer within 1 ms/);
  });
});
