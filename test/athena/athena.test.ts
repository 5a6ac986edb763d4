/**
 * The Athena path, checked locally:
 * - the candidate query runs in DuckDB over the sample loaded into a table with the Athena CloudTrail table's
 *   column names and types, selects exactly the candidates a brute-force filter picks, and replaying what it
 *   returns gives the same alerts as replaying the sample, under every preset;
 * - `rsr replay --athena` against local servers speaking Athena's JSON protocol and S3's GETs, where the fake
 *   Athena runs the very SELECT it receives in DuckDB;
 * - the Athena-specific text (UNLOAD, partition and column names) as golden output.
 * What this cannot check against real Athena is listed in docs/BACKTEST.md.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { AthenaClient } from '@aws-sdk/client-athena';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { candidateSelect } from '../../lib/adapters/athena/query';
import { AthenaError, runAthena } from '../../lib/adapters/athena/run';
import { readInputs } from '../../lib/adapters/io/read';
import { athenaSelect } from '../../lib/cli/sources';
import { loadConfig, PRESETS, type RuntimeConfig } from '../../lib/config/load';
import { type ReplayItem, replay } from '../../lib/usecases/replay';
import { type LocalServer, startJsonService, startS3 } from '../support/aws-local';
import { ROOT, rsr, rsrAsync } from '../support/cli';

type JsonRecord = Record<string, unknown>;
const GOLDEN = join(ROOT, 'test/fixtures/golden/athena-sql.txt');

// The Athena CloudTrail table (partition projection variant) as DuckDB types: names and nesting as AWS documents.
const IDENTITY_TYPE = `STRUCT(type VARCHAR, principalid VARCHAR, arn VARCHAR, accountid VARCHAR, invokedby VARCHAR,
  accesskeyid VARCHAR, username VARCHAR, onbehalfof STRUCT(userid VARCHAR, identitystorearn VARCHAR),
  sessioncontext STRUCT(attributes STRUCT(mfaauthenticated VARCHAR, creationdate VARCHAR),
    sessionissuer STRUCT(type VARCHAR, principalid VARCHAR, arn VARCHAR, accountid VARCHAR, username VARCHAR),
    ec2roledelivery VARCHAR, webidfederationdata STRUCT(federatedprovider VARCHAR, attributes MAP(VARCHAR, VARCHAR))))`;
const COLUMNS: Record<string, string> = {
  eventversion: 'VARCHAR',
  useridentity: IDENTITY_TYPE,
  eventtime: 'VARCHAR',
  eventsource: 'VARCHAR',
  eventname: 'VARCHAR',
  awsregion: 'VARCHAR',
  sourceipaddress: 'VARCHAR',
  useragent: 'VARCHAR',
  errorcode: 'VARCHAR',
  errormessage: 'VARCHAR',
  requestparameters: 'VARCHAR',
  responseelements: 'VARCHAR',
  additionaleventdata: 'VARCHAR',
  requestid: 'VARCHAR',
  eventid: 'VARCHAR',
  readonly: 'VARCHAR',
  resources: 'STRUCT(arn VARCHAR, accountid VARCHAR, type VARCHAR)[]',
  eventtype: 'VARCHAR',
  apiversion: 'VARCHAR',
  recipientaccountid: 'VARCHAR',
  serviceeventdetails: 'VARCHAR',
  sharedeventid: 'VARCHAR',
  vpcendpointid: 'VARCHAR',
  eventcategory: 'VARCHAR',
  sessioncredentialfromconsole: 'VARCHAR',
  timestamp: 'VARCHAR',
};
const JSON_TEXT = new Set(['requestparameters', 'responseelements', 'additionaleventdata', 'serviceeventdetails']);

/** Keys lowercased all the way down (the table's struct fields are lowercase). */
function lower(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(lower);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toLowerCase(), lower(v)]));
}

/** One CloudTrail record as the JSON SerDe would present it in the table, plus the date partition. */
function tableRow(record: JsonRecord): JsonRecord {
  const row: JsonRecord = {};
  for (const [key, value] of Object.entries(record)) {
    const name = key.toLowerCase();
    if (!(name in COLUMNS)) continue;
    row[name] = JSON_TEXT.has(name) ? (value == null ? null : JSON.stringify(value)) : lower(value);
    if (typeof row[name] === 'boolean') row[name] = String(row[name]);
  }
  row.timestamp = String(record.eventTime).slice(0, 10).replaceAll('-', '/');
  return row;
}

async function sampleRecords(): Promise<JsonRecord[]> {
  const out: JsonRecord[] = [];
  for await (const item of readInputs([join(ROOT, 'sample')], {
    onError: (e) => {
      throw e;
    },
  })) {
    if ('record' in item) out.push(item.record as JsonRecord);
  }
  return out;
}

async function alertsOf(items: AsyncIterable<ReplayItem> | Iterable<ReplayItem>, config: RuntimeConfig) {
  const result = await replay(items, config);
  return result.notifications;
}

/** Rows of `select` as JSON lines, the way UNLOAD (format JSON) writes them: nulls left out, structs nested. */
async function runSelect(db: DuckDBConnection, select: string): Promise<string[]> {
  const reader = await db.runAndReadAll(`SELECT to_json(q) AS j FROM (${select}) q ORDER BY q.eventid`);
  return reader.getRowObjectsJson().map((r) => {
    const row = JSON.parse(String(r.j)) as JsonRecord;
    for (const k of Object.keys(row)) if (row[k] === null) delete row[k];
    return JSON.stringify(row);
  });
}

let records: JsonRecord[];
let db: DuckDBConnection;
let range: { start: string; end: string };

beforeAll(async () => {
  records = await sampleRecords();
  const times = records.map((r) => Date.parse(String(r.eventTime))).filter((t) => !Number.isNaN(t));
  const day = 86_400_000;
  range = {
    start: new Date(Math.floor(Math.min(...times) / day) * day).toISOString().replace('.000', ''),
    end: new Date(Math.ceil((Math.max(...times) + 1) / day) * day).toISOString().replace('.000', ''),
  };
  const file = join(mkdtempSync(join(tmpdir(), 'rsr-duckdb-')), 'table.jsonl');
  writeFileSync(file, records.map((r) => JSON.stringify(tableRow(r))).join('\n'));
  const instance = await DuckDBInstance.create(':memory:');
  db = await instance.connect();
  const columns = Object.entries(COLUMNS)
    .map(([k, v]) => `${k}: '${v.replaceAll('\n', ' ')}'`)
    .join(', ');
  await db.run(
    `CREATE TABLE cloudtrail_logs_pp AS SELECT * FROM read_json('${file}', format = 'newline_delimited', columns = {${columns}})`,
  );
}, 60_000);

describe.each(PRESETS)('the candidate query under preset %s', (preset) => {
  const config = loadConfig({}, { preset: { value: preset, source: '--preset' } });

  it('selects exactly the candidates a brute-force filter picks, and replays to the same alerts', async () => {
    const select = athenaSelect(config, { start: range.start, end: range.end }, Date.now());
    const lines = await runSelect(db, select);
    const successOnly = !config.signals.includes('access-denied');
    const expected = records
      .filter(
        (r) =>
          r.eventSource === 'secretsmanager.amazonaws.com' &&
          config.eventNames.includes(String(r.eventName)) &&
          (!successOnly || (!r.errorCode && !r.errorMessage)),
      )
      .map((r) => String(r.eventID))
      .sort();
    const selected = lines.map((l) => String((JSON.parse(l) as JsonRecord).eventid)).sort();
    expect(selected).toEqual(expected);
    expect(selected.length).toBeLessThan(records.length);

    const fromQuery = await alertsOf(
      readInputs(['-'], {
        stdin: gzipLines(lines),
        onError: (e) => {
          throw e;
        },
      }),
      config,
    );
    const fromSample = await alertsOf(
      records.map((record) => ({ record })),
      config,
    );
    expect(fromQuery.length).toBeGreaterThan(0);
    expect(fromQuery).toEqual(fromSample);
  });
});

function gzipLines(lines: string[]): NodeJS.ReadableStream {
  return Readable.from([gzipSync(lines.join('\n'))]);
}

describe('rsr replay --athena against local Athena and S3', () => {
  let athena: LocalServer;
  let s3: LocalServer;
  const objects = new Map<string, Buffer>();
  let polls = 0;

  beforeAll(async () => {
    athena = await startJsonService(async (operation, input) => {
      if (operation === 'StartQueryExecution') {
        const text = String(input.QueryString);
        const m =
          /^UNLOAD \(\n([\s\S]*)\n\)\nTO 's3:\/\/([^/]+)\/(.*)'\nWITH \(format = 'JSON', compression = 'GZIP'\)$/.exec(
            text,
          );
        if (!m) return { status: 400, body: { __type: 'InvalidRequestException', Message: 'not an UNLOAD' } };
        const lines = await runSelect(db, m[1] as string);
        objects.set(`${m[2]}/${m[3]}20261204_000000_00001_abcde_0001.gz`, gzipSync(lines.join('\n')));
        return { body: { QueryExecutionId: 'q-1' } };
      }
      if (operation === 'GetQueryExecution') {
        polls += 1;
        const state = polls < 2 ? 'RUNNING' : 'SUCCEEDED';
        return {
          body: {
            QueryExecution: {
              QueryExecutionId: 'q-1',
              Status: { State: state },
              Statistics: { DataScannedInBytes: 123456789 },
            },
          },
        };
      }
      return { status: 400, body: { __type: 'InvalidRequestException', Message: operation } };
    });
    s3 = await startS3(objects);
  });
  afterAll(async () => {
    await athena.close();
    await s3.close();
  });

  it('starts the UNLOAD, polls it, reads the output from S3 and gives the alerts of the sample', async () => {
    const env = {
      AWS_ENDPOINT_URL_ATHENA: athena.url,
      AWS_ENDPOINT_URL_S3: s3.url,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    };
    const args = ['--athena', '--athena-output', 's3://trail-results/rsr/', '--start', range.start, '--end', range.end];
    const r = await rsrAsync(['replay', ...args, '--json', '--preset', 'recommended'], { env });
    expect(r.stderr).toContain('scanned 0.123 GB');
    expect(r.code).toBe(0);
    const expected = rsr(['replay', 'sample', '--json', '--preset', 'recommended']);
    expect(r.stdout).toBe(expected.stdout);
    expect(athena.requests.map((q) => q.operation)).toEqual([
      'StartQueryExecution',
      'GetQueryExecution',
      'GetQueryExecution',
    ]);
    expect(s3.requests.map((q) => q.operation)).toEqual(['ListObjectsV2', 'GetObject']);
  }, 60_000);
});

it('prints the Athena text as locked in the golden file', () => {
  const runs: string[] = [];
  for (const preset of PRESETS) {
    const args = ['athena-sql', '--preset', preset, '--start', '2026-11-25T00:00:00Z', '--end', '2026-11-26T06:30:00Z'];
    runs.push(`$ rsr ${args.join(' ')}\n${rsr(args).stdout}`);
  }
  const org = [
    'athena-sql',
    '--days',
    '2',
    '--end',
    '2026-11-26T00:00:00Z',
    '--region',
    'eu-west-1,us-east-1',
    '--accounts',
    '111122223333,444455556666',
    '--athena-table',
    'security.org_trail',
    '--region-column',
    'region',
    '--account-column',
    'account',
    '--athena-output',
    's3://audit-results/rsr/',
  ];
  runs.push(`$ rsr ${org.join(' ')}\n${rsr(org).stdout}`);
  const bad = ['athena-sql', '--days', '1', '--accounts', "1111'; DROP TABLE x; --"];
  const refused = rsr(bad);
  runs.push(`$ rsr ${bad.join(' ')}\nexit ${refused.code}\n${refused.stderr}`);
  const actual = runs.join('\n');
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, actual);
  expect(actual).toBe(readFileSync(GOLDEN, 'utf8'));
});

describe('the candidate query against a brute-force oracle', () => {
  const REGIONS = ['eu-west-1', 'us-east-1', 'ap-south-2'];
  const ACCOUNTS = ['111122223333', '444455556666'];
  const T0 = Date.parse('2026-11-24T22:00:00Z');
  const weighted = <T>(...options: [T, number][]) =>
    fc.oneof(...options.map(([value, weight]) => ({ arbitrary: fc.constant(value), weight })));
  /** Seconds on or one second either side of a whole hour (midnights included): where range bugs show. */
  const onHourBoundary = (hours: number) =>
    fc
      .tuple(fc.integer({ min: 0, max: hours }), fc.integer({ min: -1, max: 1 }))
      .map(([h, d]) => Math.max(0, h * 3600 + d));
  const record = fc.record({
    eventsource: weighted(['secretsmanager.amazonaws.com', 6], ['kms.amazonaws.com', 1]),
    eventname: weighted(['GetSecretValue', 4], ['BatchGetSecretValue', 2], ['ListSecrets', 1]),
    errorcode: weighted([undefined, 6], ['', 1], ['AccessDenied', 1]),
    errormessage: weighted([undefined, 6], ['', 1], ['denied', 1]),
    second: onHourBoundary(8),
    awsregion: fc.constantFrom(...REGIONS),
    recipientaccountid: fc.constantFrom(...ACCOUNTS),
  });
  const query = fc.record({
    from: onHourBoundary(8),
    length: onHourBoundary(6).map((s) => Math.max(1, s)),
    eventNames: fc.subarray(['GetSecretValue', 'BatchGetSecretValue'], { minLength: 1 }),
    successOnly: fc.boolean(),
    regions: fc.oneof(
      { arbitrary: fc.constant<string[]>([]), weight: 2 },
      { arbitrary: fc.subarray(REGIONS), weight: 1 },
    ),
    accounts: fc.oneof(
      { arbitrary: fc.constant<string[]>([]), weight: 2 },
      { arbitrary: fc.subarray(ACCOUNTS), weight: 1 },
    ),
  });

  it('keeps exactly the records the first qualifier checks and the range would keep', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsr-duckdb-prop-'));
    let run = 0;
    let kept = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 5, maxLength: 40 }), query, async (rows, q) => {
        run += 1;
        const file = join(dir, `t${run}.jsonl`);
        const table = rows.map((r, i) => {
          const iso = `${new Date(T0 + r.second * 1000).toISOString().slice(0, 19)}Z`;
          const { second: _s, ...rest } = r;
          return { ...rest, eventid: `e${i}`, eventtime: iso, timestamp: iso.slice(0, 10).replaceAll('-', '/') };
        });
        writeFileSync(file, table.map((r) => JSON.stringify(r)).join('\n'));
        await db.run(
          `CREATE OR REPLACE TABLE prop AS SELECT * FROM read_json('${file}', format = 'newline_delimited', columns = {eventid: 'VARCHAR', eventtime: 'VARCHAR', eventsource: 'VARCHAR', eventname: 'VARCHAR', awsregion: 'VARCHAR', sourceipaddress: 'VARCHAR', useragent: 'VARCHAR', errorcode: 'VARCHAR', errormessage: 'VARCHAR', requestparameters: 'VARCHAR', recipientaccountid: 'VARCHAR', vpcendpointid: 'VARCHAR', sessioncredentialfromconsole: 'VARCHAR', useridentity: 'STRUCT(type VARCHAR)', timestamp: 'VARCHAR'})`,
        );
        const start = T0 + q.from * 1000;
        const end = start + q.length * 1000;
        const select = candidateSelect({ table: 'prop', start, end, timestampColumn: 'timestamp', ...q });
        const got =
          rows.length === 0 ? [] : (await runSelect(db, select)).map((l) => String(JSON.parse(l).eventid)).sort();
        const want = table
          .filter((r, i) => {
            const t = T0 + (rows[i] as { second: number }).second * 1000;
            return (
              r.eventsource === 'secretsmanager.amazonaws.com' &&
              q.eventNames.includes(r.eventname) &&
              (!q.successOnly || (!r.errorcode && !r.errormessage)) &&
              t >= start &&
              t < end &&
              (q.regions.length === 0 || q.regions.includes(r.awsregion)) &&
              (q.accounts.length === 0 || q.accounts.includes(r.recipientaccountid))
            );
          })
          .map((r) => r.eventid)
          .sort();
        expect(got).toEqual(want);
        kept += want.length;
      }),
      { numRuns: 100 },
    );
    // The generators are biased so that most runs keep some records: the comparison is not vacuous.
    expect(kept).toBeGreaterThan(20);
  }, 120_000);
});

it("reports a failed Athena query with Athena's reason and reads nothing", async () => {
  const server = await startJsonService((operation) =>
    operation === 'StartQueryExecution'
      ? { body: { QueryExecutionId: 'q-9' } }
      : { body: { QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'TABLE_NOT_FOUND: line 2:6' } } } },
  );
  try {
    const athena = new AthenaClient({ region: 'eu-west-1', endpoint: server.url });
    const run = runAthena({ athena, statement: 'SELECT 1', now: () => 0, sleep: async () => {} });
    await expect(run).rejects.toEqual(new AthenaError('query q-9 FAILED: TABLE_NOT_FOUND: line 2:6'));
    await expect(run).rejects.toBeInstanceOf(AthenaError);
  } finally {
    await server.close();
  }
});
