/**
 * Hostile input, property-based: generated values through the real entry points (toAccessEvent, unwrapDocument,
 * Detector.ingest with the memory store, handleIngest with an EventBridge event and with SQS batches). Whatever
 * arrives, nothing throws, every record is either counted or skipped under one named reason, and the totals balance.
 * The number of generated cases is printed after the suite.
 */
import fc from 'fast-check';
import { MemoryWindowStore } from '../../lib/adapters/store/memory';
import { Detector } from '../../lib/engine/detector';
import { SKIP_REASONS, type SkipReason } from '../../lib/engine/event';
import type { CountedEvent, RecordOptions, RecordOutcome, WindowStore } from '../../lib/engine/ports';
import {
  parseEventTime,
  STRING_MAX_CHARS,
  toAccessEvent,
  USER_AGENT_MAX_CHARS,
  unwrapDocument,
} from '../../lib/engine/records';
import { handleIngest } from '../../lib/usecases/ingest';
import {
  BASE_NOW,
  baseRecord,
  CaseCounter,
  envelope,
  expectBalanced,
  recordingTelemetry,
  sqsBatch,
} from '../support/hostile';
import { testConfig } from '../support/records';

const cases = new CaseCounter();
afterAll(() => console.log(cases.report('hostile records (property)')));

/** Anything a JavaScript value can be, including what JSON.parse never produces (the parsers must not care). */
const anything = fc.anything({
  maxDepth: 4,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  stringUnit: 'binary',
});
/** Values that survive a JSON round trip, with any code points (lone surrogates included). */
const jsonValue = fc.jsonValue({ maxDepth: 4 });
const anyText = fc.string({ unit: 'binary', maxLength: 64 });

const REASONS: ReadonlySet<string> = new Set(SKIP_REASONS);
const detector = new Detector(testConfig());

/** A store that remembers which eventIds it counted (around the real memory store). */
class WatchedStore extends MemoryWindowStore implements WindowStore {
  readonly counted = new Set<string>();
  override async record(batch: readonly CountedEvent[], options: RecordOptions): Promise<RecordOutcome[]> {
    const outcomes = await super.record(batch, options);
    outcomes.forEach((o, i) => {
      if (o === 'counted') this.counted.add((batch[i] as CountedEvent).eventId);
    });
    return outcomes;
  }
}

describe('toAccessEvent and unwrapDocument on any value', () => {
  it('never throw; give a normalised event with bounded strings or one named reason (3000 values)', () => {
    fc.assert(
      fc.property(
        anything,
        cases.count('toAccessEvent(anything)', (value: unknown) => {
          const parsed = toAccessEvent(value);
          if (!parsed.ok) return REASONS.has(parsed.reason);
          const e = parsed.value;
          const strings = [e.eventName, e.eventSource, e.awsRegion, e.sourceIp, e.errorCode, e.errorMessage];
          return (
            Number.isFinite(e.eventTime) &&
            e.userAgent.length <= USER_AGENT_MAX_CHARS &&
            strings.every((s) => typeof s === 'string' && s.length <= STRING_MAX_CHARS) &&
            e.eventId.length > 0 &&
            e.eventId.length <= STRING_MAX_CHARS &&
            e.secretIds.every((s) => typeof s === 'string')
          );
        }),
      ),
      { numRuns: 3000 },
    );
  });

  it('unwrapDocument never throws and names every part it drops (1000 values)', () => {
    fc.assert(
      fc.property(
        anything,
        cases.count('unwrapDocument(anything)', (value: unknown) => {
          const { records, skipped } = unwrapDocument(value);
          return Array.isArray(records) && skipped.every((r) => REASONS.has(r));
        }),
      ),
      { numRuns: 1000 },
    );
  });

  it('parseEventTime accepts only real instants from 2000 to 9999 and never throws (2000 strings + 1000 dates)', () => {
    fc.assert(
      fc.property(
        fc.oneof(anyText, fc.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/)),
        cases.count('parseEventTime(text)', (text: string) => {
          const t = parseEventTime(text);
          return (
            t === undefined ||
            (Number.isFinite(t) && t >= Date.UTC(2000, 0, 1) - 86_400_000 && t < Date.UTC(10000, 0, 2))
          );
        }),
      ),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-02T00:00:00Z'), max: new Date('9999-12-30T00:00:00Z'), noInvalidDate: true }),
        cases.count('parseEventTime(ISO date)', (date: Date) => parseEventTime(date.toISOString()) === date.getTime()),
      ),
      { numRuns: 1000 },
    );
  });
});

/** Fields the engine reads, with the reason a value of the wrong JSON type there must give (`counted`: none). */
const WRONG_TYPE_OUTCOME: readonly (readonly [
  path: string,
  kind: 'string' | 'object',
  outcome: SkipReason | 'counted',
])[] = [
  ['eventTime', 'string', 'missing-eventTime'],
  ['eventName', 'string', 'missing-eventName'],
  ['eventSource', 'string', 'other-service'],
  ['userIdentity', 'object', 'missing-userIdentity'],
  ['userIdentity.principalId', 'string', 'no-identity-key'],
  // A non-string error code reads as no error: the record counts (the safe direction for a detector).
  ['errorCode', 'string', 'counted'],
  ['errorMessage', 'string', 'counted'],
  ['userAgent', 'string', 'counted'],
  ['awsRegion', 'string', 'counted'],
  ['sourceIPAddress', 'string', 'counted'],
  ['eventID', 'string', 'counted'],
  ['recipientAccountId', 'string', 'counted'],
  ['vpcEndpointId', 'string', 'counted'],
  ['sessionCredentialFromConsole', 'string', 'counted'],
  ['requestParameters', 'object', 'counted'],
  ['requestParameters.secretId', 'string', 'counted'],
  ['userIdentity.type', 'string', 'counted'],
  ['userIdentity.arn', 'string', 'counted'],
  ['userIdentity.accountId', 'string', 'counted'],
  ['userIdentity.userName', 'string', 'counted'],
  ['userIdentity.accessKeyId', 'string', 'counted'],
  ['userIdentity.invokedBy', 'string', 'counted'],
  ['userIdentity.sessionContext', 'object', 'counted'],
];

/** Reasons a field can legitimately produce when it holds any value at all (of the right type or not). */
const ANY_VALUE_OUTCOMES: Readonly<Record<string, readonly (SkipReason | 'counted')[]>> = {
  eventTime: ['counted', 'missing-eventTime', 'invalid-eventTime'],
  eventName: ['counted', 'missing-eventName', 'other-api'],
  eventSource: ['counted', 'other-service'],
  userIdentity: ['counted', 'missing-userIdentity', 'no-identity-key'],
  'userIdentity.principalId': ['counted', 'no-identity-key'],
  errorCode: ['counted', 'failed-call'],
  errorMessage: ['counted', 'failed-call'],
  userAgent: ['counted', 'browser-agent'],
};

function withField(record: Record<string, unknown>, path: string, value: unknown, remove: boolean) {
  const parts = path.split('.');
  let target = record;
  for (const part of parts.slice(0, -1)) target = target[part] as Record<string, unknown>;
  const last = parts[parts.length - 1] as string;
  if (remove) delete target[last];
  else target[last] = value;
  return record;
}

async function outcomeOf(record: unknown): Promise<SkipReason | 'counted'> {
  const stats = await detector.ingest(new MemoryWindowStore(), [record], BASE_NOW);
  expectBalanced(stats);
  if (stats.counted === 1) return 'counted';
  const reason = SKIP_REASONS.find((r) => stats.skipped[r] === 1);
  if (reason === undefined) throw new Error(`neither counted nor skipped: ${JSON.stringify(stats)}`);
  return reason;
}

describe('Detector.ingest on a valid record with one field replaced', () => {
  const wrongFor = (kind: 'string' | 'object') =>
    kind === 'string'
      ? fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(anyText), fc.object())
      : fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), anyText, fc.array(jsonValue));

  it(`gives the expected reason for a value of the wrong type in each of ${WRONG_TYPE_OUTCOME.length} fields (1500 cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...WRONG_TYPE_OUTCOME)
          .chain(([path, kind, outcome]) => fc.tuple(fc.constant(path), fc.constant(outcome), wrongFor(kind))),
        cases.count('wrong type in one field', async ([path, outcome, value]) => {
          const got = await outcomeOf(withField(baseRecord(), path, value, false));
          return got === outcome;
        }),
      ),
      { numRuns: 1500 },
    );
  });

  it('stays within the field’s possible reasons for any value or a missing field (1500 cases)', async () => {
    const paths = [...WRONG_TYPE_OUTCOME.map(([p]) => p)];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.oneof(anyText, jsonValue),
        fc.boolean(),
        cases.count('any value in one field', async (path, value, remove) => {
          const got = await outcomeOf(withField(baseRecord(), path, value, remove));
          return (ANY_VALUE_OUTCOMES[path] ?? ['counted']).includes(got);
        }),
      ),
      { numRuns: 1500 },
    );
  });

  it('counts reads whose names and agents hold any code points, controls and lone surrogates included (1000 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }),
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.string({ unit: 'binary', maxLength: 80 }),
        cases.count('unicode names and agents', async (principal, agent, secret) => {
          const record = baseRecord();
          withField(record, 'userIdentity.principalId', principal, false);
          withField(record, 'userIdentity.userName', principal, false);
          withField(record, 'requestParameters.secretId', secret, false);
          record.userAgent = agent;
          const got = await outcomeOf(record);
          // A browser-looking agent may be excluded; anything else counts.
          return got === 'counted' || got === 'browser-agent';
        }),
      ),
      { numRuns: 1000 },
    );
  });
});

describe('handleIngest', () => {
  it('takes any JSON document as an EventBridge event without throwing, and balances its totals (1000 documents)', async () => {
    const { telemetry } = recordingTelemetry();
    await fc.assert(
      fc.asyncProperty(
        jsonValue,
        cases.count('handleIngest(any JSON)', async (doc) => {
          const deps = { detector, store: new MemoryWindowStore(), telemetry };
          const result = await handleIngest(doc, deps, BASE_NOW);
          // `{"Records": []}` reads as an empty SQS batch: nothing to count, nothing failed.
          if ('batchItemFailures' in result) return result.batchItemFailures.length === 0;
          expectBalanced(result);
          return result.counted === 0 || result.received > 0;
        }),
      ),
      { numRuns: 1000 },
    );
  });

  it('skips an EventBridge envelope around garbage under a named reason (500 envelopes)', async () => {
    const { telemetry } = recordingTelemetry();
    await fc.assert(
      fc.asyncProperty(
        jsonValue,
        fc.oneof(fc.constant('AWS API Call via CloudTrail'), anyText, jsonValue),
        cases.count('envelope around garbage', async (detail, detailType) => {
          const deps = { detector, store: new MemoryWindowStore(), telemetry };
          const result = await handleIngest(envelope(detail, detailType), deps, BASE_NOW);
          if ('batchItemFailures' in result) return false;
          expectBalanced(result);
          return result.received === 1 && result.counted === 0;
        }),
      ),
      { numRuns: 500 },
    );
  });

  it('counts every good message of an SQS batch that mixes good and bad ones, and fails none (300 batches)', async () => {
    let serial = 0;
    const good = fc.constant(null).map(() => {
      const record = baseRecord();
      record.eventID = `good-${++serial}`;
      return { good: record.eventID as string, body: JSON.stringify(envelope(record)) };
    });
    const bad = fc.oneof(
      anyText.map((body) => ({ good: undefined, body })),
      jsonValue.map((v) => ({ good: undefined, body: JSON.stringify(v) ?? 'null' })),
      jsonValue.map((v) => ({ good: undefined, body: JSON.stringify(envelope(v)) })),
      fc.constant({ good: undefined, body: '{"detail-type":"AWS API Call via CloudTrail","detail":' }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(good, bad), { minLength: 1, maxLength: 20 }),
        cases.count('SQS batch, good and bad', async (messages) => {
          const store = new WatchedStore();
          const { telemetry, lastStats } = recordingTelemetry();
          const result = await handleIngest(
            sqsBatch(messages.map((m) => m.body)),
            { detector, store, telemetry },
            BASE_NOW,
          );
          const stats = lastStats();
          if (!('batchItemFailures' in result) || stats === undefined) return false;
          expectBalanced(stats);
          const expected = new Set(messages.flatMap((m) => (m.good === undefined ? [] : [m.good])));
          return (
            result.batchItemFailures.length === 0 &&
            stats.counted === expected.size &&
            [...expected].every((id) => store.counted.has(id))
          );
        }),
      ),
      { numRuns: 300 },
    );
  });
});
