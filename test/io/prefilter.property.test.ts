/**
 * The replay fast path (lib/adapters/io/prefilter.ts) against the full parse, over randomised CloudTrail files:
 * whenever it answers, the records it parses are, in order, the full parse's records minus some `other-service`
 * ones, and it counts exactly the missing ones as `other-service`. So records read, every skip reason and everything
 * that can count are the same. The files mix clean AWS layout with what must force a parse: escapes, duplicate keys,
 * missing or mistyped fields, invalid times, braces and quotes inside strings, non-ASCII text, other layouts.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { prefilterDocument } from '../../lib/adapters/io/prefilter';
import { loadConfig } from '../../lib/config/load';
import { Detector } from '../../lib/engine/detector';
import { SECRETS_MANAGER_SOURCE } from '../../lib/engine/event';
import { collectRecords } from '../../lib/engine/records';

const detector = new Detector(loadConfig({}, {}));

/** The full path's verdict for one record: does the detector skip it as `other-service`? */
function isOtherService(record: unknown): boolean {
  const p = detector.prepare(record);
  return !p.ok && p.reason === 'other-service';
}

const str = (s: string) => JSON.stringify(s);

const awkwardText = fc.constantFrom(
  'plain',
  'br{ace}s',
  'quo"te',
  'back\\slash',
  'é ünïcödé',
  '😀 emoji',
  '{"eventVersion":"1.08"}',
  'secretsmanager',
  '\u2028line',
  '',
);

const identity = fc.oneof(
  fc
    .record({ type: fc.constantFrom('IAMUser', 'AssumedRole'), name: awkwardText })
    .map(
      ({ type, name }) =>
        `{"type":"${type}","principalId":"AID1","arn":"arn:aws:iam::1:user/u","accountId":"1","userName":${str(name)},` +
        `"sessionContext":{"sessionIssuer":{"type":"Role","userName":${str(name)}},"attributes":{"mfaAuthenticated":"false"}}}`,
    ),
  fc.constantFrom('"not-an-object"', 'null', '{}', '{"eventTime":"2024-01-01T00:00:00Z"}', '[1,{"a":"}"}]'),
);

const validTime = fc
  .date({ min: new Date('2001-01-01T00:00:00Z'), max: new Date('2090-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().replace('.000', ''));

const time = fc.oneof(
  validTime,
  fc.constantFrom('', 'yesterday', '2024-02-30T00:00:00Z', '1999-12-31T23:59:59Z', '2024-01-01T00:00:00+01:00'),
);

const source = fc.constantFrom(
  's3.amazonaws.com',
  'kms.amazonaws.com',
  'sts.amazonaws.com',
  SECRETS_MANAGER_SOURCE,
  'secretsmanager\\u002eamazonaws.com',
  '\\u0073ecretsmanager.amazonaws.com',
  'ec2.amazonaws.com',
  'SECRETSMANAGER.amazonaws.com',
  '',
);

const name = fc.constantFrom('GetObject', 'Decrypt', 'GetSecretValue', 'BatchGetSecretValue', '', 'Assume\\"Role');

/** Extra members after the header: ordinary fields, random JSON, duplicates of the header keys. */
const extra = fc.oneof(
  { weight: 6, arbitrary: fc.constant('') },
  {
    weight: 4,
    arbitrary: fc
      .record({ ua: awkwardText, id: fc.uuid() })
      .map(({ ua, id }) => `,"userAgent":${str(ua)},"eventID":"${id}","requestParameters":{"bucketName":"b"}`),
  },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => `,"requestParameters":${JSON.stringify(v)}`) },
  { weight: 1, arbitrary: fc.constant(',"eventTime":"not a time"') },
  { weight: 1, arbitrary: fc.constant(',"eventName":""') },
  { weight: 1, arbitrary: fc.constant(`,"eventSource":"${SECRETS_MANAGER_SOURCE}"`) },
  { weight: 1, arbitrary: fc.constant(',"userIdentity":"gone"') },
  { weight: 1, arbitrary: fc.constant(',"event\\u0054ime":"x"') },
  { weight: 1, arbitrary: fc.constant(',"nested":{"eventName":"Other","eventTime":"x"}') },
  { weight: 1, arbitrary: fc.constant(',"eventSource":""') },
  { weight: 1, arbitrary: fc.constant(',"eventSource":null') },
  { weight: 1, arbitrary: fc.constant(',"eventSource":"s3.amazonaws.com"') },
  { weight: 1, arbitrary: fc.constant(',"event\\u0053ource":"x"') },
  { weight: 1, arbitrary: fc.constant(',"nested":{"eventSource":null}') },
);

/** One record as CloudTrail writes it, or deliberately not. */
const record = fc
  .record({
    version: fc.constantFrom('1.08', '1.09', '1\\"x'),
    identity,
    time,
    source,
    name,
    extra,
    shape: fc.constantFrom('aws', 'aws', 'aws', 'aws', 'reordered', 'no-time', 'no-source', 'number-time', 'scalar'),
  })
  .map(({ version, identity, time, source, name, extra, shape }) => {
    const head = `"eventVersion":"${version}","userIdentity":${identity}`;
    const rest = `"eventSource":"${source}","eventName":"${name}"${extra}`;
    switch (shape) {
      case 'aws':
        return `{${head},"eventTime":"${time}",${rest}}`;
      case 'reordered':
        return `{"eventTime":"${time}",${head},${rest}}`;
      case 'no-time':
        return `{${head},${rest}}`;
      case 'no-source':
        return `{${head},"eventTime":"${time}","eventName":"${name}"${extra}}`;
      case 'number-time':
        return `{${head},"eventTime":12,${rest}}`;
      default:
        return '42';
    }
  });

/** A record as AWS writes it, of any service, with awkward but ordinary text. */
const cleanRecord = fc
  .record({ identity: identity.filter((i) => i.startsWith('{"type"')), time: validTime, source, ua: awkwardText })
  .map(
    ({ identity, time, source, ua }) =>
      `{"eventVersion":"1.08","userIdentity":${identity},"eventTime":"${time}","eventSource":"${source}",` +
      `"eventName":"GetObject","userAgent":${str(ua)},"requestParameters":{"k":${str(ua)}},"eventID":"e"}`,
  );

const document = fc
  .record({
    records: fc.array(fc.oneof({ weight: 3, arbitrary: cleanRecord }, { weight: 1, arbitrary: record }), {
      maxLength: 12,
    }),
    layout: fc.constantFrom(
      'aws',
      'aws',
      'aws',
      'newline',
      'spaced',
      'extra-key',
      'second-records',
      'pretty',
      'stray-element',
    ),
  })
  .map(({ records, layout }) => {
    const body = records.join(',');
    switch (layout) {
      case 'aws':
        return `{"Records":[${body}]}`;
      case 'newline':
        return `{"Records":[${body}]}\n`;
      case 'spaced':
        return `{"Records":[${records.join(', ')}]}`;
      case 'extra-key':
        return `{"Records":[${body}],"Records":[]}`;
      case 'second-records':
        // A second Records array whose last element looks like a clean record: JSON.parse keeps only this one.
        return `{"Records":[${body}],"Records":[{},{"eventVersion":"1.08","userIdentity":{"type":"IAMUser"},"eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject"}]}`;
      case 'stray-element':
        // An array element that is not a record, holding the event source name, between two records.
        return `{"Records":[${records.length > 0 ? `${body},` : ''}{"a":"${SECRETS_MANAGER_SOURCE}"},${body || '{}'}]}`;
      default:
        return JSON.stringify(JSON.parse(`{"Records":[${body}]}`), null, 2);
    }
  });

/** Returns whether the fast path answered (so that a test can show it is not vacuous). */
function check(text: string): boolean {
  const full: unknown[] = [];
  collectRecords(JSON.parse(text), full, []);
  const fast = prefilterDocument(Buffer.from(text, 'utf8'));
  if (fast === undefined) return false;
  expect(fast.records.length + fast.otherService).toBe(full.length);
  // fast.records is a subsequence of the full parse, and everything it left out is other-service.
  let i = 0;
  let left = 0;
  for (const r of full) {
    if (i < fast.records.length && isDeepStrictEqual(fast.records[i], r)) i++;
    else {
      expect(isOtherService(r)).toBe(true);
      left++;
    }
  }
  expect(i).toBe(fast.records.length);
  expect(left).toBe(fast.otherService);
  return fast.otherService > 0;
}

describe('prefilterDocument', () => {
  it('agrees with the full parse on randomised CloudTrail files (records read, skips, candidates)', () => {
    let answered = 0;
    const runs = 3000;
    fc.assert(
      fc.property(document, (text) => {
        if (check(text)) answered++;
      }),
      { numRuns: runs },
    );
    // The fast path must actually skip records in a good share of these files, or the test proves nothing.
    expect(answered).toBeGreaterThan(runs / 10);
  });

  it('takes the fast path on files in CloudTrail layout, parsing only what can concern Secrets Manager', () => {
    const clean = fc
      .array(fc.record({ source, time: validTime }), {
        minLength: 1,
        maxLength: 20,
      })
      .map((rs) =>
        rs.map(
          ({ source, time }) =>
            `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"a"},"eventTime":"${time}",` +
            `"eventSource":"${source}","eventName":"GetObject","userAgent":"ua"}`,
        ),
      );
    fc.assert(
      fc.property(clean, (rs) => {
        const text = `{"Records":[${rs.join(',')}]}`;
        const fast = prefilterDocument(Buffer.from(text, 'utf8'));
        expect(fast).toBeDefined();
        const parsed = rs.filter(
          (r) => r.includes('secretsmanager') || r.includes('\\u') || r.includes('"eventSource":""'),
        ).length;
        expect(fast?.records.length).toBe(parsed);
        check(text);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves other layouts to the full parse', () => {
    for (const text of ['[]', '{"Records":[]}', '{"detail-type":"x"}', ' {"Records":[{"eventVersion":"1"}]}', '']) {
      expect(prefilterDocument(Buffer.from(text))).toBeUndefined();
    }
  });
});
