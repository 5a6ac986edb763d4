/**
 * The Athena query that keeps only candidate records for a preset, so an organisation's trail is filtered where it
 * lives and only candidates travel to the local engine, which keeps the exact window rules.
 *
 * Invariants:
 * 1. The query never drops a record the engine would count: it filters only on what the qualifier's first three
 *    checks look at (event source, API name, success when the preset needs only successful calls) and on the time
 *    range, Regions and accounts asked for. Everything else (browser agents, exceptions, AWS-service callers,
 *    grouping, windows) stays in the engine, so replaying the output gives the same alerts as replaying the files.
 * 2. "Successful" is the engine's definition: errorcode and errormessage both empty or absent.
 * 3. Every value put into the text is validated first (identifiers, Regions, account ids, API names) or written as
 *    a SQL string literal with quotes doubled; nothing the user types reaches the SQL unchecked.
 * 4. The SELECT uses only syntax that Athena (Trino) and DuckDB read the same way, so the local DuckDB test runs the
 *    very text Athena gets; the UNLOAD wrapper is Athena's own.
 *
 * The table is the one AWS documents for CloudTrail with partition projection (lowercase columns, `useridentity`
 * a struct, `requestparameters` JSON text, a `timestamp` partition formatted yyyy/MM/dd); for an organisation
 * trail, Region and account partitions can be named too, so projection reads only those prefixes.
 */
import { ConfigError } from '../../engine/errors';
import { SECRETS_MANAGER_SOURCE } from '../../engine/event';

/** Columns the engine reads (records.ts), as the CloudTrail table names them. */
export const CANDIDATE_COLUMNS = [
  'eventid',
  'eventtime',
  'eventsource',
  'eventname',
  'awsregion',
  'sourceipaddress',
  'useragent',
  'errorcode',
  'errormessage',
  'requestparameters',
  'recipientaccountid',
  'vpcendpointid',
  'sessioncredentialfromconsole',
  'useridentity',
] as const;

export interface CandidateQuery {
  /** `table` or `database.table`. */
  readonly table: string;
  /** Epoch ms, inclusive. */
  readonly start: number;
  /** Epoch ms, exclusive. */
  readonly end: number;
  readonly eventNames: readonly string[];
  /** Only successful calls (false when the preset counts failures too, e.g. the access-denied signal). */
  readonly successOnly: boolean;
  readonly regions: readonly string[];
  readonly accounts: readonly string[];
  /** Partition columns: the date (yyyy/MM/dd), and optionally Region and account. */
  readonly timestampColumn: string;
  readonly regionColumn?: string;
  readonly accountColumn?: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
const ACCOUNT = /^\d{12}$/;
const API_NAME = /^[A-Za-z][A-Za-z0-9]{0,127}$/;

function identifier(flag: string, name: string): string {
  if (!IDENTIFIER.test(name)) throw new ConfigError(flag, name, 'a table or column name (letters, digits, _)');
  return `"${name}"`;
}

function tableName(name: string): string {
  const parts = name.split('.');
  if (parts.length > 2) throw new ConfigError('--athena-table', name, 'table or database.table');
  return parts.map((p) => identifier('--athena-table', p)).join('.');
}

function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function list(values: readonly string[]): string {
  return values.map(literal).join(', ');
}

function checked(flag: string, values: readonly string[], pattern: RegExp, accepted: string): readonly string[] {
  for (const v of values) if (!pattern.test(v)) throw new ConfigError(flag, v, accepted);
  return values;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const pad = (n: number) => String(n).padStart(2, '0');

/** yyyy/MM/dd of an instant in UTC (the partition format CloudTrail's S3 layout uses). */
export function partitionDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`;
}

/** CloudTrail's eventTime text for an instant (whole seconds, as CloudTrail writes it). */
export function cloudTrailTime(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** The portable SELECT of candidate records (invariants 1-4). */
export function candidateSelect(q: CandidateQuery): string {
  if (!(q.end > q.start)) throw new ConfigError('--end', cloudTrailTime(q.end), 'a time after --start');
  const names = checked('--preset', q.eventNames, API_NAME, 'API names');
  const regions = checked('--region', q.regions, REGION, 'AWS Region names such as us-east-1');
  const accounts = checked('--accounts', q.accounts, ACCOUNT, '12-digit account ids');
  const where = [
    // The date prefix is the day a log file was delivered, up to ~15 minutes after its last event: the range ends
    // one day later, so events just before midnight whose file landed under the next day are still read.
    `${identifier('--timestamp-column', q.timestampColumn)} BETWEEN ${literal(partitionDay(q.start))} AND ${literal(partitionDay(q.end - 1 + DAY_MS))}`,
    // eventtime is text in CloudTrail's fixed ISO format (whole seconds): text order is time order, and rounding
    // both bounds up to the second keeps exactly the records in [start, end).
    `eventtime >= ${literal(cloudTrailTime(q.start + 999))}`,
    `eventtime < ${literal(cloudTrailTime(q.end + 999))}`,
    `eventsource = ${literal(SECRETS_MANAGER_SOURCE)}`,
    `eventname IN (${list(names)})`,
  ];
  if (q.successOnly) where.push(`COALESCE(errorcode, '') = ''`, `COALESCE(errormessage, '') = ''`);
  if (regions.length > 0) {
    where.push(`awsregion IN (${list(regions)})`);
    if (q.regionColumn) where.push(`${identifier('--region-column', q.regionColumn)} IN (${list(regions)})`);
  }
  if (accounts.length > 0) {
    where.push(`recipientaccountid IN (${list(accounts)})`);
    if (q.accountColumn) where.push(`${identifier('--account-column', q.accountColumn)} IN (${list(accounts)})`);
  }
  return [
    `SELECT ${CANDIDATE_COLUMNS.join(', ')}`,
    `FROM ${tableName(q.table)}`,
    `WHERE ${where.join('\n  AND ')}`,
  ].join('\n');
}

const S3_PREFIX = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/(?:[^'\s]*\/)?$/;

/**
 * Athena's UNLOAD of the candidates to `destination` (an S3 prefix ending in '/', which must be empty) as gzipped
 * JSON, one row per line with the table's lowercase column names: what the file readers take back in.
 */
export function unloadStatement(select: string, destination: string): string {
  if (!S3_PREFIX.test(destination)) {
    throw new ConfigError('--athena-output', destination, "an S3 prefix such as s3://bucket/rsr/ (ending in '/')");
  }
  return `UNLOAD (\n${select}\n)\nTO ${literal(destination)}\nWITH (format = 'JSON', compression = 'GZIP')`;
}
