import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import {
  countInputs,
  type ReadOptions,
  readInputBatches,
  readInputs,
  type SkippedFile,
  STDIN_SOURCE,
} from '../../lib/adapters/io/read';
import { InputError } from '../../lib/engine/errors';
import type { SkipReason } from '../../lib/engine/event';
import { toAccessEvent } from '../../lib/engine/records';

const FIXTURES = join(__dirname, '..', 'fixtures');
const INPUT = join(FIXTURES, 'input');
const STRATUS = join(FIXTURES, 'stratus-red-team');

function fixture(name: string): Buffer {
  return readFileSync(join(INPUT, name));
}

/** Deterministic gzip (no file name or time in the header). */
function gzip(data: Buffer | string): Buffer {
  return gzipSync(data, { level: 6 });
}

interface Collected {
  /** eventID of each record (or a marker when it has none), in order. */
  readonly ids: string[];
  readonly sources: string[];
  readonly skips: SkipReason[];
  readonly errors: InputError[];
}

async function collect(paths: string[], options: Partial<ReadOptions> = {}): Promise<Collected> {
  const result: Collected = { ids: [], sources: [], skips: [], errors: [] };
  for await (const item of readInputs(paths, { onError: (error) => result.errors.push(error), ...options })) {
    if ('skip' in item) {
      result.skips.push(item.skip);
      continue;
    }
    const parsed = toAccessEvent(item.record);
    result.ids.push(parsed.ok ? parsed.value.eventId : `skip:${parsed.reason}`);
    result.sources.push(item.source);
  }
  return result;
}

const S3_IDS = [
  '7d3e9a10-0000-4000-8000-000000000001',
  '7d3e9a10-0000-4000-8000-000000000002',
  '7d3e9a10-0000-4000-8000-000000000003',
];
const [ID1, ID2, ID3] = S3_IDS as [string, string, string];

let dir: string;
let caseNumber = 0;

/** A fresh directory per test, under one temporary root removed at the end. */
function caseDir(): string {
  caseNumber += 1;
  const path = join(dir, `case-${caseNumber}`);
  mkdirSync(path, { recursive: true });
  return path;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rsr-inputs-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('readInputs', () => {
  it('reads a gzipped CloudTrail S3 log file', async () => {
    // Prepare
    const path = join(caseDir(), '111122223333_CloudTrail_us-east-1_20240731T1235Z_abc.json.gz');
    writeFileSync(path, gzip(fixture('cloudtrail-s3-log.json')));

    // Act
    const result = await collect([path]);

    // Assess
    expect(result).toEqual({ ids: S3_IDS, sources: [path, path, path], skips: [], errors: [] });
  });

  it('recognises gzip by its magic bytes, not by the file name', async () => {
    // Prepare
    const folder = caseDir();
    const gzippedAsJson = join(folder, 'a-gzipped.json');
    const plainAsGz = join(folder, 'b-plain.json.gz');
    const gzippedLines = join(folder, 'c-gzipped-lines.log');
    writeFileSync(gzippedAsJson, gzip(fixture('cloudtrail-s3-log.json')));
    writeFileSync(plainAsGz, fixture('eventbridge-event.json'));
    writeFileSync(gzippedLines, gzip(fixture('eventbridge-events.jsonl')));

    // Act
    const result = await collect([gzippedAsJson, plainAsGz, gzippedLines]);

    // Assess
    expect(result.ids).toEqual([...S3_IDS, ID2, ID1, ID3]);
    expect(result.errors).toEqual([]);
  });

  it('streams EventBridge JSON Lines, skipping blank lines and non-CloudTrail envelopes', async () => {
    // Prepare
    const path = join(INPUT, 'eventbridge-events.jsonl');

    // Act
    const result = await collect([path]);

    // Assess
    expect(result.ids).toEqual([ID1, ID3]);
    expect(result.skips).toEqual(['not-a-cloudtrail-envelope']);
    expect(result.errors).toEqual([]);
  });

  it('reads single envelopes, envelope arrays, pretty-printed files and Stratus arrays', async () => {
    // Prepare
    const paths = [
      join(INPUT, 'eventbridge-event.json'),
      join(INPUT, 'eventbridge-events-array.json'),
      join(INPUT, 'pretty-printed-s3-log.json'),
      join(STRATUS, 'secretsmanager-batch-retrieve-secrets.json'),
    ];

    // Act
    const result = await collect(paths);

    // Assess
    expect(result.ids.slice(0, 5)).toEqual([ID2, ID1, ID2, ID1, ID3]);
    expect(result.ids).toHaveLength(10);
    expect(result.skips).toEqual(['not-a-cloudtrail-envelope']);
    expect(result.errors).toEqual([]);
  });

  it('walks a directory recursively in sorted order, skipping hidden entries and other extensions', async () => {
    // Prepare
    const root = caseDir();
    const day = join(root, 'AWSLogs', '111122223333', 'CloudTrail', 'us-east-1', '2024', '07', '31');
    mkdirSync(day, { recursive: true });
    mkdirSync(join(root, '.cache'));
    mkdirSync(join(root, 'b-events'));
    writeFileSync(join(day, 'b.json.gz'), gzip(JSON.stringify({ Records: [{ eventID: 'b' }] })));
    writeFileSync(join(day, 'a.json.gz'), gzip(JSON.stringify({ Records: [{ eventID: 'a' }] })));
    writeFileSync(join(day, 'a.json.gz.tmp'), 'not an input');
    writeFileSync(join(root, 'b-events', 'c.jsonl'), '{"eventID":"c"}\n');
    writeFileSync(join(root, 'b-events', 'd.ndjson.gz'), gzip('{"eventID":"d"}\n'));
    writeFileSync(join(root, 'B-upper.JSON'), '{"eventID":"B"}');
    writeFileSync(join(root, '.hidden.json'), '{"eventID":"hidden"}');
    writeFileSync(join(root, '.cache', 'e.json'), '{"eventID":"cached"}');
    writeFileSync(join(root, 'notes.txt'), '{"eventID":"txt"}');
    writeFileSync(join(root, 'z.json'), '{"eventID":"z"}');
    const seen: string[] = [];
    const skipped: string[] = [];

    // Act
    const options = {
      onError: (error: InputError) => seen.push(error.message),
      onSkippedFile: (file: SkippedFile) => skipped.push(`${relative(root, file.path)}: ${file.reason}`),
    };
    for await (const item of readInputs([root], options)) {
      if ('record' in item) seen.push((item.record as { eventID: string }).eventID);
    }

    // Assess
    expect(seen).toEqual(['a', 'b', 'B', 'c', 'd', 'z']);
    expect(skipped).toEqual([
      'AWSLogs/111122223333/CloudTrail/us-east-1/2024/07/31/a.json.gz.tmp: extension not read (.tmp; reads .json, .jsonl, .ndjson, .gz or no extension)',
      'notes.txt: extension not read (.txt; reads .json, .jsonl, .ndjson, .gz or no extension)',
    ]);
  });

  it('reads stdin for "-", plain or gzipped, in any chunking', async () => {
    // Prepare
    const lines = fixture('eventbridge-events.jsonl');
    const oneByteChunks = Readable.from([...lines].map((byte) => Buffer.from([byte])));
    const gzipped = Readable.from([gzip(lines)]);
    const pretty = Readable.from([fixture('pretty-printed-s3-log.json').toString('utf8')]);

    // Act
    const results = [
      await collect(['-'], { stdin: oneByteChunks }),
      await collect(['-'], { stdin: gzipped }),
      await collect(['-'], { stdin: pretty }),
    ];

    // Assess
    expect(results.map((result) => result.ids)).toEqual([
      [ID1, ID3],
      [ID1, ID3],
      [ID1, ID3],
    ]);
    expect(results[0]?.sources).toEqual([STDIN_SOURCE, STDIN_SOURCE]);
    expect(results.flatMap((result) => result.errors)).toEqual([]);
  });

  it('reports a corrupt .gz file and goes on with the others', async () => {
    // Prepare
    const folder = caseDir();
    const good = join(folder, 'a-good.json.gz');
    const corrupt = join(folder, 'b-corrupt.json.gz');
    const goodLines = join(folder, 'c-good.jsonl.gz');
    writeFileSync(good, gzip(fixture('cloudtrail-s3-log.json')));
    const damaged = Buffer.from(gzip(fixture('cloudtrail-s3-log.json')));
    damaged.fill(0xff, 12, 60);
    writeFileSync(corrupt, damaged);
    writeFileSync(goodLines, gzip(fixture('eventbridge-events.jsonl')));

    // Act
    const result = await collect([good, corrupt, goodLines]);

    // Assess
    expect(result.ids).toEqual([...S3_IDS, ID1, ID3]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toBeInstanceOf(InputError);
    expect(result.errors[0]?.path).toBe(corrupt);
    expect(result.errors[0]?.message).toMatch(/corrupt gzip data/);
    expect(result.errors[0]?.cause).toBeDefined();
  });

  it('reports a truncated .json.gz file without yielding any of its records', async () => {
    // Prepare
    const path = join(caseDir(), 'truncated.json.gz');
    const whole = gzip(fixture('cloudtrail-s3-log.json'));
    writeFileSync(path, whole.subarray(0, whole.length - 100));

    // Act
    const result = await collect([path]);

    // Assess
    expect(result.ids).toEqual([]);
    expect(result.errors.map((error) => error.message)).toEqual([
      `${path}: truncated gzip data (unexpected end of file)`,
    ]);
  });

  it('keeps the lines read before the cut of a truncated .jsonl.gz and reports the file', async () => {
    // Prepare
    const path = join(caseDir(), 'truncated.jsonl.gz');
    const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ eventID: `e${i}`, pad: 'x'.repeat(200) }));
    const whole = gzip(`${lines.join('\n')}\n`);
    writeFileSync(path, whole.subarray(0, Math.floor(whole.length * 0.9)));
    const records: string[] = [];
    const errors: InputError[] = [];

    // Act
    for await (const item of readInputs([path], { onError: (error) => errors.push(error) })) {
      if ('record' in item) records.push((item.record as { eventID: string }).eventID);
    }

    // Assess
    expect(records.length).toBeGreaterThan(0);
    expect(records.length).toBeLessThan(2000);
    expect(records).toEqual(lines.slice(0, records.length).map((_, i) => `e${i}`));
    expect(errors.map((error) => error.message)).toEqual([`${path}: truncated gzip data (unexpected end of file)`]);
  });

  it('counts a JSON line that does not parse and reads the rest of the file', async () => {
    // Prepare
    const path = join(INPUT, 'records-with-bad-line.jsonl');

    // Act
    const result = await collect([path]);

    // Assess
    expect(result.ids).toEqual(S3_IDS);
    expect(result.skips).toEqual(['unparsable-json']);
    expect(result.errors).toEqual([]);
  });

  it('reads JSON Lines whose first line is broken as JSON Lines, without buffering the file', async () => {
    // Prepare
    const folder = caseDir();
    const good = fixture('records-with-bad-line.jsonl').toString('utf8').split('\n');
    const brokenFirst = [good[1], good[0], good[2], good[3]].join('\n');
    const asLines = join(folder, 'broken-first.jsonl');
    const asJson = join(folder, 'broken-first.json');
    writeFileSync(asLines, brokenFirst);
    writeFileSync(asJson, brokenFirst);

    // Act
    const results = [await collect([asLines]), await collect([asJson])];

    // Assess
    for (const result of results) {
      expect(result.ids).toEqual(S3_IDS);
      expect(result.skips).toEqual(['unparsable-json']);
      expect(result.errors).toEqual([]);
    }
  });

  it('handles CRLF line ends and a byte-order mark', async () => {
    // Prepare
    const folder = caseDir();
    const lines = fixture('eventbridge-events.jsonl').toString('utf8').replaceAll('\n', '\r\n');
    const streamed = join(folder, 'windows.jsonl');
    const whole = join(folder, 'windows.json');
    writeFileSync(streamed, `\ufeff${lines}`);
    writeFileSync(whole, `\ufeff${fixture('cloudtrail-s3-log.json').toString('utf8')}`);

    // Act
    const result = await collect([streamed, whole]);

    // Assess
    expect(result.ids).toEqual([ID1, ID3, ...S3_IDS]);
    expect(result.errors).toEqual([]);
  });

  it.each<[string, string, RegExp]>([
    ['broken.json', '{"Records": [{"eventID": "a"}', /not valid JSON/],
    [
      'pretty-broken.json',
      '{\n  "Records": [\n    {"eventID": "a"},\n    {"eventID"',
      /neither a JSON document nor JSON Lines/,
    ],
    ['garbage.jsonl', 'this is\nnot json\nat all\n', /no line parses/],
    [
      'pretty-broken.jsonl',
      '{\n  "Records": [\n    {"eventID": "a"},\n    {"eventID"',
      /neither a JSON document nor JSON Lines/,
    ],
    ['one-broken-line.jsonl', '{"eventID": "a"', /not valid JSON/],
  ])('reports %s, which is neither JSON nor JSON Lines, as an InputError', async (name, content, message) => {
    // Prepare
    const path = join(caseDir(), name);
    writeFileSync(path, content);

    // Act
    const result = await collect([path]);

    // Assess
    expect(result.ids).toEqual([]);
    expect(result.skips).toEqual([]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]?.message).toMatch(message);
  });

  it('reports paths that do not exist and reads the rest', async () => {
    // Prepare
    const missing = join(caseDir(), 'missing.json.gz');
    const good = join(INPUT, 'eventbridge-event.json');

    // Act
    const result = await collect([missing, good]);

    // Assess
    expect(result.ids).toEqual([ID2]);
    expect(result.errors.map((error) => [error.name, error.path, error.message])).toEqual([
      ['InputError', missing, `${missing}: no such file or directory`],
    ]);
  });

  it('reads nothing, and reports nothing, from empty and blank files', async () => {
    // Prepare
    const folder = caseDir();
    writeFileSync(join(folder, 'empty.json'), '');
    writeFileSync(join(folder, 'blank.jsonl'), '\n  \n\n');
    writeFileSync(join(folder, 'empty.json.gz'), gzip(''));

    // Act
    const result = await collect([folder]);

    // Assess
    expect(result).toEqual({ ids: [], sources: [], skips: [], errors: [] });
  });

  it('skips a JSON line over the size limit and goes on', async () => {
    // Prepare
    const path = join(caseDir(), 'long-line.jsonl');
    const long = JSON.stringify({ eventID: 'long', pad: 'x'.repeat(5000) });
    writeFileSync(path, ['{"eventID":"a"}', long, '{"eventID":"b"}', long].join('\n'));
    const ids: string[] = [];
    const skips: SkipReason[] = [];

    // Act
    for await (const item of readInputs([path], { onError: () => {}, maxDocumentBytes: 1000 })) {
      if ('skip' in item) skips.push(item.skip);
      else ids.push((item.record as { eventID: string }).eventID);
    }

    // Assess
    expect(ids).toEqual(['a', 'b']);
    expect(skips).toEqual(['unparsable-json', 'unparsable-json']);
  });

  it('reports a document over the size limit; a large gzipped .json of JSON Lines is streamed instead', async () => {
    // Prepare
    const folder = caseDir();
    const bigDocument = join(folder, 'big.json.gz');
    writeFileSync(bigDocument, gzip(JSON.stringify({ Records: Array(200).fill({ eventID: 'x' }) })));
    const manyLines = join(folder, 'many-lines.json.gz');
    writeFileSync(manyLines, gzip(Array(200).fill('{"eventID":"y"}').join('\n')));

    // Act
    const result = await collect([bigDocument, manyLines], { maxDocumentBytes: 1000 });

    // Assess
    expect(result.sources).toHaveLength(200);
    expect(result.errors.map((error) => error.message)).toEqual([
      `${bigDocument}: a line before the format is known is larger than 1000 bytes`,
    ]);
  });

  it('closes the file when the consumer stops early, plain or gzipped', async () => {
    // Prepare
    const folder = caseDir();
    const lines = Array.from({ length: 50_000 }, (_, i) => `{"eventID":"e${i}"}`).join('\n');
    const plain = join(folder, 'many.jsonl');
    const gzipped = join(folder, 'many.jsonl.gz');
    writeFileSync(plain, lines);
    writeFileSync(gzipped, gzip(lines));
    // Linux shows open descriptors in /proc; elsewhere only the early stop itself is checked.
    const openFiles = (): number => (existsSync('/proc/self/fd') ? readdirSync('/proc/self/fd').length : 0);
    const before = openFiles();
    const taken: number[] = [];

    // Act
    for (let round = 0; round < 10; round += 1) {
      for (const path of [plain, gzipped]) {
        let count = 0;
        for await (const item of readInputs([path], { onError: () => {} })) {
          if ('record' in item) count += 1;
          if (count === 3) break;
        }
        taken.push(count);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));

    // Assess
    expect(taken).toEqual(Array(20).fill(3));
    expect(openFiles()).toBeLessThanOrEqual(before);
  });

  it('reports cumulative progress in stored bytes that ends at countInputs', async () => {
    // Prepare
    const folder = caseDir();
    copyFileSync(join(INPUT, 'cloudtrail-s3-log.json'), join(folder, 'a.json'));
    writeFileSync(join(folder, 'b.jsonl.gz'), gzip(fixture('eventbridge-events.jsonl')));
    writeFileSync(join(folder, 'c.json.gz'), gzip(fixture('eventbridge-events-array.json')));
    const truncated = gzip(fixture('cloudtrail-s3-log.json'));
    writeFileSync(join(folder, 'd-truncated.json.gz'), truncated.subarray(0, truncated.length - 50));
    const reports: [number, string][] = [];

    // Act
    const summary = await countInputs([folder]);
    await collect([folder], { onProgress: (bytesDone, source) => reports.push([bytesDone, source]) });

    // Assess
    expect(summary.inputs).toBe(4);
    expect(summary.sizeKnown).toBe(true);
    expect(reports.at(-1)?.[0]).toBe(summary.bytes);
    const totals = reports.map(([bytesDone]) => bytesDone);
    expect(totals).toEqual([...totals].sort((a, b) => a - b));
    expect([...new Set(reports.map(([, source]) => source))]).toEqual(
      ['a.json', 'b.jsonl.gz', 'c.json.gz', 'd-truncated.json.gz'].map((name) => join(folder, name)),
    );
  });

  it('counts stdin as an input of unknown size and ignores missing paths', async () => {
    // Prepare
    const paths = [join(INPUT, 'eventbridge-event.json'), '-', join(INPUT, 'no-such-file.json')];

    // Act
    const summary = await countInputs(paths);

    // Assess
    expect(summary).toEqual({
      inputs: 2,
      bytes: fixture('eventbridge-event.json').length,
      sizeKnown: false,
    });
  });

  it('streams a large gzipped JSON Lines file in batches', async () => {
    // Prepare
    const path = join(caseDir(), 'large.jsonl.gz');
    const record = JSON.parse(fixture('records-with-bad-line.jsonl').toString('utf8').split('\n')[0] as string);
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i += 1) lines.push(JSON.stringify({ ...record, eventID: `id-${i}` }));
    writeFileSync(path, gzip(lines.join('\n')));
    let batches = 0;
    let records = 0;
    let largestBatch = 0;
    const errors: InputError[] = [];

    // Act
    for await (const batch of readInputBatches([path], { onError: (error) => errors.push(error) })) {
      batches += 1;
      records += batch.records.length;
      largestBatch = Math.max(largestBatch, batch.records.length);
    }

    // Assess
    expect(errors).toEqual([]);
    expect(records).toBe(20_000);
    expect(batches).toBeGreaterThan(10);
    expect(largestBatch).toBeLessThan(20_000);
  });
});
