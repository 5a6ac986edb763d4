/**
 * Ingest Lambda: EventBridge "AWS API Call via CloudTrail" events (or an SQS batch of them) -> window counters.
 * Wiring only; the logic is lib/runtime/ingest.ts. Configuration is validated at cold start (a bad variable fails
 * the init with its name, value and what is accepted); SDK clients are built once per container.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import { loadConfig } from '../../lib/config';
import { Detector } from '../../lib/engine/detector';
import { handleIngest } from '../../lib/runtime/ingest';
import { withParameterExceptions } from '../../lib/runtime/resolve-config';
import { createTelemetry } from '../../lib/runtime/telemetry';
import { DynamoDbWindowStore } from '../../lib/store/dynamodb';

const config = loadConfig(process.env);
const telemetry = createTelemetry('rsr-ingest', config.logLevel);
const dynamodb = new DynamoDBClient({});
const store = new DynamoDbWindowStore(dynamodb, { tableName: config.tableName });
const detector = withParameterExceptions(config, () => new SSMClient({})).then((c) => new Detector(c));

export const handler = async (event: unknown) =>
  handleIngest(event, { detector: await detector, store, telemetry }, Date.now());
