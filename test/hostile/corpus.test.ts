/**
 * Hostile input, corpus-based: named cases (test/fixtures/hostile/corpus.json) plus inputs too big to keep as files
 * (1 MB strings, 10 000 levels of nesting), each through the ingest entry points: Detector.ingest on the records,
 * handleIngest with the document as an EventBridge event, and handleIngest with it as an SQS message body. Every
 * path must report the same totals, skip each bad record under its named reason, and never throw.
 */

import { MemoryWindowStore } from '../../lib/adapters/store/memory';
import { Detector, type IngestStats } from '../../lib/engine/detector';
import type { SkipReason } from '../../lib/engine/event';
import { STRING_MAX_CHARS, toAccessEvent, USER_AGENT_MAX_CHARS, unwrapDocument } from '../../lib/engine/records';
import { bucketOf } from '../../lib/engine/window';
import { handleIngest } from '../../lib/usecases/ingest';
import {
  BASE_NOW,
  baseRecord,
  envelope,
  expectBalanced,
  nonZeroSkips,
  readFixture,
  recordingTelemetry,
  sqsBatch,
} from '../support/hostile';
import { testConfig } from '../support/records';

interface Expectation {
  readonly received: number;
  readonly counted?: number;
  readonly late?: number;
  readonly skipped?: Partial<Record<SkipReason, number>>;
}

interface CorpusCase {
  readonly name: string;
  readonly set?: Record<string, unknown>;
  readonly delete?: string[];
  readonly document?: unknown;
  readonly expect: Expectation;
}

const corpus = readFixture<CorpusCase[]>('hostile', 'corpus.json');
const detector = new Detector(testConfig());

/** Sets or deletes a dotted path as JSON.parse would build it: own data properties, `__proto__` included. */
function patched(c: CorpusCase): Record<string, unknown> {
  const record = baseRecord();
  const parent = (path: string) => {
    const parts = path.split('.');
    let target = record;
    for (const part of parts.slice(0, -1)) target = target[part] as Record<string, unknown>;
    return { target, key: parts[parts.length - 1] as string };
  };
  for (const [path, value] of Object.entries(c.set ?? {})) {
    const { target, key } = parent(path);
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  }
  for (const path of c.delete ?? []) {
    const { target, key } = parent(path);
    delete target[key];
  }
  return record;
}

/** The document a case stands for, as it would arrive from a file, a rule or a queue. */
function documentOf(c: CorpusCase): { document: unknown; wrapped: unknown } {
  if ('document' in c) return { document: c.document, wrapped: c.document };
  const record = patched(c);
  return { document: record, wrapped: envelope(record) };
}

function expectStats(stats: IngestStats, e: Expectation): void {
  expectBalanced(stats);
  expect({
    received: stats.received,
    counted: stats.counted,
    late: stats.late,
    skipped: nonZeroSkips(stats),
  }).toEqual({ received: e.received, counted: e.counted ?? 0, late: e.late ?? 0, skipped: e.skipped ?? {} });
}

async function viaDetector(document: unknown): Promise<IngestStats> {
  const { records, skipped } = unwrapDocument(document);
  const stats = await detector.ingest(new MemoryWindowStore(), records, BASE_NOW);
  for (const reason of skipped) {
    stats.received++;
    stats.skipped[reason]++;
  }
  return stats;
}

async function viaEventBridge(event: unknown): Promise<IngestStats> {
  const { telemetry } = recordingTelemetry();
  const result = await handleIngest(event, { detector, store: new MemoryWindowStore(), telemetry }, BASE_NOW);
  if ('batchItemFailures' in result) throw new Error('read as an SQS batch');
  return result;
}

async function viaSqs(bodies: readonly string[]): Promise<{ stats: IngestStats; failures: number }> {
  const { telemetry, lastStats } = recordingTelemetry();
  const result = await handleIngest(
    sqsBatch(bodies),
    { detector, store: new MemoryWindowStore(), telemetry },
    BASE_NOW,
  );
  if (!('batchItemFailures' in result)) throw new Error('not read as an SQS batch');
  return { stats: lastStats() as IngestStats, failures: result.batchItemFailures.length };
}

describe(`hostile corpus (${corpus.length} cases) through Detector.ingest, EventBridge and SQS`, () => {
  it.each(corpus.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    // Prepare
    const { document, wrapped } = documentOf(c);
    // Act
    const direct = await viaDetector(document);
    const eventBridge = await viaEventBridge(wrapped);
    const sqs = await viaSqs([JSON.stringify(wrapped)]);
    // Assess
    expectStats(direct, c.expect);
    expectStats(eventBridge, c.expect);
    expectStats(sqs.stats, c.expect);
    expect(sqs.failures).toBe(0);
  });

  it('counts the good records of one SQS batch that carries every corpus case, and fails no message', async () => {
    // Prepare
    const bodies = corpus.map((c) => JSON.stringify(documentOf(c).wrapped));
    const expected = corpus.reduce((n, c) => n + (c.expect.counted ?? 0), 0);
    // Act
    const { stats, failures } = await viaSqs([...bodies, '{"truncated":', '', '\u0000\u00ff']);
    // Assess
    expectBalanced(stats);
    expect(failures).toBe(0);
    // Several good cases share the base record's eventID: the store counts that id once per minute bucket.
    expect(stats.counted + stats.duplicates).toBe(expected);
    expect(stats.skipped['unparsable-json']).toBe(3);
  });
});

const MB = 1 << 20;

describe('1 MB strings', () => {
  const huge = (c: string) => c.repeat(MB);

  it.each([
    ['userAgent', 'counted'],
    ['sourceIPAddress', 'counted'],
    ['awsRegion', 'counted'],
    ['eventID', 'counted'],
    ['userIdentity.principalId', 'counted'],
    ['userIdentity.arn', 'counted'],
    ['requestParameters.secretId', 'counted'],
    ['eventName', 'other-api'],
    ['eventSource', 'other-service'],
    ['errorCode', 'failed-call'],
    ['eventTime', 'invalid-eventTime'],
  ] as const)('in %s: %s, and nothing kept is longer than the caps', async (path, outcome) => {
    // Prepare
    const record = baseRecord();
    const parts = path.split('.');
    let target = record;
    for (const part of parts.slice(0, -1)) target = target[part] as Record<string, unknown>;
    target[parts[parts.length - 1] as string] = huge('é');
    // Act
    const parsed = toAccessEvent(record);
    const stats = await viaEventBridge(envelope(record));
    // Assess
    expectBalanced(stats);
    if (outcome === 'counted') expect(stats.counted).toBe(1);
    else expect(stats.skipped[outcome]).toBe(1);
    if (parsed.ok) {
      const e = parsed.value;
      expect(e.userAgent.length).toBeLessThanOrEqual(USER_AGENT_MAX_CHARS);
      for (const s of [e.eventId, e.eventName, e.sourceIp, e.awsRegion, e.identity.principalId, ...e.secretIds]) {
        expect(s.length).toBeLessThanOrEqual(STRING_MAX_CHARS);
      }
    }
  });

  it('keeps two 1 MB eventIDs that differ only at the end apart (no capped collision)', async () => {
    // Prepare
    const a = baseRecord();
    const b = baseRecord();
    a.eventID = `${huge('x')}a`;
    b.eventID = `${huge('x')}b`;
    // Act
    const stats = await detector.ingest(new MemoryWindowStore(), [a, b, a], BASE_NOW);
    // Assess
    expect({ counted: stats.counted, duplicates: stats.duplicates }).toEqual({ counted: 2, duplicates: 1 });
  });
});

describe('deep nesting (JSON.parse copes; our code must not recurse without bound)', () => {
  const DEPTH = 10_000;
  const nestedObject = (leaf: string) => `${'{"a":'.repeat(DEPTH)}${leaf}${'}'.repeat(DEPTH)}`;
  const nestedArray = (leaf: string) => `${'['.repeat(DEPTH)}${leaf}${']'.repeat(DEPTH)}`;
  const base = JSON.stringify(baseRecord());
  /** The base record as JSON text with `field` replaced by `value` (raw JSON text). */
  const withRaw = (field: string, value: string, record = base) => {
    const doc = JSON.parse(record) as Record<string, unknown>;
    doc[field] = '@@';
    return JSON.stringify(doc).replace('"@@"', value);
  };

  const cases: [string, string, Expectation][] = [
    ['a whole document of nested arrays', nestedArray('1'), { received: 1, skipped: { 'not-an-object': 1 } }],
    ['a whole document of nested objects', nestedObject('1'), { received: 1, skipped: { 'missing-eventTime': 1 } }],
    ['requestParameters', withRaw('requestParameters', nestedObject('{}')), { received: 1, counted: 1 }],
    ['userIdentity', withRaw('userIdentity', nestedObject('{}')), { received: 1, skipped: { 'no-identity-key': 1 } }],
    ['userAgent', withRaw('userAgent', nestedArray('"Chrome"')), { received: 1, counted: 1 }],
    ['eventTime', withRaw('eventTime', nestedArray('1')), { received: 1, skipped: { 'missing-eventTime': 1 } }],
    [
      'a record without eventID (digested for dedup)',
      withRaw('responseElements', nestedObject('"x"'), withRaw('eventID', 'null')),
      { received: 1, counted: 1 },
    ],
    [
      'an EventBridge detail',
      `{"detail-type":"AWS API Call via CloudTrail","detail":${nestedObject('{}')}}`,
      { received: 1, skipped: { 'missing-eventTime': 1 } },
    ],
    ['an S3 log Records array', `{"Records":${nestedArray('{}')}}`, { received: 1, skipped: { 'not-an-object': 1 } }],
  ];

  it.each(cases)('in %s: skipped or counted by name on every path', async (_name, text, expected) => {
    // Prepare
    const document = JSON.parse(text) as unknown;
    // Act
    const direct = await viaDetector(document);
    const sqs = await viaSqs([text]);
    // Assess
    expectStats(direct, expected);
    expectStats(sqs.stats, expected);
    expect(sqs.failures).toBe(0);
  });

  it('digests two records without eventID that differ only below the nesting cap alike, and others apart', async () => {
    // Prepare: the dedup digest stops descending at depth 64 (documented in records.ts); CloudTrail nests ~5.
    const deepA = withRaw('responseElements', nestedObject('"a"'), withRaw('eventID', 'null'));
    const deepB = withRaw('responseElements', nestedObject('"b"'), withRaw('eventID', 'null'));
    const shallow = withRaw('responseElements', '{"a":"c"}', withRaw('eventID', 'null'));
    // Act
    const stats = await detector.ingest(
      new MemoryWindowStore(),
      [deepA, deepB, shallow].map((t) => JSON.parse(t)),
      BASE_NOW,
    );
    // Assess
    expect({ counted: stats.counted, duplicates: stats.duplicates }).toEqual({ counted: 2, duplicates: 1 });
  });
});

describe('event time far from the ingest clock', () => {
  it('puts a far-future event in its own bucket, which no evaluation reaches before that time', async () => {
    // Prepare
    const record = baseRecord();
    record.eventTime = '9999-12-31T23:59:59Z';
    const store = new MemoryWindowStore();
    // Act
    const stats = await detector.ingest(store, [record], BASE_NOW);
    // Assess
    expect(stats.counted).toBe(1);
    expect(store.activeKeysSync(bucketOf(BASE_NOW) - 20, bucketOf(BASE_NOW), BASE_NOW)).toEqual([]);
    expect(store.activeBuckets()).toEqual([bucketOf(Date.parse('9999-12-31T23:59:59Z'))]);
  });
});
