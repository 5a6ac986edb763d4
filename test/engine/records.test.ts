import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { AccessEvent, SkipReason } from '../../lib/engine/event';
import { SKIP_REASONS } from '../../lib/engine/event';
import {
  filterToken,
  parseEventTime,
  recordDigest,
  STRING_MAX_CHARS,
  toAccessEvent,
  USER_AGENT_MAX_CHARS,
  unwrapDocument,
} from '../../lib/engine/records';

const FIXTURES = join(__dirname, '..', 'fixtures');

type JsonRecord = Record<string, unknown>;

function loadJson(relativePath: string): unknown {
  return JSON.parse(readFileSync(join(FIXTURES, relativePath), 'utf8'));
}

const stratusGet = loadJson('stratus-red-team/secretsmanager-retrieve-secrets.json') as JsonRecord[];
const stratusBatch = loadJson('stratus-red-team/secretsmanager-batch-retrieve-secrets.json') as JsonRecord[];
const s3Log = loadJson('input/cloudtrail-s3-log.json') as { Records: JsonRecord[] };
const [iamRecord, consoleRecord, batchListRecord] = s3Log.Records as [JsonRecord, JsonRecord, JsonRecord];

/** A deep copy of a fixture record, to corrupt in one test without touching the others. */
function copy<T>(value: T): T {
  return structuredClone(value);
}

function parse(raw: unknown): AccessEvent {
  const parsed = toAccessEvent(raw);
  if (!parsed.ok) throw new Error(`expected a parsed event, got skip reason ${parsed.reason}`);
  return parsed.value;
}

function reasonOf(raw: unknown): SkipReason | undefined {
  const parsed = toAccessEvent(raw);
  return parsed.ok ? undefined : parsed.reason;
}

const STRING_FIELDS = [
  'eventId',
  'eventName',
  'eventSource',
  'awsRegion',
  'sourceIp',
  'userAgent',
  'errorCode',
  'errorMessage',
  'vpcEndpointId',
  'recipientAccountId',
] as const;
const IDENTITY_STRING_FIELDS = [
  'type',
  'principalId',
  'arn',
  'accountId',
  'userName',
  'accessKeyId',
  'sessionIssuerArn',
  'invokedBy',
  'sourceIdentity',
] as const;

/** Throws unless every field has the type and size limit the AccessEvent contract promises. */
function assertWellFormed(event: AccessEvent): void {
  for (const field of STRING_FIELDS) {
    const value = event[field];
    if (typeof value !== 'string') throw new Error(`${field} is not a string`);
    const max = field === 'userAgent' ? USER_AGENT_MAX_CHARS : STRING_MAX_CHARS;
    if (value.length > max) throw new Error(`${field} is longer than ${max}`);
  }
  if (!Number.isFinite(event.eventTime)) throw new Error('eventTime is not a finite number');
  if (event.eventName === '') throw new Error('eventName is empty');
  for (const field of IDENTITY_STRING_FIELDS) {
    const value = event.identity[field];
    if (typeof value !== 'string' || value.length > STRING_MAX_CHARS) throw new Error(`identity.${field} is bad`);
  }
  if (![true, false, undefined].includes(event.identity.mfaAuthenticated)) throw new Error('mfaAuthenticated');
  if (typeof event.identity.fromConsole !== 'boolean') throw new Error('fromConsole is not a boolean');
  for (const id of event.secretIds) {
    if (typeof id !== 'string' || id === '' || id.length > STRING_MAX_CHARS + 'filters:'.length) {
      throw new Error(`bad secret id ${String(id)}`);
    }
  }
  for (const filter of event.filters) {
    if (typeof filter.key !== 'string' || filter.key === '') throw new Error('bad filter key');
    if (!filter.values.every((value) => typeof value === 'string')) throw new Error('bad filter values');
  }
}

describe('toAccessEvent', () => {
  it('parses every Stratus Red Team record, ListSecrets included', () => {
    // Prepare
    const records = [...stratusGet, ...stratusBatch];

    // Act
    const events = records.map(parse);

    // Assess
    expect(stratusGet).toHaveLength(21);
    expect(stratusBatch).toHaveLength(5);
    expect(events.map((event) => event.eventName).sort()).toEqual([
      ...Array(5).fill('BatchGetSecretValue'),
      ...Array(20).fill('GetSecretValue'),
      'ListSecrets',
    ]);
    for (const [index, event] of events.entries()) {
      const record = records[index] as JsonRecord;
      expect(event.eventId).toBe(record.eventID);
      expect(event.eventTime).toBe(Date.parse(record.eventTime as string));
      assertWellFormed(event);
    }
  });

  it('copies the fields of a Stratus GetSecretValue record', () => {
    // Prepare
    const record = stratusGet.find((r) => r.eventName === 'GetSecretValue') as JsonRecord;

    // Act
    const event = parse(record);

    // Assess
    expect(event).toEqual({
      eventId: 'b9c3d881-1e77-426c-abd3-5ca20d903380',
      eventTime: Date.UTC(2024, 6, 31, 12, 36, 52),
      eventName: 'GetSecretValue',
      eventSource: 'secretsmanager.amazonaws.com',
      awsRegion: 'cn-centraleast-1r',
      sourceIp: '253.201.144.253',
      userAgent: 'stratus-red-team_10e7edf3-5063-4eba-8842-68f83bb52d65',
      errorCode: '',
      errorMessage: '',
      vpcEndpointId: '',
      recipientAccountId: '903144391865',
      identity: {
        type: 'IAMUser',
        principalId: 'AIDA45XCCHPPLELFTIIM',
        arn: 'arn:aws:iam::903144391865:user/christophe',
        accountId: '903144391865',
        userName: 'christophe',
        accessKeyId: 'AKIA1JMTHE9ZMZMWG0MG',
        sessionIssuerArn: '',
        mfaAuthenticated: undefined,
        fromConsole: false,
        invokedBy: '',
        sourceIdentity: '',
      },
      secretIds: [
        'arn:aws:secretsmanager:cn-centraleast-1r:903144391865:secret:stratus-red-team-retrieve-secret-18-4Rzn83',
      ],
      filters: [],
    });
  });

  it('gives ListSecrets no secret ids (qualification decides about it elsewhere)', () => {
    // Prepare
    const record = stratusGet.find((r) => r.eventName === 'ListSecrets');

    // Act
    const event = parse(record);

    // Assess
    expect(event.secretIds).toEqual([]);
    expect(event.filters).toEqual([]);
  });

  it('turns a BatchGetSecretValue filter call into one canonical secret-id value', () => {
    // Prepare
    const record = stratusBatch[0];

    // Act
    const event = parse(record);

    // Assess
    expect(event.filters).toEqual([{ key: 'tag-key', values: ['StratusRedTeam'] }]);
    expect(event.secretIds).toEqual(['filters:[{"key":"tag-key","values":["StratusRedTeam"]}]']);
  });

  it('gives the same filter value whatever the order of filters, keys and values', () => {
    // Prepare
    const a = copy(stratusBatch[0] as JsonRecord);
    a.requestParameters = {
      filters: [
        { key: 'tag-key', values: ['b', 'a'] },
        { key: 'name', values: ['prod/'] },
      ],
    };
    const b = copy(stratusBatch[0] as JsonRecord);
    b.requestParameters = {
      filters: [
        { values: ['prod/'], key: 'name' },
        { values: ['a', 'b', 'a'], key: 'tag-key' },
      ],
    };

    // Act
    const tokenA = parse(a).secretIds;
    const tokenB = parse(b).secretIds;

    // Assess
    expect(tokenA).toEqual(tokenB);
    expect(tokenA).toEqual(['filters:[{"key":"name","values":["prod/"]},{"key":"tag-key","values":["a","b"]}]']);
  });

  it('drops filter entries of the wrong shape and keeps the rest', () => {
    // Prepare
    const record = copy(stratusBatch[0] as JsonRecord);
    record.requestParameters = {
      filters: [
        42,
        null,
        { key: '', values: ['x'] },
        { key: 7, values: ['x'] },
        { key: 'name', values: 'not-a-list' },
        { key: 'tag-value', values: ['ok', 3, { nested: true }] },
      ],
    };

    // Act
    const event = parse(record);

    // Assess
    expect(event.filters).toEqual([{ key: 'tag-value', values: ['ok'] }]);
    expect(event.secretIds).toEqual(['filters:[{"key":"tag-value","values":["ok"]}]']);
  });

  it('digests a filter text longer than the string cap instead of cutting it', () => {
    // Prepare
    const filters = [{ key: 'name', values: Array.from({ length: 10 }, (_, i) => `${i}`.repeat(400)) }];

    // Act
    const token = filterToken(filters);

    // Assess
    expect(token).toMatch(/^filters:sha256:[0-9a-f]{64}$/);
  });

  it('lists the string entries of a BatchGetSecretValue secretIdList', () => {
    // Prepare
    const record = copy(batchListRecord);
    (record.requestParameters as JsonRecord).secretIdList = ['app/db', 5, '', null, { id: 'x' }, 'app/cache'];

    // Act
    const event = parse(record);

    // Assess
    expect(event.secretIds).toEqual(['app/db', 'app/cache']);
    expect(parse(batchListRecord).secretIds).toEqual(['app/db', 'app/cache', 'app/queue']);
  });

  it('reads an assumed-role console session: role name, issuer, MFA, console flag, VPC endpoint', () => {
    // Prepare
    const consoleSession = consoleRecord;
    const appServer = batchListRecord;

    // Act
    const consoleEvent = parse(consoleSession);
    const appEvent = parse(appServer);

    // Assess
    expect(consoleEvent.identity).toEqual({
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLEROLE00001:alice@example.com',
      arn: 'arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com',
      accountId: '111122223333',
      userName: 'Admin',
      accessKeyId: 'ASIAEXAMPLEKEY00002',
      sessionIssuerArn: 'arn:aws:iam::111122223333:role/Admin',
      mfaAuthenticated: true,
      fromConsole: true,
      invokedBy: '',
      sourceIdentity: '',
    });
    expect(appEvent.identity.mfaAuthenticated).toBe(false);
    expect(appEvent.identity.fromConsole).toBe(false);
    expect(appEvent.vpcEndpointId).toBe('vpce-0a1b2c3d4e5f00001');
  });

  it('accepts the console flag inside the session context too', () => {
    // Prepare
    const record = copy(consoleRecord);
    delete record.sessionCredentialFromConsole;
    const sessionContext = (record.userIdentity as JsonRecord).sessionContext as JsonRecord;
    sessionContext.sessionCredentialFromConsole = 'true';

    // Act
    const event = parse(record);

    // Assess
    expect(event.identity.fromConsole).toBe(true);
  });

  it('keeps userIdentity.userName for non-role identities and reads invokedBy', () => {
    // Prepare
    const record = copy(iamRecord);
    (record.userIdentity as JsonRecord).invokedBy = 'secretsmanager.amazonaws.com';

    // Act
    const event = parse(record);

    // Assess
    expect(event.identity.userName).toBe('deploy-bot');
    expect(event.identity.invokedBy).toBe('secretsmanager.amazonaws.com');
  });

  it('reads sessionContext.sourceIdentity', () => {
    // Prepare
    const record = copy(consoleRecord);
    ((record.userIdentity as JsonRecord).sessionContext as JsonRecord).sourceIdentity = 'alice';

    // Act
    const event = parse(record);

    // Assess
    expect(event.identity.sourceIdentity).toBe('alice');
  });

  it('uses a stable record digest as eventId when eventID is missing or not a string', () => {
    // Prepare
    const withoutId = copy(iamRecord);
    delete withoutId.eventID;
    const reordered = Object.fromEntries(Object.entries(withoutId).reverse());
    const numericId = { ...withoutId, eventID: 12345 };
    const otherRecord = { ...withoutId, sourceIPAddress: '203.0.113.11' };

    // Act
    const id = parse(withoutId).eventId;

    // Assess
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(id).toBe(recordDigest(withoutId));
    expect(parse(reordered).eventId).toBe(id);
    expect(parse(otherRecord).eventId).not.toBe(id);
    expect(parse(numericId).eventId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(parse(numericId).eventId).not.toBe(id);
  });

  it('digests an eventID longer than the string cap so that distinct ids stay distinct', () => {
    // Prepare
    const a = { ...iamRecord, eventID: `${'x'.repeat(STRING_MAX_CHARS)}a` };
    const b = { ...iamRecord, eventID: `${'x'.repeat(STRING_MAX_CHARS)}b` };

    // Act
    const idA = parse(a).eventId;
    const idB = parse(b).eventId;

    // Assess
    expect(idA).toMatch(/^sha256:/);
    expect(idA).not.toBe(idB);
  });

  describe('skip reasons', () => {
    const withTime = (eventTime: unknown): JsonRecord => ({ ...iamRecord, eventTime });
    const without = (field: string): JsonRecord => {
      const record = copy(iamRecord);
      delete record[field];
      return record;
    };

    it.each<[string, unknown]>([
      ['null', null],
      ['an array', [iamRecord]],
      ['a string', JSON.stringify(iamRecord)],
      ['a number', 42],
      ['undefined', undefined],
    ])('names %s not-an-object', (_label, raw) => {
      // Prepare: raw
      // Act
      const reason = reasonOf(raw);
      // Assess
      expect(reason).toBe('not-an-object');
    });

    it.each<[string, JsonRecord]>([
      ['absent', without('eventTime')],
      ['a number', withTime(1722429412000)],
      ['an object', withTime({ time: '2024-07-31T12:36:52Z' })],
      ['empty', withTime('')],
    ])('names an eventTime that is %s missing-eventTime', (_label, raw) => {
      // Prepare: raw
      // Act
      const reason = reasonOf(raw);
      // Assess
      expect(reason).toBe('missing-eventTime');
    });

    it.each(
      [
        '1',
        'March 7',
        '2024',
        '2024-07-31',
        '2024-07-31 12:36:52Z',
        '2024-07-31T12:36:52',
        '2024-07-31T12:36Z',
        '2024-7-31T12:36:52Z',
        '2024-07-31t12:36:52z',
        '1999-12-31T23:59:59Z',
        '0001-01-01T00:00:00Z',
        '+010000-01-01T00:00:00Z',
        '2024-02-30T00:00:00Z',
        '2023-02-29T00:00:00Z',
        '2024-13-01T00:00:00Z',
        '2024-07-31T24:00:00Z',
        '2024-07-31T12:60:00Z',
        '2024-07-31T12:36:60Z',
        '2024-07-31T12:36:52+25:00',
        'Wed, 31 Jul 2024 12:36:52 GMT',
        ' 2024-07-31T12:36:52Z',
        `2024-07-31T12:36:52.${'1'.repeat(100_000)}Z`,
      ].map((time) => [time.length > 40 ? `${time.slice(0, 24)}… (${time.length} chars)` : time, time]),
    )('names eventTime %j invalid-eventTime', (_label, eventTime) => {
      // Prepare
      const raw = withTime(eventTime);
      // Act
      const reason = reasonOf(raw);
      // Assess
      expect(reason).toBe('invalid-eventTime');
    });

    it.each<[string, JsonRecord]>([
      ['absent', without('eventName')],
      ['empty', { ...iamRecord, eventName: '' }],
      ['a number', { ...iamRecord, eventName: 7 }],
      ['an array', { ...iamRecord, eventName: ['GetSecretValue'] }],
    ])('names an eventName that is %s missing-eventName', (_label, raw) => {
      // Prepare: raw
      // Act
      const reason = reasonOf(raw);
      // Assess
      expect(reason).toBe('missing-eventName');
    });

    it.each<[string, JsonRecord]>([
      ['absent', without('userIdentity')],
      ['null', { ...iamRecord, userIdentity: null }],
      ['an array', { ...iamRecord, userIdentity: [{ type: 'IAMUser' }] }],
      ['a string', { ...iamRecord, userIdentity: 'AIDAEXAMPLEUSER00001' }],
    ])('names a userIdentity that is %s missing-userIdentity', (_label, raw) => {
      // Prepare: raw
      // Act
      const reason = reasonOf(raw);
      // Assess
      expect(reason).toBe('missing-userIdentity');
    });

    it('checks in a fixed order: eventTime before eventName before userIdentity', () => {
      // Prepare
      const bare = { eventTime: 'soon', eventName: '', userIdentity: null };
      // Act
      const reason = reasonOf(bare);
      // Assess
      expect(reason).toBe('invalid-eventTime');
      expect(reasonOf({ ...bare, eventTime: '2024-07-31T12:36:52Z' })).toBe('missing-eventName');
    });

    it('only uses reasons from the shared list', () => {
      // Prepare
      const reasons = [null, {}, withTime('x'), without('eventName'), without('userIdentity')].map(reasonOf);
      // Act
      const unknown = reasons.filter((reason) => reason === undefined || !SKIP_REASONS.includes(reason));
      // Assess
      expect(unknown).toEqual([]);
    });
  });

  it('accepts fractional seconds and numeric offsets in eventTime', () => {
    // Prepare
    const base = Date.UTC(2024, 6, 31, 12, 36, 52);

    // Act
    const times = [
      '2024-07-31T12:36:52.123Z',
      '2024-07-31T12:36:52.5Z',
      '2024-07-31T12:36:52.123456789Z',
      '2024-07-31T14:36:52+02:00',
      '2024-07-31T07:06:52-05:30',
      '2024-02-29T00:00:00Z',
    ].map(parseEventTime);

    // Assess
    expect(times).toEqual([base + 123, base + 500, base + 123, base, base, Date.UTC(2024, 1, 29)]);
  });

  describe('field-type abuse', () => {
    it('turns wrong types into empty strings and empty lists', () => {
      // Prepare
      const record: JsonRecord = {
        ...iamRecord,
        eventSource: 42,
        awsRegion: { region: 'us-east-1' },
        sourceIPAddress: ['203.0.113.10'],
        userAgent: true,
        errorCode: null,
        errorMessage: 3.14,
        vpcEndpointId: {},
        recipientAccountId: 111122223333,
        eventID: { id: 1 },
        userIdentity: {
          type: 1,
          principalId: null,
          arn: ['arn'],
          accountId: 111122223333,
          userName: { name: 'x' },
          accessKeyId: false,
          invokedBy: 9,
          sessionContext: 'not an object',
        },
        requestParameters: { secretId: { arn: 'x' } },
      };

      // Act
      const event = parse(record);

      // Assess
      assertWellFormed(event);
      expect(event.eventSource).toBe('');
      expect(event.awsRegion).toBe('');
      expect(event.sourceIp).toBe('');
      expect(event.userAgent).toBe('');
      expect(event.recipientAccountId).toBe('');
      expect(Object.values(event.identity).filter((v) => typeof v === 'string' && v !== '')).toEqual([]);
      expect(event.identity.mfaAuthenticated).toBeUndefined();
      expect(event.secretIds).toEqual([]);
    });

    it('reads nothing from a requestParameters that is not an object', () => {
      // Prepare
      const get = { ...iamRecord, requestParameters: 'prod/db/password' };
      const batch = { ...batchListRecord, requestParameters: [['app/db']] };

      // Act
      const events = [parse(get), parse(batch)];

      // Assess
      expect(events.map((event) => event.secretIds)).toEqual([[], []]);
    });

    it('caps a 1 MB userAgent at 1024 characters and other strings at 2048', () => {
      // Prepare
      const huge = 'A'.repeat(1024 * 1024);
      const record = {
        ...iamRecord,
        userAgent: huge,
        errorMessage: huge,
        requestParameters: { secretId: huge },
      };

      // Act
      const event = parse(record);

      // Assess
      expect(event.userAgent).toHaveLength(USER_AGENT_MAX_CHARS);
      expect(event.errorMessage).toHaveLength(STRING_MAX_CHARS);
      expect(event.secretIds[0]).toHaveLength(STRING_MAX_CHARS);
      expect(event.userAgent).toBe(huge.slice(0, USER_AGENT_MAX_CHARS));
    });

    it('does not cut a surrogate pair in half when capping', () => {
      // Prepare
      const userAgent = `${'a'.repeat(USER_AGENT_MAX_CHARS - 1)}😀tail`;

      // Act
      const event = parse({ ...iamRecord, userAgent });

      // Assess
      expect(event.userAgent).toBe('a'.repeat(USER_AGENT_MAX_CHARS - 1));
    });

    it('keeps unicode and control characters as data', () => {
      // Prepare
      const odd = 'snowman ☃ \u0000 nul \u001b[31m red \u202e rtl \n newline \ud800 lone surrogate 秘密';
      const record = { ...iamRecord, userAgent: odd, requestParameters: { secretId: odd } };

      // Act
      const event = parse(record);

      // Assess
      expect(event.userAgent).toBe(odd);
      expect(event.secretIds).toEqual([odd]);
    });
  });

  it('survives values JSON cannot produce: throwing getters, proxies, cycles', () => {
    // Prepare
    const throwingGetter = { ...iamRecord };
    Object.defineProperty(throwingGetter, 'userAgent', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    const hostileProxy = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
      },
    );
    const cyclic: JsonRecord = copy(iamRecord);
    delete cyclic.eventID;
    cyclic.self = cyclic;

    // Act
    const results = [toAccessEvent(throwingGetter), toAccessEvent(hostileProxy), unwrapDocument(hostileProxy)];

    // Assess
    expect(results).toEqual([
      { ok: false, reason: 'not-an-object' },
      { ok: false, reason: 'not-an-object' },
      { records: [], skipped: ['not-an-object'] },
    ]);
    expect(parse(cyclic).eventId).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  describe('properties', () => {
    const anything = fc.anything({
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withNullPrototype: true,
      withObjectString: true,
      withSet: true,
      withSparseArray: true,
      withTypedArray: true,
    });

    it('never throws on any value', () => {
      fc.assert(
        fc.property(anything, (raw) => {
          const parsed = toAccessEvent(raw);
          if (parsed.ok) assertWellFormed(parsed.value);
          else expect(SKIP_REASONS).toContain(parsed.reason);
        }),
        { numRuns: 500 },
      );
    });

    it('never throws on records with randomly corrupted fields, and keeps the field types', () => {
      // Prepare
      const filtersLike = fc.array(
        fc.record(
          {
            key: fc.oneof(fc.constantFrom('tag-key', 'name', ''), anything),
            values: fc.oneof(fc.array(fc.oneof(fc.string(), anything)), anything),
          },
          { requiredKeys: [] },
        ),
      );
      const corrupted = fc.record({
        eventName: fc.constantFrom('GetSecretValue', 'BatchGetSecretValue', 'ListSecrets'),
        top: fc.dictionary(
          fc.constantFrom(...Object.keys(consoleRecord), 'eventID', 'sessionCredentialFromConsole'),
          anything,
        ),
        identity: fc.dictionary(
          fc.constantFrom(
            'type',
            'principalId',
            'arn',
            'accountId',
            'userName',
            'accessKeyId',
            'invokedBy',
            'sessionContext',
          ),
          anything,
        ),
        session: fc.dictionary(
          fc.constantFrom('sessionIssuer', 'attributes', 'sessionCredentialFromConsole'),
          anything,
        ),
        request: fc.record(
          {
            secretId: anything,
            secretIdList: fc.oneof(fc.array(fc.oneof(fc.string(), anything)), anything),
            filters: fc.oneof(filtersLike, anything),
          },
          { requiredKeys: [] },
        ),
      });

      // Act / Assess
      fc.assert(
        fc.property(corrupted, ({ eventName, top, identity, session, request }) => {
          const record = copy(consoleRecord);
          record.eventName = eventName;
          const userIdentity = record.userIdentity as JsonRecord;
          Object.assign(userIdentity.sessionContext as JsonRecord, session);
          Object.assign(userIdentity, identity);
          Object.assign(record.requestParameters as JsonRecord, request);
          Object.assign(record, top);
          const parsed = toAccessEvent(record);
          if (parsed.ok) assertWellFormed(parsed.value);
          else expect(SKIP_REASONS).toContain(parsed.reason);
        }),
        { numRuns: 500 },
      );
    });

    it('parses any valid ISO time from 2000 to 9999 to the same instant as Date', () => {
      fc.assert(
        fc.property(
          fc.date({
            min: new Date('2000-01-01T00:00:00Z'),
            max: new Date('9999-12-31T23:59:59Z'),
            noInvalidDate: true,
          }),
          (date) => {
            const iso = date.toISOString();
            expect(parseEventTime(iso)).toBe(date.getTime());
            expect(parseEventTime(iso.replace(/\.\d{3}Z$/, 'Z'))).toBe(Math.floor(date.getTime() / 1000) * 1000);
          },
        ),
      );
    });
  });
});

describe('unwrapDocument', () => {
  it('returns the Records of a CloudTrail S3 log file', () => {
    // Prepare
    const doc = s3Log;

    // Act
    const { records, skipped } = unwrapDocument(doc);

    // Assess
    expect(records).toEqual(s3Log.Records);
    expect(skipped).toEqual([]);
  });

  it('returns the detail of a single EventBridge envelope', () => {
    // Prepare
    const envelope = loadJson('input/eventbridge-event.json') as { detail: unknown };

    // Act
    const { records, skipped } = unwrapDocument(envelope);

    // Assess
    expect(records).toEqual([envelope.detail]);
    expect(records[0]).toEqual(consoleRecord);
    expect(skipped).toEqual([]);
  });

  it('unwraps an array of envelopes and skips the envelope that is not a CloudTrail API call', () => {
    // Prepare
    const envelopes = loadJson('input/eventbridge-events-array.json');

    // Act
    const { records, skipped } = unwrapDocument(envelopes);

    // Assess
    expect(records).toEqual([iamRecord, consoleRecord]);
    expect(skipped).toEqual(['not-a-cloudtrail-envelope']);
  });

  it.each<[string, unknown]>([
    ['another detail-type', { 'detail-type': 'Secrets Manager Secret Rotation', detail: { eventName: 'x' } }],
    ['no detail', { 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.secretsmanager' }],
    ['a string detail', { 'detail-type': 'AWS API Call via CloudTrail', detail: '{"eventName":"x"}' }],
    ['an array detail', { 'detail-type': 'AWS API Call via CloudTrail', detail: [iamRecord] }],
  ])('skips an envelope with %s as not-a-cloudtrail-envelope', (_label, envelope) => {
    // Prepare: envelope
    // Act
    const result = unwrapDocument(envelope);
    // Assess
    expect(result).toEqual({ records: [], skipped: ['not-a-cloudtrail-envelope'] });
  });

  it('returns a JSON array of bare records as is', () => {
    // Prepare
    const doc = stratusGet;

    // Act
    const { records, skipped } = unwrapDocument(doc);

    // Assess
    expect(records).toEqual(stratusGet);
    expect(skipped).toEqual([]);
  });

  it('mixes S3 files, envelopes and bare records in one array', () => {
    // Prepare
    const envelope = loadJson('input/eventbridge-event.json');
    const doc = [s3Log, envelope, iamRecord, 42];

    // Act
    const { records } = unwrapDocument(doc);

    // Assess
    expect(records).toEqual([iamRecord, consoleRecord, batchListRecord, consoleRecord, iamRecord, 42]);
  });

  it('returns anything else as a record, for toAccessEvent to name', () => {
    // Prepare
    const docs: unknown[] = [42, null, 'text', { hello: 'world' }, { Records: 'not a list' }];

    // Act
    const reasons = docs.map((doc) => unwrapDocument(doc).records.map(reasonOf));

    // Assess
    expect(reasons).toEqual([
      ['not-an-object'],
      ['not-an-object'],
      ['not-an-object'],
      ['missing-eventTime'],
      ['missing-eventTime'],
    ]);
  });

  it('never throws on any value', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBigInt: true }), (doc) => {
        const { records, skipped } = unwrapDocument(doc);
        expect(Array.isArray(records)).toBe(true);
        expect(Array.isArray(skipped)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
