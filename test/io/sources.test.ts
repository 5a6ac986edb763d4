/**
 * CloudTrail wherever it lives: the same 21 real records (Stratus Red Team: 20 GetSecretValue and a ListSecrets) in
 * the S3 layout, as `lookup-events` output, as Firehose objects (back-to-back JSON, gzip, no extension), as SQL
 * export rows (lowercase, flattened, space-separated times) and as CloudTrail Lake rows must give the same alert.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { readInputs, type SkippedFile, splitConcatenated } from '../../lib/adapters/io/read';
import type { Alert } from '../../lib/engine/alert';
import type { InputError } from '../../lib/engine/errors';
import { parseEventTime } from '../../lib/engine/records';
import { replay } from '../../lib/usecases/replay';
import { testConfig } from '../support/records';

type JsonRecord = Record<string, unknown>;
const FIXTURES = join(__dirname, '..', 'fixtures');
const records = JSON.parse(
  readFileSync(join(FIXTURES, 'stratus-red-team/secretsmanager-retrieve-secrets.json'), 'utf8'),
) as JsonRecord[];

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'rsr-sources-'));
}

async function run(paths: string[]) {
  const errors: InputError[] = [];
  const skippedFiles: SkippedFile[] = [];
  const items = readInputs(paths, { onError: (e) => errors.push(e), onSkippedFile: (f) => skippedFiles.push(f) });
  const result = await replay(items, testConfig());
  const alerts = result.notifications.filter((n): n is Alert => n.kind === 'alert');
  return { result, alerts, errors, skippedFiles };
}

/** A record as an Athena UNLOAD / SQL export writes it: lowercase names, flattened identity, JSON text, SQL times. */
function sqlRow(record: JsonRecord): JsonRecord {
  const row: JsonRecord = {};
  for (const [key, value] of Object.entries(record)) {
    if (key === 'userIdentity') {
      for (const [k, v] of Object.entries(value as JsonRecord)) row[`useridentity.${k.toLowerCase()}`] = v;
    } else if (key === 'requestParameters' || key === 'responseElements') {
      row[key.toLowerCase()] = value === null ? null : JSON.stringify(value);
    } else if (key === 'eventTime') {
      row.eventtime = String(value).replace('T', ' ').replace('Z', '.000000000');
    } else {
      row[key.toLowerCase()] = value;
    }
  }
  return row;
}

describe('one engine over every CloudTrail layout', () => {
  let baseline: Alert[];

  beforeAll(async () => {
    const root = dir();
    writeFileSync(join(root, 's3.json'), JSON.stringify({ Records: records }));
    baseline = (await run([join(root, 's3.json')])).alerts;
    expect(baseline).toHaveLength(1);
  });

  it('reads lookup-events output (Events[].CloudTrailEvent) into the same alert', async () => {
    const root = dir();
    const events = records.map((r) => ({
      EventId: r.eventID,
      EventName: r.eventName,
      ReadOnly: 'true',
      EventTime: r.eventTime,
      EventSource: r.eventSource,
      CloudTrailEvent: JSON.stringify(r),
    }));
    writeFileSync(join(root, 'lookup.json'), JSON.stringify({ Events: events }, null, 4));
    const { alerts, result } = await run([join(root, 'lookup.json')]);
    expect(alerts).toEqual(baseline);
    expect(result.stats.received).toBe(21);
    expect(result.stats.skipped['missing-eventTime']).toBe(0);
  });

  it('reads Firehose objects (back-to-back JSON, gzip or not, no extension) found by a directory walk', async () => {
    const root = dir();
    const envelopes = records.map((detail) => ({
      version: '0',
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.secretsmanager',
      detail,
    }));
    const day = join(root, '2024', '07', '31', '12');
    mkdirSync(day, { recursive: true });
    writeFileSync(
      join(day, 'stream-1-2024-07-31-12-36-48-a'),
      envelopes
        .slice(0, 7)
        .map((e) => JSON.stringify(e))
        .join(''),
    );
    writeFileSync(
      join(day, 'stream-1-2024-07-31-12-36-49-b.gz'),
      gzipSync(
        envelopes
          .slice(7, 14)
          .map((e) => JSON.stringify(e, null, 2))
          .join(''),
      ),
    );
    writeFileSync(
      join(day, 'stream-1-2024-07-31-12-36-50-c'),
      gzipSync(
        envelopes
          .slice(14)
          .map((e) => JSON.stringify(e))
          .join('\n'),
      ),
    );
    writeFileSync(join(day, 'manifest.csv'), 'a,b\n');
    writeFileSync(join(day, 'blob'), 'PAR1....');
    const { alerts, result, skippedFiles, errors } = await run([root]);
    expect(errors).toEqual([]);
    expect(alerts).toEqual(baseline);
    expect(result.stats.received).toBe(21);
    expect(skippedFiles.map((f) => f.reason)).toEqual([
      'not JSON (starts with "PAR1....")',
      'extension not read (.csv; reads .json, .jsonl, .ndjson, .gz or no extension)',
    ]);
  });

  it('reads SQL export rows (lowercase, flattened names, JSON text, times without T or zone)', async () => {
    const root = dir();
    writeFileSync(join(root, 'export'), records.map((r) => JSON.stringify(sqlRow(r))).join('\n'));
    const { alerts, result } = await run([root]);
    expect(alerts).toEqual(baseline);
    expect(result.stats.skipped['invalid-eventTime']).toBe(0);
  });

  it('reads CloudTrail Lake query results', async () => {
    const root = dir();
    const rows = records.map((r) =>
      Object.entries(r).map(([k, v]) => ({ [k]: typeof v === 'object' && v !== null ? JSON.stringify(v) : v })),
    );
    writeFileSync(join(root, 'lake.json'), JSON.stringify({ QueryStatus: 'FINISHED', QueryResultRows: rows }));
    const { alerts } = await run([join(root, 'lake.json')]);
    expect(alerts).toEqual(baseline);
  });

  it('skips a digest file under its own reason, and other services before their shape is checked', async () => {
    const root = dir();
    const digest = {
      awsAccountId: '111122223333',
      digestStartTime: '2024-07-31T12:00:00Z',
      digestEndTime: '2024-07-31T13:00:00Z',
      digestS3Bucket: 'trail-bucket',
      logFiles: [],
    };
    writeFileSync(join(root, 'digest.json.gz'), gzipSync(JSON.stringify(digest)));
    writeFileSync(join(root, 'other.json'), JSON.stringify({ Records: [{ eventSource: 's3.amazonaws.com' }] }));
    const { result } = await run([root]);
    expect(result.stats.skipped['cloudtrail-digest']).toBe(1);
    expect(result.stats.skipped['other-service']).toBe(1);
    expect(result.stats.skipped['missing-eventTime']).toBe(0);
  });
});

describe('readers, against oracles', () => {
  it('splitConcatenated gives back any list of objects written back to back with any whitespace', () => {
    const json = fc.jsonValue().map((v) => ({ v }));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(json, fc.constantFrom('', ' ', '\n', '\r\n', '\t\n  ')), { minLength: 1 }),
        fc.boolean(),
        (parts, pretty) => {
          const text = parts.map(([v, sep]) => JSON.stringify(v, null, pretty ? 2 : undefined) + sep).join('');
          expect(splitConcatenated(text)).toEqual(parts.map(([v]) => JSON.parse(JSON.stringify(v))));
        },
      ),
    );
  });

  it('reads a space-separated time without zone as the UTC instant Date gives for the ISO form', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 9 }),
        (date, digits) => {
          const iso = date.toISOString();
          const fraction = digits === 0 ? '' : `.${iso.slice(20, 23).padEnd(digits, '0').slice(0, digits)}`;
          const sql = `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction}`;
          const expected =
            digits === 0 ? Math.floor(date.getTime() / 1000) * 1000 : parseEventTime(`${iso.slice(0, 19)}${fraction}Z`);
          expect(parseEventTime(sql)).toBe(expected);
        },
      ),
    );
  });
});
