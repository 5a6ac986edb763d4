/**
 * Evaluator Lambda, on a schedule (every minute by default): thresholds, suppression, cap -> SNS.
 * Wiring only; the logic is lib/runtime/evaluate.ts and lib/engine/evaluate.ts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { loadConfig } from '../../lib/config';
import { ConfigError } from '../../lib/errors';
import { SnsPublisher } from '../../lib/notify/sns';
import { handleEvaluate } from '../../lib/runtime/evaluate';
import { createTelemetry } from '../../lib/runtime/telemetry';
import { DynamoDbWindowStore } from '../../lib/store/dynamodb';

const config = loadConfig(process.env);
if (config.topicArn === undefined) throw new ConfigError('TOPIC_ARN', undefined, 'the ARN of the alert SNS topic');
const telemetry = createTelemetry('rsr-evaluate', config.logLevel);
const store = new DynamoDbWindowStore(new DynamoDBClient({}), { tableName: config.tableName });
const publisher = new SnsPublisher({
  client: new SNSClient({}),
  topicArn: config.topicArn,
  httpsFormat: config.httpsFormat,
  logger: telemetry.logger,
});
// Exceptions apply at ingest only, so the evaluator needs no SSM access.
export const handler = async () => handleEvaluate({ store, publisher, config, telemetry }, Date.now());
