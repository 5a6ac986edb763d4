/**
 * Ingest Lambda: EventBridge "AWS API Call via CloudTrail" events (or an SQS batch of them) -> window counters.
 * Wiring only; the logic is lib/usecases/ingest.ts. Configuration is validated at cold start (a bad variable fails
 * the init with its name, value and what is accepted); SDK clients are built once per container.
 * With TOPIC_ARN set, FAST_PATH not false and SECURITY_HUB not true, a key whose crossing this container's store writes
 * reveal is evaluated and alerted right away (lib/engine/fast-path.ts); the scheduled evaluator stays the safety net.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SnsPublisher } from '../../lib/adapters/notify/sns';
import { DynamoDbWindowStore } from '../../lib/adapters/store/dynamodb';
import { createTelemetry } from '../../lib/adapters/telemetry';
import { loadConfig } from '../../lib/config/load';
import { withParameterExceptions } from '../../lib/config/resolve';
import { Detector } from '../../lib/engine/detector';
import { QuietKeys } from '../../lib/engine/fast-path';
import { type FastPathDeps, handleIngest } from '../../lib/usecases/ingest';

const config = loadConfig(process.env);
const telemetry = createTelemetry('rsr-ingest', config.logLevel);
const dynamodb = new DynamoDBClient({});
// Consistent bucket reads: the fast path evaluates a key right after a write told it the key crossed.
const store = new DynamoDbWindowStore(dynamodb, { tableName: config.tableName, consistentReads: true });
// The SSM client module is loaded only when EXCEPTIONS_PARAMETER is set (lib/config/resolve.ts): not at every init.
const detector = withParameterExceptions(config, () =>
  import('../../lib/config/ssm').then(({ SSMClient }) => new SSMClient({})),
).then((c) => new Detector(c));
// Off with SECURITY_HUB=true: the fast path publishes to SNS only, and every alert must then become a finding.
const fastPath: FastPathDeps | undefined =
  config.fastPath && config.topicArn !== undefined && !config.securityHub
    ? {
        quiet: new QuietKeys(config),
        publisher: new SnsPublisher({
          client: new SNSClient({}),
          topicArn: config.topicArn,
          httpsFormat: config.httpsFormat,
          logger: telemetry.logger,
        }),
        config,
      }
    : undefined;

export const handler = async (event: unknown) =>
  handleIngest(event, { detector: await detector, store, telemetry, fastPath }, Date.now());
