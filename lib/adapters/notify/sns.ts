/**
 * The AWS publisher: one SNS Publish per notification. The caller builds the SNSClient once (module scope in the
 * Lambda); an endpoint override comes only from the SDK's own AWS_ENDPOINT_URL_SNS / AWS_ENDPOINT_URL handling.
 */
import { createHash } from 'node:crypto';
import { PublishCommand, type PublishCommandInput, type SNSClient } from '@aws-sdk/client-sns';
import type { HttpsFormat } from '../../config/load';
import type { Notification } from '../../engine/alert';
import { PublishError } from '../../engine/errors';
import type { Logger } from '../../engine/logger';
import type { AlertPublisher } from '../../engine/ports';
import { buildSnsMessage } from './render';
import { validateSnsMessage } from './validate';

export interface SnsPublisherOptions {
  readonly client: SNSClient;
  readonly topicArn: string;
  readonly httpsFormat: HttpsFormat;
  readonly logger?: Logger;
}

/** SNS FIFO: deduplication ids are at most 128 characters of [A-Za-z0-9] and punctuation. */
const FIFO_DEDUP_ID = /^[\x21-\x7e]{1,128}$/;

function deduplicationId(alertId: string): string {
  return FIFO_DEDUP_ID.test(alertId) ? alertId : createHash('sha256').update(alertId).digest('hex');
}

function errorSummary(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const meta = (error as { $metadata?: { httpStatusCode?: number; requestId?: string } }).$metadata;
  return {
    errorName: error.name,
    errorMessage: error.message,
    httpStatusCode: meta?.httpStatusCode,
    requestId: meta?.requestId,
  };
}

export class SnsPublisher implements AlertPublisher {
  private readonly client: SNSClient;
  private readonly topicArn: string;
  private readonly httpsFormat: HttpsFormat;
  private readonly logger: Logger | undefined;
  private readonly fifo: boolean;

  constructor(options: SnsPublisherOptions) {
    this.client = options.client;
    this.topicArn = options.topicArn;
    this.httpsFormat = options.httpsFormat;
    this.logger = options.logger;
    this.fifo = options.topicArn.endsWith('.fifo');
  }

  /** Resolves once SNS accepted the message; SDK and service failures reject with PublishError (cause kept). */
  async publish(notification: Notification): Promise<void> {
    // Rendering errors are bugs, not delivery failures: they propagate unchanged.
    const message = buildSnsMessage(notification, { httpsFormat: this.httpsFormat });
    const problems = validateSnsMessage(message, { httpsFormat: this.httpsFormat });
    if (problems.length > 0) {
      // Publish anyway: SNS is the authority, and a rejected message fails below with the service's reason.
      this.logger?.warn('sns message failed local validation', { alertId: notification.alertId, problems });
    }
    const input: PublishCommandInput = {
      TopicArn: this.topicArn,
      ...message,
      MessageAttributes: { ...message.MessageAttributes },
      // FIFO topics need a group and a deduplication id; the alertId is exactly the dedup key we want.
      ...(this.fifo
        ? { MessageGroupId: notification.rule, MessageDeduplicationId: deduplicationId(notification.alertId) }
        : {}),
    };
    let messageId: string | undefined;
    try {
      const output = await this.client.send(new PublishCommand(input));
      messageId = output.MessageId;
    } catch (error) {
      this.logger?.error('sns publish failed', {
        alertId: notification.alertId,
        kind: notification.kind,
        topicArn: this.topicArn,
        ...errorSummary(error),
      });
      throw new PublishError(notification.alertId, { cause: error });
    }
    this.logger?.info('sns message published', {
      alertId: notification.alertId,
      kind: notification.kind,
      topicArn: this.topicArn,
      messageId,
      bytes: Buffer.byteLength(message.Message, 'utf8'),
      truncated: message.MessageAttributes.truncated !== undefined,
    });
  }
}
