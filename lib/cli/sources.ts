/**
 * Where `rsr replay` and `rsr tune` read CloudTrail from besides files: the account's event history
 * (`--from-cloudtrail`, the LookupEvents API) or an organisation trail's Athena table (`--athena`); and
 * `rsr athena-sql`, which prints the Athena query. The flags live here so options.ts keeps the detection settings.
 */
import type { AthenaClient } from '@aws-sdk/client-athena';
import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { S3Client } from '@aws-sdk/client-s3';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { candidateSelect, cloudTrailTime, unloadStatement } from '../adapters/athena/query';
import { HISTORY_DAYS } from '../adapters/cloudtrail/limits';
import type { InputItem } from '../adapters/io/read';
import { loadConfig, type RuntimeConfig } from '../config/load';
import { ConfigError, InputError } from '../engine/errors';
import type { SkipReason } from '../engine/event';
import { parseEventTime } from '../engine/records';
import { type CliInputs, openInputs } from './inputs';
import { addDetectionFlags, overridesFrom } from './options';

const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_TABLE = 'cloudtrail_logs_pp';
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

// SDK clients, built once per process (per Region for CloudTrail: event history is regional). The SDK and the
// adapters that use it are loaded by the command that needs them: loading them up front cost every command ~0.1 s.
const cloudTrailClients = new Map<string, CloudTrailClient>();
let athenaClient: AthenaClient | undefined;
let s3Client: S3Client | undefined;

async function cloudTrailClientFactory(): Promise<(region: string) => CloudTrailClient> {
  const { CloudTrailClient } = await import('@aws-sdk/client-cloudtrail');
  return (region) => {
    let client = cloudTrailClients.get(region);
    if (client === undefined) {
      // Throttling is retried by readEventHistory at the documented rate, so the SDK does not retry on its own.
      client = new CloudTrailClient({ region, maxAttempts: 1 });
      cloudTrailClients.set(region, client);
    }
    return client;
  };
}

async function athena(): Promise<AthenaClient> {
  const { AthenaClient } = await import('@aws-sdk/client-athena');
  athenaClient ??= new AthenaClient({});
  return athenaClient;
}

async function s3(): Promise<S3Client> {
  const { S3Client } = await import('@aws-sdk/client-s3');
  // Path-style addressing when an endpoint is set (a local S3-compatible server has no per-bucket host names).
  const local = process.env.AWS_ENDPOINT_URL_S3 !== undefined || process.env.AWS_ENDPOINT_URL !== undefined;
  s3Client ??= new S3Client({ forcePathStyle: local });
  return s3Client;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The flags shared by --from-cloudtrail, --athena and athena-sql. */
function addRangeFlags(cmd: Command): Command {
  return cmd
    .option('--days <n>', `the last N days (1 to ${HISTORY_DAYS} for --from-cloudtrail; default 1, or 90 there)`)
    .option('--start <time>', 'start of the range, ISO 8601 UTC (2026-11-25T00:00:00Z)')
    .option('--end <time>', 'end of the range, exclusive (default now)')
    .option('--region <list>', 'comma-separated Regions (default AWS_REGION)')
    .option('--accounts <list>', 'Athena: comma-separated account ids to keep (default all)')
    .option('--athena-table <name>', `Athena: the CloudTrail table, table or database.table (default ${DEFAULT_TABLE})`)
    .option('--athena-database <name>', 'Athena: database of the query context')
    .option('--athena-workgroup <name>', 'Athena: workgroup (default primary)')
    .option('--athena-output <s3-prefix>', "Athena: S3 prefix the candidates are unloaded under (ends in '/')")
    .option('--athena-results <s3-uri>', 'Athena: query result location, unless the workgroup sets one')
    .option('--timestamp-column <name>', 'Athena: date partition column, yyyy/MM/dd (default timestamp)')
    .option('--region-column <name>', 'Athena: Region partition column, if the table has one')
    .option('--account-column <name>', 'Athena: account partition column, if the table has one');
}

/** Adds --from-cloudtrail, --athena and their range flags to replay or tune. */
export function addSourceFlags(cmd: Command): Command {
  return addRangeFlags(
    cmd
      .option('--from-cloudtrail', "read the account's CloudTrail event history (LookupEvents) instead of files")
      .option('--athena', 'run the candidate query on Athena (see rsr athena-sql) and replay its output'),
  );
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function timeFlag(flag: string, raw: string): number {
  const ms = parseEventTime(raw.trim());
  if (ms === undefined) throw new ConfigError(flag, raw, 'an ISO 8601 time such as 2026-11-25T00:00:00Z');
  return ms;
}

interface Range {
  readonly start: number;
  readonly end: number;
  readonly regions: string[];
}

export function rangeFrom(opts: Record<string, unknown>, now: number, maxDays: number, defaultDays: number): Range {
  const end = str(opts.end) === undefined ? now : timeFlag('--end', str(opts.end) as string);
  let start: number;
  const days = str(opts.days);
  if (days !== undefined && str(opts.start) !== undefined) {
    throw new ConfigError('--days', days, 'either --days or --start, not both');
  }
  if (str(opts.start) !== undefined) start = timeFlag('--start', str(opts.start) as string);
  else {
    const n = days === undefined ? defaultDays : Number(days.trim());
    if (!Number.isInteger(n) || n < 1 || n > maxDays || days?.trim() === '') {
      throw new ConfigError('--days', days, `an integer from 1 to ${maxDays}`);
    }
    start = end - n * DAY_MS;
  }
  if (!(end > start)) throw new ConfigError('--end', str(opts.end) ?? cloudTrailTime(end), 'a time after --start');
  if (maxDays === HISTORY_DAYS && start < now - HISTORY_DAYS * DAY_MS) {
    throw new ConfigError(
      '--start',
      str(opts.start),
      `a time within the last ${HISTORY_DAYS} days (event history keeps no more)`,
    );
  }
  const raw = str(opts.region) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? '';
  const regions = raw
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  for (const r of regions)
    if (!REGION.test(r)) throw new ConfigError('--region', r, 'AWS Region names such as us-east-1');
  return { start, end, regions };
}

function listFlag(raw: unknown): string[] {
  return (str(raw) ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** The candidate SELECT for the configured preset and the range flags. */
export function athenaSelect(config: RuntimeConfig, opts: Record<string, unknown>, now: number): string {
  const range = rangeFrom(opts, now, Number.MAX_SAFE_INTEGER, 1);
  return candidateSelect({
    table: str(opts.athenaTable) ?? DEFAULT_TABLE,
    start: range.start,
    end: range.end,
    eventNames: config.eventNames,
    successOnly: !config.signals.includes('access-denied'),
    regions: str(opts.region) === undefined ? [] : range.regions,
    accounts: listFlag(opts.accounts),
    timestampColumn: str(opts.timestampColumn) ?? 'timestamp',
    regionColumn: str(opts.regionColumn),
    accountColumn: str(opts.accountColumn),
  });
}

/** A source's records as CLI inputs: a failure ends the source, is reported and makes the command exit 1. */
function cliSource(
  source: string,
  items: AsyncGenerator<{ readonly record: unknown } | { readonly skip: SkipReason }>,
  stop: () => void,
): CliInputs {
  const errors: InputError[] = [];
  async function* guarded(): AsyncGenerator<InputItem, void, undefined> {
    try {
      for await (const item of items) yield { ...item, source } as InputItem;
    } catch (error) {
      const e = new InputError(source, error instanceof Error ? error.message : String(error), { cause: error });
      errors.push(e);
      stop();
      process.stderr.write(`rsr: cannot read ${e.message}\n`);
    }
  }
  return {
    items: guarded(),
    errors,
    done: (received) => {
      stop();
      if (received === 0) process.stderr.write(`rsr: warning: no Secrets Manager records read from ${source}\n`);
    },
  };
}

async function openEventHistory(opts: Record<string, unknown>): Promise<CliInputs> {
  const now = Date.now();
  const range = rangeFrom(opts, now, HISTORY_DAYS, HISTORY_DAYS);
  if (range.regions.length === 0) throw new ConfigError('--region', '', 'one or more Regions (or AWS_REGION)');
  process.stderr.write(
    `rsr: reading CloudTrail event history in ${range.regions.join(', ')} from ${cloudTrailTime(range.start)} to ${cloudTrailTime(range.end)}: ` +
      `management events only (GetSecretValue and BatchGetSecretValue are), ${HISTORY_DAYS} days at most, 50 events per request, 2 requests/s per Region\n`,
  );
  const bar = process.stderr.isTTY
    ? new SingleBar({
        format: 'event history {bar} {percentage}% | {events} events | {region}',
        stream: process.stderr,
        hideCursor: true,
      })
    : undefined;
  const [{ readEventHistory }, clientFor] = await Promise.all([
    import('../adapters/cloudtrail/event-history'),
    cloudTrailClientFactory(),
  ]);
  bar?.start(100, 0, { events: 0, region: range.regions[0] });
  const items = readEventHistory({
    ...range,
    clientFor,
    now: Date.now,
    sleep,
    onProgress: (done, region, events) => bar?.update(Math.floor(done * 100), { events, region }),
    onThrottled: (region, waitMs) => {
      if (bar === undefined) process.stderr.write(`rsr: throttled in ${region}, retrying in ${waitMs} ms\n`);
    },
  });
  return cliSource('CloudTrail event history', items, () => bar?.stop());
}

function openAthena(config: RuntimeConfig, opts: Record<string, unknown>): CliInputs {
  const output = str(opts.athenaOutput);
  if (output === undefined)
    throw new ConfigError('--athena-output', '', "an S3 prefix such as s3://bucket/rsr/ (ending in '/')");
  if (str(opts.days) === undefined && str(opts.start) === undefined) {
    throw new ConfigError(
      '--days',
      '',
      'a range for --athena (--days N or --start/--end): Athena bills by data scanned',
    );
  }
  const now = Date.now();
  // A fresh prefix per run: UNLOAD refuses a prefix that already holds objects.
  const run = `${output}rsr-${cloudTrailTime(now).replace(/[-:]/g, '')}-${Math.random().toString(36).slice(2, 8)}/`;
  const statement = unloadStatement(athenaSelect(config, opts, now), run);
  async function* items(): AsyncGenerator<InputItem, void, undefined> {
    process.stderr.write(`rsr: running the candidate query on Athena, output under ${run}\n`);
    const { readUnloaded, runAthena } = await import('../adapters/athena/run');
    const outcome = await runAthena({
      athena: await athena(),
      statement,
      workGroup: str(opts.athenaWorkgroup),
      database: str(opts.athenaDatabase),
      resultsLocation: str(opts.athenaResults),
      now: Date.now,
      sleep,
    });
    const scanned = outcome.scannedBytes === undefined ? 'unknown' : `${(outcome.scannedBytes / 1e9).toFixed(3)} GB`;
    process.stderr.write(`rsr: Athena query ${outcome.queryId} succeeded, scanned ${scanned}\n`);
    yield* readUnloaded(await s3(), run);
  }
  return cliSource(`Athena ${run}`, items(), () => {});
}

/** The command's inputs: files, event history or Athena, as the flags say. */
export async function openSource(
  paths: readonly string[],
  config: RuntimeConfig,
  opts: Record<string, unknown>,
): Promise<CliInputs> {
  const remote = [
    opts.fromCloudtrail === true ? '--from-cloudtrail' : undefined,
    opts.athena === true ? '--athena' : undefined,
  ].filter((f): f is string => f !== undefined);
  if (remote.length > 1) throw new ConfigError('--athena', true, 'one source: files, --from-cloudtrail or --athena');
  if (remote.length === 1 && paths.length > 0)
    throw new ConfigError(remote[0] as string, paths.join(' '), 'no file paths with a remote source');
  if (opts.fromCloudtrail === true) return openEventHistory(opts);
  if (opts.athena === true) return openAthena(config, opts);
  if (paths.length === 0)
    throw new ConfigError('paths', '', 'files or directories, - for stdin, --from-cloudtrail or --athena');
  return openInputs(paths, opts);
}

/** `rsr athena-sql`: prints the candidate query (UNLOAD when --athena-output is given), to run or review by hand. */
export function registerAthenaSql(program: Command): void {
  addRangeFlags(
    addDetectionFlags(
      program
        .command('athena-sql')
        .description('print the Athena query that keeps only candidate records for the preset (see docs/BACKTEST.md)'),
    ),
  ).action((opts: Record<string, unknown>) => {
    const config = loadConfig(process.env, overridesFrom(opts));
    if (str(opts.days) === undefined && str(opts.start) === undefined) opts.days = '1';
    const select = athenaSelect(config, opts, Date.now());
    const output = str(opts.athenaOutput);
    process.stdout.write(`${output === undefined ? select : unloadStatement(select, output)};\n`);
  });
}
