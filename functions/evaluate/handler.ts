/**
 * Evaluator Lambda, on a schedule (every minute by default): thresholds, suppression, cap -> SNS (and, with
 * SECURITY_HUB=true, a Security Hub finding per alert after SNS accepted it).
 * Wiring only (settings from lib/config/load.ts, clients built once per container); the logic is lib/usecases/evaluate.ts and lib/engine/evaluate.ts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SNSClient } from '@aws-sdk/client-sns';
import { SecurityHubPublisher } from '../../lib/adapters/notify/securityhub';
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
/**
 * With SECURITY_HUB=true, one Security Hub client per container, in the topic's Region so that the endpoint and the
 * finding's ProductArn agree. The import is best effort and runs once per alert inside the evaluator's 55 s: short
 * timeouts and one retry bound each import to roughly ten seconds when Security Hub is slow or unreachable. (Several
 * alerts in one such run can still reach the function timeout; the alert being imported is then sent again.)
 */
const publisher: AlertPublisher = target
  ? new SecurityHubPublisher(
      sns,
      {
        client: new SecurityHubClient({
          region: target.region,
          maxAttempts: 2,
          requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 },
        }),
        ...target,
      },
      telemetry.logger,
    )
  : sns;
// Exceptions apply at ingest only, so the evaluator needs no SSM access.
export const handler = async () => handleEvaluate({ store, publisher, config, telemetry }, Date.now());
