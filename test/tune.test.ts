/**
 * `rsr tune` analysis (lib/usecases/tune.ts): peaks against a brute-force oracle, agreement with `replay()` on which keys
 * alert and how often, pair counting, histogram and thresholds, and suggested exceptions that the exceptions module
 * accepts and that silence what they were suggested for.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { readInputs } from '../lib/adapters/io/read';
import type { RuntimeConfig } from '../lib/config/load';
import type { Notification } from '../lib/engine/alert';
import { Detector } from '../lib/engine/detector';
import { compileGlob, type ExceptionEntry, parseExceptions } from '../lib/engine/exceptions';
import { bucketOf } from '../lib/engine/window';
import { type ReplayItem, replay } from '../lib/usecases/replay';
import {
  candidateThresholds,
  escapeGlob,
  HISTOGRAM_BINS,
  PairTally,
  singleAddressCidr,
  suggestFor,
  type TuneReport,
  tune,
} from '../lib/usecases/tune';
import { BASE_TIME, secretsRecord, testConfig } from './support/records';

const FIXTURES = join(__dirname, 'fixtures');
const SAMPLE = join(__dirname, '..', 'sample');
/** A fixture's records: a bare array, or a case file's `Records` (test/fixtures/cases carry their expectations too). */
const fixture = (path: string): unknown[] => {
  const doc = JSON.parse(readFileSync(join(FIXTURES, path), 'utf8')) as unknown[] | { Records: unknown[] };
  return Array.isArray(doc) ? doc : doc.Records;
};
const items = (records: readonly unknown[]): ReplayItem[] => records.map((record) => ({ record }));
const HOSTILE = '<img src=x onerror=alert(1)>';

async function readAll(path: string): Promise<ReplayItem[]> {
  const out: ReplayItem[] = [];
  for await (const item of readInputs([path], {
    onError: (e) => {
      throw e;
    },
  })) {
    out.push(item);
  }
  return out;
}

/** The inputs the agreement tests run on: the demo sample when present, else every fixture file on its own. */
async function agreementInputs(): Promise<{ name: string; items: ReplayItem[] }[]> {
  if (existsSync(join(SAMPLE, 'AWSLogs'))) return [{ name: 'sample', items: await readAll(SAMPLE) }];
  const files = [
    ...readdirSync(join(FIXTURES, 'cases')).map((f) => `cases/${f}`),
    'stratus-red-team/secretsmanager-retrieve-secrets.json',
    'stratus-red-team/secretsmanager-batch-retrieve-secrets.json',
    'tune/hostile-identities.json',
  ];
  return files.map((f) => ({ name: f, items: items(fixture(f)) }));
}

/** Identities replay notified (alerts and overflow summaries) and how many alert decisions that was. */
function alerted(notifications: readonly Notification[]): { identities: Set<string>; alerts: number } {
  const identities = new Set<string>();
  let alerts = 0;
  for (const n of notifications) {
    if (n.kind === 'alert') {
      identities.add(n.identity);
      alerts++;
    } else if (n.kind === 'overflow') {
      for (const i of n.identities) identities.add(i.identity);
      alerts += n.identities.length;
    }
  }
  return { identities, alerts };
}

/**
 * Oracle: per key, the largest count in any run of `width` minute buckets, from the qualifying events alone
 * (deduplicated per bucket on eventID, as the store does), by brute force over every start bucket.
 */
function bruteForcePeaks(records: readonly ReplayItem[], config: RuntimeConfig): Map<string, number> {
  const detector = new Detector(config);
  const byKey = new Map<string, Map<string, { bucket: number; values: readonly string[] }>>();
  for (const item of records) {
    if (!('record' in item)) continue;
    const p = detector.prepare(item.record);
    if (!p.ok) continue;
    const events = byKey.get(p.event.key) ?? new Map();
    events.set(`${p.event.bucket}|${p.event.eventId}`, { bucket: p.event.bucket, values: p.event.values });
    byKey.set(p.event.key, events);
  }
  const width = config.windowMinutes + 1;
  const peaks = new Map<string, number>();
  for (const [key, events] of byKey) {
    let best = 0;
    for (const start of new Set([...events.values()].map((e) => e.bucket))) {
      const inWindow = [...events.values()].filter((e) => e.bucket >= start && e.bucket < start + width);
      const count = config.count === 'events' ? inWindow.length : new Set(inWindow.flatMap((e) => [...e.values])).size;
      best = Math.max(best, count);
    }
    peaks.set(key, best);
  }
  return peaks;
}

const peaksOf = (report: TuneReport) => new Map(report.keys.map((k) => [k.key, k.peak]));

describe('tune on the Stratus Red Team detonation', () => {
  it('reports one key with peak 20, its only (agent, address) pair, and a suggestion the exceptions module accepts', async () => {
    // Prepare
    const records = fixture('stratus-red-team/secretsmanager-retrieve-secrets.json');
    // Act
    const report = await tune(items(records), testConfig());
    // Assess
    expect(report.keys).toHaveLength(1);
    const [key] = report.keys;
    expect(key?.key).toBe('AIDA45XCCHPPLELFTIIM');
    expect(key?.peak).toBe(20);
    expect(key?.events).toBe(20);
    expect(key?.userName).toBe('christophe');
    expect(key?.topPairs).toHaveLength(1);
    expect(key?.topPairs[0]?.events).toBe(20);
    expect(key?.topPairs[0]?.approximate).toBe(false);
    expect(key?.otherEvents).toBe(0);
    expect(Date.parse(key?.peakWindowEnd ?? '') - Date.parse(key?.peakWindowStart ?? '')).toBe(10 * 60_000);
    expect(report.totals).toMatchObject({ records: 21, qualifying: 20, keys: 1, skipped: { 'other-api': 1 } });
    expect(report.suggestions).toEqual([
      {
        principal: 'AIDA45XCCHPPLELFTIIM',
        userAgent: key?.topPairs[0]?.userAgent,
        sourceCidr: `${key?.topPairs[0]?.sourceIp}/32`,
        comment: 'suggested by rsr tune: 20 of 20 events, peak 20',
      },
    ]);
    expect(() => parseExceptions(JSON.stringify(report.suggestions), 'EXCEPTIONS')).not.toThrow();
  });

  it('tabulates 5, 10, 20, 50, 100 with the configured threshold merged in, and bins every key once', async () => {
    // Prepare
    const records = items(fixture('stratus-red-team/secretsmanager-retrieve-secrets.json'));
    // Act
    const at20 = await tune(records, testConfig());
    const at7 = await tune(records, testConfig({ threshold: 7 }));
    // Assess
    expect(at20.thresholds.map((r) => [r.threshold, r.current, r.keys])).toEqual([
      [5, false, 1],
      [10, false, 1],
      [20, true, 1],
      [50, false, 0],
      [100, false, 0],
    ]);
    expect(at7.thresholds.map((r) => r.threshold)).toEqual([5, 7, 10, 20, 50, 100]);
    expect(at7.thresholds.find((r) => r.current)?.threshold).toBe(7);
    expect(at20.histogram).toHaveLength(HISTOGRAM_BINS.length);
    expect(at20.histogram.find((b) => b.keys > 0)).toMatchObject({ label: '20–49', keys: 1 });
    expect(at20.histogram.reduce((s, b) => s + b.keys, 0)).toBe(at20.keys.length);
  });
});

describe('suggested exceptions', () => {
  let report: TuneReport;
  beforeAll(async () => {
    report = await tune(items(fixture('tune/hostile-identities.json')), testConfig());
  });

  it('are accepted by parseExceptions', () => {
    // Act / Assess
    expect(report.suggestions.length).toBeGreaterThan(0);
    expect(() => parseExceptions(JSON.stringify(report.suggestions), 'EXCEPTIONS')).not.toThrow();
  });

  it('escape glob metacharacters so that the agent matches itself and nothing else', () => {
    // Prepare
    const entry = report.suggestions.find((s) => s.principal === HOSTILE) as ExceptionEntry;
    const agent = report.keys.find((k) => k.key === HOSTILE)?.topPairs[0]?.userAgent as string;
    // Act
    const glob = compileGlob(entry.userAgent as string);
    // Assess
    expect(agent).toContain('*?\\');
    expect(glob.test(agent)).toBe(true);
    expect(glob.test(agent.replace('*', 'anything'))).toBe(false);
    expect(glob.test(agent.replace('?', 'x'))).toBe(false);
    expect(compileGlob(escapeGlob('a*b?c\\d')).test('a*b?c\\d')).toBe(true);
  });

  it('use a /32 for IPv4 and IPv4-mapped sources and leave the address out for a service name', () => {
    // Act
    const bySource = (principal: string) => report.suggestions.filter((s) => s.principal === principal);
    // Assess
    expect(bySource(HOSTILE).map((s) => s.sourceCidr)).toEqual(['203.0.113.9/32']);
    expect(bySource('AIDAEXAMPLEMAPPED001').map((s) => s.sourceCidr)).toEqual(['198.51.100.23/32']);
    const service = bySource('AROAEXAMPLELOADER001:loader');
    expect(service).toHaveLength(1);
    expect(service[0]).not.toHaveProperty('sourceCidr');
    expect(service[0]?.userAgent).toMatch(/^aws-sdk-java\//);
  });

  it('cover at least 80 % of a key with its loudest pairs and say how much in the comment', () => {
    // Act
    const hostile = report.suggestions.filter((s) => s.principal === HOSTILE);
    // Assess: 25 of 30 events from the IPv4 address are enough; the 5 from IPv6 are left to review
    expect(hostile.map((s) => s.comment)).toEqual(['suggested by rsr tune: 25 of 30 events, peak 30']);
  });

  it('silence the keys they were made for when replayed as EXCEPTIONS', async () => {
    // Prepare
    const records = items(fixture('tune/hostile-identities.json'));
    const exceptions = parseExceptions(JSON.stringify(report.suggestions), 'EXCEPTIONS');
    // Act
    const before = await replay(records, testConfig());
    const after = await replay(records, testConfig({ exceptions }));
    // Assess
    expect(alerted(before.notifications).identities.size).toBe(3);
    expect(alerted(after.notifications).identities.size).toBe(0);
    expect(after.stats.skipped.exception).toBe(25 + 22 + 20);
  });

  it('name the role ARN under group-by actor', async () => {
    // Prepare: 5 sessions of one role, 6 calls each
    const records = items(fixture('cases/role-sessions.json'));
    // Act
    const byActor = await tune(records, testConfig({ groupBy: 'actor' }));
    // Assess
    expect(byActor.keys[0]?.key).toBe('arn:aws:iam::111122223333:role/app-role');
    expect(byActor.suggestions.length).toBeGreaterThan(0);
    for (const s of byActor.suggestions) {
      expect(s.arn).toBe('arn:aws:iam::111122223333:role/app-role');
      expect(s).not.toHaveProperty('principal');
    }
    const exceptions = parseExceptions(JSON.stringify(byActor.suggestions), 'EXCEPTIONS');
    const after = await replay(records, testConfig({ groupBy: 'actor', exceptions }));
    expect(after.notifications).toHaveLength(0);
  });

  it('are made only for keys at or above the configured threshold', async () => {
    // Act
    const high = await tune(items(fixture('tune/hostile-identities.json')), testConfig({ threshold: 31 }));
    // Assess
    expect(high.suggestions).toEqual([]);
  });
});

describe('suggestions for a source-identity actor', () => {
  it('are none: no exception field matches a source identity, so an entry naming it would never match', () => {
    const input = { key: 'source-identity:alice', peak: 30, peakIsLowerBound: false, events: 30, pairs: [] };
    expect(suggestFor(input, 'actor')).toEqual([]);
  });
});

describe('singleAddressCidr', () => {
  it.each([
    ['203.0.113.9', '203.0.113.9/32'],
    ['2001:db8::7', '2001:db8::7/128'],
    ['2001:0db8:0000::0007', '2001:db8::7/128'],
    ['::ffff:198.51.100.23', '198.51.100.23/32'],
    ['lambda.amazonaws.com', undefined],
    ['AWS Internal', undefined],
    ['', undefined],
  ])('%j -> %j', (source, expected) => {
    expect(singleAddressCidr(source)).toBe(expected);
  });
});

describe('PairTally', () => {
  it('counts exactly while a key has no more pairs than counters', () => {
    // Prepare
    const tally = new PairTally(3);
    // Act
    for (let i = 0; i < 5; i++) tally.add('a', '1');
    tally.add('b', '1');
    tally.add('a', '2');
    // Assess
    expect(tally.pairs()).toEqual([
      { userAgent: 'a', sourceIp: '1', events: 5, approximate: false },
      { userAgent: 'a', sourceIp: '2', events: 1, approximate: false },
      { userAgent: 'b', sourceIp: '1', events: 1, approximate: false },
    ]);
  });

  it('keeps a heavy pair among many rare ones, with a count that never exceeds the truth', () => {
    // Prepare
    const tally = new PairTally(4);
    // Act: 30 events of one pair interleaved with 60 distinct one-off pairs
    for (let i = 0; i < 60; i++) {
      tally.add(`rare-${i}`, '10.0.0.1');
      if (i % 2 === 0) tally.add('heavy', '10.0.0.2');
    }
    // Assess
    const heavy = tally.pairs().find((p) => p.userAgent === 'heavy');
    expect(heavy).toBeDefined();
    expect(heavy?.events).toBeLessThanOrEqual(30);
    expect(heavy?.events).toBeGreaterThan(0);
    expect(tally.total).toBe(90);
  });

  it('keeps agents apart that differ only around the separator', () => {
    // Prepare
    const tally = new PairTally();
    // Act
    tally.add('a\u0000b', 'c');
    tally.add('a', 'b\u0000c');
    // Assess
    expect(tally.pairs()).toHaveLength(2);
  });
});

describe('peaks', () => {
  it('are exact above the configured saturation point, up to the largest tabulated threshold × factor', async () => {
    // Prepare: 500 distinct calls in one minute (replay at threshold 20 would stop counting at 200)
    const records = Array.from({ length: 500 }, (_, i) =>
      secretsRecord({ eventTimeMs: BASE_TIME + (i % 60) * 1000, eventId: `sat-${i}` }),
    );
    // Act
    const report = await tune(items(records), testConfig());
    // Assess
    expect(report.keys[0]?.peak).toBe(500);
    expect(report.keys[0]?.peakIsLowerBound).toBe(false);
    expect(report.config.saturation).toBe(1000);
  });

  it('are flagged as lower bounds once a minute saturates', async () => {
    // Prepare
    const records = Array.from({ length: 60 }, (_, i) =>
      secretsRecord({ eventTimeMs: BASE_TIME + i * 500, eventId: `sat-${i}` }),
    );
    // Act: threshold 1 and factor 2 put the counting ceiling at 100 × 2 = 200; 5/10/20/50/100 are tabulated
    const report = await tune(items(records), testConfig({ threshold: 1, saturationFactor: 2 }), {
      thresholds: [1, 5],
    });
    // Assess
    expect(report.config.saturation).toBe(10);
    expect(report.keys[0]?.peak).toBe(10);
    expect(report.keys[0]?.peakIsLowerBound).toBe(true);
  });

  it.each([
    ['events', 9],
    ['events', 4],
    ['distinct-secrets', 9],
  ] as const)(
    'equal a brute-force count over the event times on every fixture (%s, %i min)',
    async (count, windowMinutes) => {
      // Prepare
      const config = testConfig({ count, windowMinutes });
      for (const input of await agreementInputs()) {
        // Act
        const report = await tune(input.items, config);
        // Assess
        expect([input.name, peaksOf(report)]).toEqual([input.name, bruteForcePeaks(input.items, config)]);
      }
    },
  );
});

describe('agreement with replay', () => {
  const thresholds = [2, 5, 10, 15, 20, 21, 30, 45, 46];

  it.each([
    ['principal', 'events'],
    ['actor', 'events'],
    ['principal', 'distinct-secrets'],
  ] as const)(
    'keys with peak ≥ T are the identities replay alerts on at T, with as many alerts (%s, %s)',
    async (groupBy, count) => {
      for (const input of await agreementInputs()) {
        // Prepare
        const report = await tune(input.items, testConfig({ groupBy, count }), { thresholds });
        for (const row of report.thresholds) {
          // Act
          const result = await replay(input.items, testConfig({ groupBy, count, threshold: row.threshold }));
          // Assess
          const { identities, alerts } = alerted(result.notifications);
          expect([input.name, row.threshold, [...row.identities].sort()]).toEqual([
            input.name,
            row.threshold,
            [...identities].sort(),
          ]);
          expect([input.name, row.threshold, row.alerts]).toEqual([input.name, row.threshold, alerts]);
        }
      }
    },
  );

  it('holds for random histories: peak, alerted keys and alert count (property)', async () => {
    const eventArb = fc.record({
      key: fc.constantFrom('AIDAKEYA', 'AIDAKEYB', 'AIDAKEYC'),
      // seconds; clustered so that bursts, near misses and repeated bursts (suppression) all happen
      t: fc.oneof(fc.integer({ min: 0, max: 240 * 60 }), fc.integer({ min: 600, max: 780 })),
      secret: fc.constantFrom('s1', 's2', 's3', 's4', 's5', 's6'),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventArb, { maxLength: 70 }),
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom('events' as const, 'distinct-secrets' as const),
        async (events, threshold, windowMinutes, suppressionMinutes, count) => {
          // Prepare
          const records = items(
            events.map((e, i) =>
              secretsRecord({
                principalId: e.key,
                eventTimeMs: BASE_TIME + e.t * 1000,
                eventId: `e${i}`,
                secretId: e.secret,
              }),
            ),
          );
          const config = testConfig({ threshold, windowMinutes, suppressionMinutes, count, maxAlertsPerRun: 1 });
          // Act
          const report = await tune(records, config);
          const result = await replay(records, config);
          // Assess
          expect(peaksOf(report)).toEqual(bruteForcePeaks(records, config));
          const current = report.thresholds.find((r) => r.current);
          const { identities, alerts } = alerted(result.notifications);
          expect([...(current?.identities ?? [])].sort()).toEqual([...identities].sort());
          expect(current?.alerts).toBe(alerts);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('key details', () => {
  it('give events, active minutes and the span of the peak window', async () => {
    // Prepare: 3 calls at minute 0, 2 at minute 30 (two windows apart)
    const at = (m: number, s: number) => BASE_TIME + m * 60_000 + s * 1000;
    const records = [at(0, 1), at(0, 2), at(0, 3), at(30, 5), at(30, 6)].map((t, i) =>
      secretsRecord({ eventTimeMs: t, eventId: `d${i}` }),
    );
    // Act
    const [key] = (await tune(items(records), testConfig())).keys;
    // Assess
    expect(key).toMatchObject({ peak: 3, events: 5, activeMinutes: 2, otherEvents: 0 });
    expect(key?.peakFirstEvent).toBe(new Date(at(0, 1)).toISOString());
    expect(key?.peakLastEvent).toBe(new Date(at(0, 3)).toISOString());
    expect(bucketOf(Date.parse(key?.peakWindowStart ?? ''))).toBe(bucketOf(at(0, 0)) - 9);
    expect(key?.firstSeen).toBe(new Date(at(0, 1)).toISOString());
    expect(key?.lastSeen).toBe(new Date(at(30, 6)).toISOString());
  });

  it('count a re-delivered eventID once', async () => {
    // Prepare
    const records = fixture('cases/duplicates-20-unique.json');
    // Act
    const report = await tune(items(records), testConfig());
    // Assess
    expect(report.keys[0]?.events).toBe(20);
    expect(report.totals.duplicates).toBe(20);
  });

  it('leave complementary signals out and say so', async () => {
    // Act
    const report = await tune(
      items(fixture('stratus-red-team/secretsmanager-retrieve-secrets.json')),
      testConfig({ signals: ['batch-calls'] }),
    );
    // Assess
    expect(report.config.signalsNotAnalysed).toEqual(['batch-calls']);
    expect(report.keys.every((k) => !k.key.startsWith('signal:'))).toBe(true);
  });

  it('orders the candidate thresholds and drops a duplicate', () => {
    expect(candidateThresholds(20)).toEqual([5, 10, 20, 50, 100]);
    expect(candidateThresholds(250)).toEqual([5, 10, 20, 50, 100, 250]);
  });
});
