/**
 * Commands that talk to AWS (or to a compatible local server through the SDK's standard endpoint variables):
 * `rsr create-table` and `rsr fire-drill`. Credentials and region come from the standard AWS chain.
 */
import type { Command } from 'commander';
import { ENV, loadConfig, type Overrides } from '../config/load';
import { ALERT_SCHEMA_VERSION, type Alert, type BurstSummary, MITRE, RULE_ID } from '../engine/alert';
import { ConfigError } from '../engine/errors';
import type { Logger } from '../engine/logger';

/** The CLI's Logger: one line on stderr per call, the data object as JSON after the message. */
const line =
  (prefix: string) =>
  (message: unknown, ...data: unknown[]): void => {
    process.stderr.write(`${prefix}${String(message)}${data[0] ? ` ${JSON.stringify(data[0])}` : ''}\n`);
  };
const log: Logger = { debug: () => {}, info: line(''), warn: line('warning: '), error: line('error: ') };

/** A synthetic alert, unmistakably marked, for checking email and Slack delivery without touching a secret. */
export function fireDrillAlert(now: number): Alert {
  const iso = (ms: number) => new Date(ms).toISOString();
  const id = `rsr-fire-drill-${now}`;
  return {
    kind: 'alert',
    schemaVersion: ALERT_SCHEMA_VERSION,
    alertId: id,
    threadId: id,
    continuation: false,
    rule: RULE_ID,
    preset: 'elastic-2024',
    identity: 'FIRE-DRILL-synthetic-test-alert',
    groupBy: 'principal',
    countMode: 'events',
    count: 20,
    countIsLowerBound: false,
    threshold: 20,
    reasons: ['fire-drill'],
    reasonCounts: [{ reason: 'fire-drill', count: 20, threshold: 20 }],
    windowMinutes: 9,
    distinctSecrets: 0,
    windowStart: iso(now - 10 * 60_000),
    windowEnd: iso(now),
    crossedAt: iso(now),
    firstSeen: iso(now - 60_000),
    lastSeen: iso(now),
    accountId: '',
    userArn: 'FIRE DRILL - no secret was read; this message only tests alert delivery',
    userName: 'FIRE-DRILL',
    identityType: 'FireDrill',
    accessKeyId: '',
    eventNames: [{ value: 'FIRE-DRILL', count: 20 }],
    sourceIps: [],
    userAgents: [{ value: 'rsr fire-drill', count: 20 }],
    regions: [],
    secrets: [],
    severity: 'medium',
    riskScore: 47,
    mitre: MITRE,
    detectedAt: iso(now),
  };
}

/** arn:PARTITION:sns:REGION:ACCOUNT:NAME (standard and FIFO topics, in any partition). */
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z]+(?:-[a-z]+)+-\d+):\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/;

/** The Region named in an SNS topic ARN; a ConfigError naming where the ARN came from when it is not one. */
export function topicRegion(arn: string, source: string): string {
  const region = TOPIC_ARN.exec(arn)?.[1];
  if (!region) throw new ConfigError(source, arn, 'an SNS topic ARN, arn:aws:sns:REGION:ACCOUNT:TOPIC');
  return region;
}

/** The burst summary that would follow the fire-drill alert `alert`, equally marked. */
export function fireDrillSummary(alert: Alert, now: number): BurstSummary {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    kind: 'summary',
    schemaVersion: ALERT_SCHEMA_VERSION,
    alertId: `rsr-fire-drill-summary-${now}`,
    threadId: alert.threadId,
    lastAlertId: alert.alertId,
    rule: RULE_ID,
    preset: alert.preset,
    identity: alert.identity,
    groupBy: alert.groupBy,
    closedBy: 'quiet',
    quietMinutes: 10,
    since: alert.windowStart,
    complete: true,
    calls: 25,
    callsIsLowerBound: false,
    distinctSecrets: 0,
    firstSeen: alert.firstSeen,
    lastSeen: iso(now),
    regions: [],
    accountId: '',
    userArn: alert.userArn,
    userName: alert.userName,
    identityType: alert.identityType,
    accessKeyId: '',
    secrets: [],
    secretsNotListed: 0,
    sourceIps: [],
    userAgents: [{ value: 'rsr fire-drill', count: 25 }],
    eventNames: [{ value: 'FIRE-DRILL', count: 25 }],
    reasons: ['fire-drill'],
    signalCalls: [],
    mutedCrossings: 0,
    detectedAt: iso(now),
  };
}

export function registerAws(program: Command): void {
  program
    .command('create-table')
    .description(
      'create the DynamoDB table (keys, indexes, TTL when supported) at the standard AWS endpoint, and wait until it is active',
    )
    .option('--table-name <name>', `table name [env ${ENV.tableName}]`)
    .action(async (opts: { tableName?: string }) => {
      const overrides: Overrides = opts.tableName
        ? { tableName: { value: opts.tableName, source: '--table-name' } }
        : {};
      const config = loadConfig(process.env, overrides);
      // Loaded here, not at the top: the SDK takes ~0.1 s to load, which every other command would pay (measured).
      const [{ DynamoDBClient }, { createTable }] = await Promise.all([
        import('@aws-sdk/client-dynamodb'),
        import('../adapters/store/create-table'),
      ]);
      const client = new DynamoDBClient({});
      try {
        const outcome = await createTable(client, config.tableName, { log });
        process.stdout.write(`${outcome === 'created' ? 'created' : 'already exists'}: ${config.tableName}\n`);
      } finally {
        client.destroy();
      }
    });

  program
    .command('fire-drill')
    .description('publish a clearly marked synthetic alert to the topic, to check email and Slack delivery')
    .option('--topic-arn <arn>', `SNS topic ARN [env ${ENV.topicArn}]`)
    .option('--summary', 'also publish the burst summary that would follow it, in the same thread')
    .action(async (opts: { topicArn?: string; summary?: boolean }) => {
      const overrides: Overrides = opts.topicArn ? { topicArn: { value: opts.topicArn, source: '--topic-arn' } } : {};
      const config = loadConfig(process.env, overrides);
      if (!config.topicArn)
        throw new ConfigError('--topic-arn', undefined, `an SNS topic ARN (or set ${ENV.topicArn})`);
      // The topic lives in one Region and its ARN says which; the default chain's Region may be another or absent.
      const region = topicRegion(config.topicArn, opts.topicArn ? '--topic-arn' : ENV.topicArn);
      const [{ SNSClient }, { SnsPublisher }] = await Promise.all([
        import('@aws-sdk/client-sns'),
        import('../adapters/notify/sns'),
      ]);
      const client = new SNSClient({ region });
      try {
        const now = Date.now();
        const alert = fireDrillAlert(now);
        const publisher = new SnsPublisher({ client, topicArn: config.topicArn, httpsFormat: config.httpsFormat });
        await publisher.publish(alert);
        process.stdout.write(`published fire drill ${alert.alertId} to ${config.topicArn}\n`);
        if (opts.summary) {
          const summary = fireDrillSummary(alert, now);
          await publisher.publish(summary);
          process.stdout.write(`published fire drill summary ${summary.alertId} to ${config.topicArn}\n`);
        }
      } finally {
        client.destroy();
      }
    });
}
