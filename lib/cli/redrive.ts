/**
 * `rsr redrive --queue-url URL`: re-ingests what landed in the detector's dead-letter queues (lib/usecases/redrive.ts,
 * docs/RECOVERY.md). Credentials, region and endpoints come from the standard AWS SDK chain and variables
 * (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_DYNAMODB, ...); settings from the same environment
 * the Lambdas read (lib/config/load.ts), so that redriven events are counted exactly as the ingest function would.
 *
 * Exit codes: 0 every message was moved (or, in a dry run, would be); 1 some message stays in the queue or an AWS
 * call failed; 2 usage or configuration error.
 */
import type { Command } from 'commander';
import { ENV, loadConfig, type Overrides } from '../config/load';
import { ConfigError } from '../engine/errors';
import { SKIP_REASONS } from '../engine/event';
import type { RedriveReport } from '../usecases/redrive';

/** Long enough for a slow run over a full receive; messages left behind are made visible again at the end. */
const VISIBILITY_TIMEOUT_SECONDS = 300;

interface RedriveFlags {
  readonly queueUrl: string;
  readonly tableName?: string;
  readonly dryRun?: boolean;
  readonly max?: string;
  readonly waitSeconds: string;
  readonly json?: boolean;
}

function integerFlag(flag: string, raw: string, min: number, max: number): number {
  const n = Number(raw.trim());
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(flag, raw, `an integer from ${min} to ${max}`);
  }
  return n;
}

/** `https://sqs.eu-west-1.amazonaws.com/123/q` (or the legacy `eu-west-1.queue.amazonaws.com`) -> `eu-west-1`. */
export function regionOfQueueUrl(url: string): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  const m =
    /^sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host) ??
    /^([a-z0-9-]+)\.queue\.amazonaws\.com(\.cn)?$/.exec(host);
  return m?.[1];
}

export function formatReport(r: RedriveReport): string {
  const rec = r.records;
  const skipped = SKIP_REASONS.filter((s) => rec.skipped[s] > 0)
    .map((s) => `${s} ${rec.skipped[s]}`)
    .join(', ');
  const leftReasons = Object.entries(r.leftByReason)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  const counting = r.dryRun
    ? `would qualify ${rec.qualifying}`
    : `qualifying ${rec.qualifying}: counted ${rec.counted}, duplicate ${rec.duplicates}, above saturation ${rec.saturated}, late ${rec.late}`;
  const lines = [
    `rsr redrive: ${r.queueUrl}${r.dryRun ? ' (dry run: nothing written, nothing deleted)' : ''}`,
    `messages received   ${r.received}`,
    `  EventBridge events          ${r.byShape['eventbridge-event']}`,
    `  Lambda invocation records   ${r.byShape['lambda-invocation-record']}`,
    `  unrecognised                ${r.byShape.unrecognised}`,
    r.dryRun ? `would move          ${r.moved}` : `moved               ${r.moved} (ingested, then deleted)`,
    `left in the queue   ${r.left}${leftReasons ? ` (${leftReasons})` : ''}`,
    `records             ${rec.received} (${counting})`,
    `skipped             ${skipped || 'none'}`,
  ];
  if (r.deleteFailures > 0) {
    lines.push(`delete failed       ${r.deleteFailures} (counted; they will come back and count as duplicates)`);
  }
  if (r.stoppedBy) lines.push(`stopped early       ${r.stoppedBy}`);
  if (!r.dryRun && rec.late > 0) {
    lines.push(
      `note: ${rec.late} counted events are older than LATENESS_MINUTES, so no evaluation will look at them again;`,
      '      check the affected period with `rsr replay` over the trail logs (docs/RECOVERY.md)',
    );
  }
  if (r.leftMessages.length > 0) {
    lines.push('left messages:');
    for (const m of r.leftMessages) {
      lines.push(`  ${m.messageId}  ${m.reason}${m.shape ? ` (${m.shape})` : ''}${m.detail ? `  ${m.detail}` : ''}`);
    }
    if (r.leftMessages.length < r.left) lines.push(`  ... and ${r.left - r.leftMessages.length} more`);
  }
  return lines.join('\n');
}

export function registerRedrive(program: Command): void {
  program
    .command('redrive')
    .description(
      're-ingest the events in a dead-letter queue (rule DLQ, ingest on-failure queue, buffer DLQ); a message is deleted only once ingested',
    )
    .requiredOption('--queue-url <url>', 'URL of the SQS queue to drain')
    .option('--table-name <name>', `window table [env ${ENV.tableName}]`)
    .option('--dry-run', 'read and classify the messages; write nothing, delete nothing')
    .option('--max <n>', 'handle at most this many messages')
    .option('--wait-seconds <s>', 'long-poll wait per receive, 0 to 20', '2')
    .option('--json', 'print the report as one JSON object on stdout')
    .action(async (opts: RedriveFlags) => {
      const max = opts.max === undefined ? undefined : integerFlag('--max', opts.max, 1, 1_000_000);
      const waitSeconds = integerFlag('--wait-seconds', opts.waitSeconds, 0, 20);
      const overrides: Overrides = opts.tableName
        ? { tableName: { value: opts.tableName, source: '--table-name' } }
        : {};
      const config = loadConfig(process.env, overrides);
      if (!opts.dryRun && opts.tableName === undefined && !process.env[ENV.tableName]) {
        throw new ConfigError('--table-name', undefined, `the window table's name (or set ${ENV.tableName})`);
      }
      // The AWS SDK and the redrive logic are loaded only for this command, so other commands start as fast as before.
      const [{ SQSClient }, { DynamoDBClient }, { SSMClient }, { Detector }, { redrive }, resolve, dynamo] =
        await Promise.all([
          import('@aws-sdk/client-sqs'),
          import('@aws-sdk/client-dynamodb'),
          import('@aws-sdk/client-ssm'),
          import('../engine/detector'),
          import('../usecases/redrive'),
          import('../config/resolve'),
          import('../adapters/store/dynamodb'),
        ]);
      const hasRegion = Boolean(process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION);
      const region = hasRegion ? undefined : regionOfQueueUrl(opts.queueUrl);
      const clientOptions = region ? { region } : {};
      // By default the SDK sends SQS calls to the queue URL's host. When the operator names an endpoint through the
      // standard variables (a local emulator, a VPC endpoint), that endpoint is meant: keep it.
      const endpointSet = Boolean(process.env.AWS_ENDPOINT_URL_SQS || process.env.AWS_ENDPOINT_URL);
      const sqs = new SQSClient({ ...clientOptions, useQueueUrlAsEndpoint: !endpointSet });
      const dynamodb = new DynamoDBClient(clientOptions);
      try {
        const resolved = await resolve.withParameterExceptions(config, () => new SSMClient(clientOptions));
        let report: RedriveReport;
        try {
          report = await redrive({
            sqs,
            queueUrl: opts.queueUrl,
            detector: new Detector(resolved),
            store: opts.dryRun ? undefined : new dynamo.DynamoDbWindowStore(dynamodb, { tableName: config.tableName }),
            dryRun: opts.dryRun === true,
            max,
            waitSeconds,
            visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
            clock: Date.now,
          });
        } catch (error) {
          // An SQS call failed (no such queue, no permission, no credentials): say so without a stack trace.
          const e = error as { name?: string; message?: string };
          process.stderr.write(
            `rsr: redrive ${opts.queueUrl} failed: ${e.name ?? 'Error'}: ${e.message ?? String(error)}\n`,
          );
          process.exitCode = 1;
          return;
        }
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(report)}\n`);
          process.stderr.write(`${formatReport(report)}\n`);
        } else {
          process.stdout.write(`${formatReport(report)}\n`);
        }
        process.exitCode = report.left > 0 || report.deleteFailures > 0 ? 1 : 0;
      } finally {
        sqs.destroy();
        dynamodb.destroy();
      }
    });
}
