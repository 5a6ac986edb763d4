/**
 * Replay drops, after counting, the identities none of whose keys can ever reach a threshold (replay.ts,
 * quietIdentities). Proven here against the reference that evaluates every identity at every minute in reach: the
 * same notifications, in the same order, and the same suppressed, overflowed and muted counts, over random traffic
 * with every signal on, mutes and small caps. And the bound itself (evaluate.ts canReachThreshold) against a brute
 * force over every look-back range.
 */
import fc from 'fast-check';
import type { RuntimeConfig } from '../../lib/config/load';
import { canReachThreshold } from '../../lib/engine/evaluate';
import type { Mute } from '../../lib/engine/ports';
import { SIGNALS } from '../../lib/engine/settings';
import { lookBack } from '../../lib/engine/window';
import { replay } from '../../lib/usecases/replay';
import { BASE_TIME, secretsRecord, testConfig } from '../support/records';
import { windowSettings } from '../support/windows';

const configArb = fc.record({
  ...windowSettings,
  threshold: fc.integer({ min: 2, max: 8 }),
  quietMinutes: fc.integer({ min: 1, max: 15 }),
  batchCallsThreshold: fc.integer({ min: 2, max: 5 }),
  batchRegionsThreshold: fc.integer({ min: 2, max: 3 }),
  accessDeniedThreshold: fc.integer({ min: 2, max: 6 }),
  maxAlertsPerRun: fc.integer({ min: 1, max: 4 }),
  signals: fc.subarray([...SIGNALS]),
});

const IDENTITIES = ['AIDAHOT', 'AIDAWARM', 'AIDACOOL', 'AIDACOLD', 'AIDAQUIET'];

const eventArb = fc.record({
  who: fc.constantFrom(...IDENTITIES),
  // Busy identities cluster (bursts happen); the others spread over two hours.
  t: fc.oneof(
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 120 * 60 }) },
    { weight: 2, arbitrary: fc.integer({ min: 600, max: 780 }) },
  ),
  kind: fc.constantFrom('get', 'get', 'get', 'batch-list', 'batch-filter', 'denied'),
  secret: fc.constantFrom('s1', 's2', 's3', 's4', 's5', 's6'),
  region: fc.constantFrom('us-east-1', 'eu-west-1', 'ap-south-1'),
});

type Event = typeof eventArb extends fc.Arbitrary<infer T> ? T : never;

function recordOf(e: Event, i: number): { record: unknown } {
  const base = secretsRecord({
    principalId: e.who,
    eventTimeMs: BASE_TIME + e.t * 1000,
    eventId: `e${i}`,
    secretId: e.secret,
    eventName: e.kind.startsWith('batch') ? 'BatchGetSecretValue' : 'GetSecretValue',
    ...(e.kind === 'denied' ? { errorCode: 'AccessDenied' } : {}),
  });
  const requestParameters =
    e.kind === 'batch-list'
      ? { secretIdList: [e.secret, `${e.secret}-b`] }
      : e.kind === 'batch-filter'
        ? { filters: [{ key: 'name', values: ['prod'] }] }
        : base.requestParameters;
  return { record: { ...base, awsRegion: e.region, requestParameters } };
}

const muteArb = fc.option(
  fc.record({ who: fc.constantFrom(...IDENTITIES), from: fc.integer({ min: 0, max: 60 }), minutes: fc.nat(90) }),
);

describe('replay drops identities that can never reach a threshold', () => {
  it('gives the notifications and counts of evaluating every identity at every minute', async () => {
    let alerted = 0;
    let dropped = 0;
    await fc.assert(
      fc.asyncProperty(configArb, fc.array(eventArb, { maxLength: 120 }), muteArb, async (c, events, mute) => {
        const config: RuntimeConfig = testConfig({ ...c, saturationFactor: 1000 });
        const items = events.map(recordOf);
        const mutes: Mute[] = mute
          ? [
              {
                key: mute.who,
                until: BASE_TIME + (mute.from + mute.minutes) * 60_000,
                reason: 'test',
                by: 'test',
                createdAt: BASE_TIME + mute.from * 60_000,
              },
            ]
          : [];
        const fast = await replay(items, config, { mutes });
        const reference = await replay(items, config, { mutes, evaluateEveryIdentity: true });
        expect(fast.notifications).toEqual(reference.notifications);
        expect([fast.suppressed, fast.overflowed, fast.muted]).toEqual([
          reference.suppressed,
          reference.overflowed,
          reference.muted,
        ]);
        expect(fast.stats).toEqual(reference.stats);
        if (reference.notifications.length > 0) alerted++;
        if (fast.evaluations < reference.evaluations) dropped++;
      }),
      { numRuns: 300 },
    );
    // Not vacuous: runs with alerts, and runs where dropping saved evaluations.
    expect(alerted).toBeGreaterThan(15);
    expect(dropped).toBeGreaterThan(100);
  });

  it('canReachThreshold is the largest look-back sum over every range, from bounds in any order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 6 }))),
        configArb,
        (raw, c) => {
          // One bound per bucket, as a store holds them.
          const bounds = [...new Map(raw).entries()];
          const config = testConfig(c);
          const range = lookBack(0, config);
          const width = range.to - range.from + 1;
          let best = 0;
          for (let end = -1; end <= 61 + width; end++) {
            const sum = bounds.filter(([b]) => b > end - width && b <= end).reduce((s, [, v]) => s + v, 0);
            best = Math.max(best, sum);
          }
          expect(canReachThreshold(bounds, 'threshold', config)).toBe(best >= config.threshold);
          expect(canReachThreshold([...bounds].reverse(), 'threshold', config)).toBe(best >= config.threshold);
        },
      ),
      { numRuns: 500 },
    );
  });
});
