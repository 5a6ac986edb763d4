import { Logger } from '@aws-lambda-powertools/logger';
import { NotFoundException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { buildSnsMessage } from '../../lib/adapters/notify/render';
import { SnsPublisher } from '../../lib/adapters/notify/sns';
import type { Alert } from '../../lib/engine/alert';
import { PublishError } from '../../lib/engine/errors';
import { recordingLogger } from '../support/logger';
import { overflowSummary, stratusAlert } from './fixtures';

const TOPIC = 'arn:aws:sns:us-east-1:111122223333:rapid-secret-retrieval';

describe('SnsPublisher (mocked SDK)', () => {
  const sns = mockClient(SNSClient);
  beforeEach(() => sns.reset());
  afterAll(() => sns.restore());

  it('publishes the built message to the topic and logs the message id', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const logger = recordingLogger();
    const publisher = new SnsPublisher({ client: new SNSClient({}), topicArn: TOPIC, httpsFormat: 'chatbot', logger });
    const alert = stratusAlert();
    // Act
    await publisher.publish(alert);
    // Assess
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    const expected = buildSnsMessage(alert, { httpsFormat: 'chatbot' });
    expect(calls[0]?.args[0].input).toEqual({ TopicArn: TOPIC, ...expected });
    expect(calls[0]?.args[0].input.MessageGroupId).toBeUndefined();
    expect(logger.calls).toEqual([
      {
        level: 'info',
        message: 'sns message published',
        data: expect.objectContaining({ alertId: alert.alertId, kind: 'alert', messageId: 'm-1', truncated: false }),
      },
    ]);
  });

  it('wraps a service error in PublishError that keeps the alertId and the cause', async () => {
    // Prepare
    const cause = new NotFoundException({ message: 'Topic does not exist', $metadata: { httpStatusCode: 404 } });
    sns.on(PublishCommand).rejects(cause);
    const logger = recordingLogger();
    const publisher = new SnsPublisher({ client: new SNSClient({}), topicArn: TOPIC, httpsFormat: 'chatbot', logger });
    // Act
    const error = await publisher.publish(overflowSummary()).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(PublishError);
    expect(error).toMatchObject({ name: 'PublishError', alertId: overflowSummary().alertId, cause });
    expect(logger.calls).toEqual([
      {
        level: 'error',
        message: 'sns publish failed',
        data: expect.objectContaining({ errorName: 'NotFoundException', httpStatusCode: 404 }),
      },
    ]);
  });

  it('wraps a network-level failure too', async () => {
    // Prepare
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    sns.on(PublishCommand).rejects(cause);
    const publisher = new SnsPublisher({ client: new SNSClient({}), topicArn: TOPIC, httpsFormat: 'chatbot' });
    // Act / Assess
    await expect(publisher.publish(stratusAlert())).rejects.toMatchObject({ name: 'PublishError', cause });
  });

  it('lets a rendering bug through unchanged instead of calling it a delivery failure', async () => {
    // Prepare
    const broken = { ...stratusAlert(), secrets: undefined } as unknown as Alert;
    const publisher = new SnsPublisher({ client: new SNSClient({}), topicArn: TOPIC, httpsFormat: 'chatbot' });
    // Act
    const error = await publisher.publish(broken).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(TypeError);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('sets a message group and deduplicates on the alertId for FIFO topics', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-2' });
    const publisher = new SnsPublisher({
      client: new SNSClient({}),
      topicArn: `${TOPIC}.fifo`,
      httpsFormat: 'alert-json',
    });
    // Act
    await publisher.publish(stratusAlert());
    // Assess
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.MessageGroupId).toBe('rapid-secret-retrieval');
    expect(input?.MessageDeduplicationId).toBe(stratusAlert().alertId);
  });

  it('accepts a Powertools Logger', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-3' });
    const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
    const publisher = new SnsPublisher({ client: new SNSClient({}), topicArn: TOPIC, httpsFormat: 'chatbot', logger });
    // Act / Assess
    await expect(publisher.publish(stratusAlert())).resolves.toBeUndefined();
  });
});
