/**
 * Evaluator Lambda, on a schedule (every minute by default): thresholds, suppression, cap -> SNS (and, with
 * SECURITY_HUB=true, a Security Hub finding per alert after SNS accepted it).
 * Wiring only (settings from lib/config/load.ts, clients built once per container); the logic is lib/usecases/evaluate.ts and lib/engine/evaluate.ts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { LazyPublisher } from '../../lib/adapters/notify/lazy';
import { SnsPublisher } from '../../lib/adapters/notify/sns';
import { DynamoDbWindowStore } from '../../lib/adapters/store/dynamodb';
import { createTelemetry } from '../../lib/adapters/telemetry';
import { loadEvaluatorConfig } from '../../lib/config/load';
import type { AlertPublisher } from '../../lib/engine/ports';
import { handleEvaluate } from '../../lib/usecases/evaluate';

const config = loadEvaluatorConfig(process.env);
const telemetry = createTelemetry('rsr-evaluate', config.logLevel);
const store = new DynamoDbWindowStore(new DynamoDBClient({}), { tableName: config.tableName });
const sns = new SnsPublisher({
  client: new SNSClient({}),
  topicArn: config.topicArn,
  httpsFormat: config.httpsFormat,
  logger: telemetry.logger,
});
const target = config.securityHub ? config.topic : undefined;
// With SECURITY_HUB=true, SNS then a Security Hub finding per alert (./securityhub.ts). That module and its client
// are loaded at the first alert, not at init: most containers never publish one.
const publisher: AlertPublisher = target
  ? new LazyPublisher(async () => (await import('./securityhub')).securityHubPublisher(sns, target, telemetry.logger))
  : sns;
// Exceptions apply at ingest only, so the evaluator needs no SSM access.
export const handler = async () => handleEvaluate({ store, publisher, config, telemetry }, Date.now());
