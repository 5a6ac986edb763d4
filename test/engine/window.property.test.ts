/**
 * Property tests of the window invariants stated at the top of lib/engine/window.ts, against a brute-force oracle
 * that looks at raw event times only (no buckets).
 */
import fc from 'fast-check';
import type { RuntimeConfig } from '../../lib/config/load';
import type { Alert, Notification } from '../../lib/engine/alert';
import { alertIdOf } from '../../lib/engine/evaluate';
import { BUCKET_MS, bucketOf } from '../../lib/engine/window';
import { replay } from '../../lib/usecases/replay';
import { BASE_TIME, secretsRecord, testConfig } from '../support/records';
import { exactConfig, windowSettings } from '../support/windows';

interface Ev {
  key: string;
  t: number;
  id: string;
  secret: string;
}

const MINUTE = 60_000;

const configArb = fc.record(windowSettings);

const eventsArb = fc
  .array(
    fc.record({
      key: fc.constantFrom('AIDAKEYA', 'AIDAKEYB', 'AIDAKEYC'),
      // second resolution, as CloudTrail writes eventTime; clustered so bursts happen often
      t: fc
        .oneof(fc.integer({ min: 0, max: 90 * 60 }), fc.integer({ min: 600, max: 900 }))
        .map((s) => BASE_TIME + s * 1000),
      secret: fc.constantFrom('s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8'),
    }),
    { maxLength: 80 },
  )
  .map((xs) => xs.map((x, i) => ({ ...x, id: `e${i}` })));

const records = (evs: readonly Ev[]) =>
  evs.map((e) => ({
    record: secretsRecord({ principalId: e.key, eventTimeMs: e.t, eventId: e.id, secretId: e.secret }),
  }));

/** Oracle: count in [from, to] (closed) or [from, to) of one key, by the configured measure. */
function oracleCount(evs: readonly Ev[], key: string, from: number, to: number, closed: boolean, mode: string): number {
  const inRange = evs.filter((e) => e.key === key && e.t >= from && (closed ? e.t <= to : e.t < to));
  return mode === 'events' ? new Set(inRange.map((e) => e.id)).size : new Set(inRange.map((e) => e.secret)).size;
}

const alertsOf = (ns: Notification[]) => ns.filter((n): n is Alert => n.kind === 'alert');
const crossingBucket = (a: Alert) => bucketOf(Date.parse(a.crossedAt)) - 1;

async function run(evs: readonly Ev[], config: RuntimeConfig) {
  return replay(records(evs), config);
}

describe('window invariants (property-based, brute-force oracle)', () => {
  it('never misses: every interval of WINDOW_MINUTES holding ≥ THRESHOLD yields an alert covering it', async () => {
    await fc.assert(
      fc.asyncProperty(configArb, eventsArb, async (c, evs) => {
        // Prepare
        const config = exactConfig(c);
        // Act
        const { notifications } = await run(evs, config);
        // Assess
        const ids = new Set<string>();
        for (const n of notifications) {
          if (n.kind === 'alert') ids.add(n.alertId);
          else if (n.kind === 'overflow') for (const o of n.identities) ids.add(o.alertId);
        }
        for (const e of evs) {
          const to = e.t + config.windowMinutes * MINUTE;
          if (oracleCount(evs, e.key, e.t, to, true, config.count) < config.threshold) continue;
          const end = bucketOf(to);
          let covered = false;
          for (let b = end - config.suppressionMinutes + 1; b <= end && !covered; b++) {
            covered = ids.has(alertIdOf(config, e.key, b));
          }
          expect(covered).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('is bounded: every alert has WINDOW_MINUTES + 1 minutes holding ≥ THRESHOLD, and reports that count exactly', async () => {
    await fc.assert(
      fc.asyncProperty(configArb, eventsArb, async (c, evs) => {
        const config = exactConfig(c);
        const { notifications } = await run(evs, config);
        for (const a of alertsOf(notifications)) {
          const start = Date.parse(a.windowStart);
          const end = Date.parse(a.windowEnd);
          expect(end - start).toBe((config.windowMinutes + 1) * MINUTE);
          expect(a.count).toBe(oracleCount(evs, a.identity, start, end, false, config.count));
          expect(a.count).toBeGreaterThanOrEqual(config.threshold);
          const crossEnd = Date.parse(a.crossedAt);
          const crossCount = oracleCount(
            evs,
            a.identity,
            crossEnd - (config.windowMinutes + 1) * MINUTE,
            crossEnd,
            false,
            config.count,
          );
          expect(crossCount).toBeGreaterThanOrEqual(config.threshold);
          expect(a.countIsLowerBound).toBe(false);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('depends on event time only: shuffling records gives the same alerts', async () => {
    await fc.assert(
      fc.asyncProperty(
        configArb,
        eventsArb.chain((evs) =>
          fc.tuple(fc.constant(evs), fc.shuffledSubarray(evs, { minLength: evs.length, maxLength: evs.length })),
        ),
        async (c, [evs, shuffled]) => {
          const config = exactConfig(c);
          const a = await run(evs, config);
          const b = await run(shuffled, config);
          expect(b.notifications).toEqual(a.notifications);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('is idempotent: redelivered eventIDs count once', async () => {
    await fc.assert(
      fc.asyncProperty(configArb, eventsArb, fc.array(fc.nat(), { maxLength: 40 }), async (c, evs, picks) => {
        const config = exactConfig(c);
        const dupes = evs.length === 0 ? [] : picks.map((p) => evs[p % evs.length] as Ev);
        const a = await run(evs, config);
        const b = await run([...evs, ...dupes], config);
        expect(b.notifications).toEqual(a.notifications);
        expect(b.stats.duplicates).toBe(dupes.length);
      }),
      { numRuns: 100 },
    );
  });

  it('suppresses: alerts of a key are ≥ SUPPRESSION_MINUTES apart, and continuations share the thread', async () => {
    await fc.assert(
      fc.asyncProperty(configArb, eventsArb, async (c, evs) => {
        const config = exactConfig(c);
        const { notifications } = await run(evs, config);
        const byKey = new Map<string, Alert[]>();
        for (const a of alertsOf(notifications)) byKey.set(a.identity, [...(byKey.get(a.identity) ?? []), a]);
        for (const list of byKey.values()) {
          list.sort((x, y) => crossingBucket(x) - crossingBucket(y));
          list.forEach((a, i) => {
            const prev = list[i - 1];
            if (!prev) {
              expect(a.continuation).toBe(false);
              expect(a.threadId).toBe(a.alertId);
              return;
            }
            const gap = crossingBucket(a) - crossingBucket(prev);
            expect(gap).toBeGreaterThanOrEqual(config.suppressionMinutes);
            const continues = gap < config.suppressionMinutes + config.windowMinutes + 1;
            expect(a.continuation).toBe(continues);
            expect(a.threadId).toBe(continues ? prev.threadId : a.alertId);
          });
        }
      }),
      { numRuns: 150 },
    );
  });

  it('caps each evaluation at MAX_ALERTS_PER_RUN and reports the rest in one overflow summary', async () => {
    await fc.assert(
      fc.asyncProperty(configArb, eventsArb, fc.integer({ min: 1, max: 2 }), async (c, evs, cap) => {
        const config = { ...exactConfig(c), maxAlertsPerRun: cap };
        const uncapped = await run(evs, exactConfig(c));
        const { notifications } = await run(evs, config);
        const perRun = new Map<string, Notification[]>();
        for (const n of notifications) perRun.set(n.detectedAt, [...(perRun.get(n.detectedAt) ?? []), n]);
        for (const list of perRun.values()) {
          expect(list.filter((n) => n.kind === 'alert').length).toBeLessThanOrEqual(cap);
          expect(list.filter((n) => n.kind === 'overflow').length).toBeLessThanOrEqual(1);
        }
        // Every alert of the uncapped run is either alerted or listed in an overflow summary of the capped run.
        const seen = new Set<string>();
        for (const n of notifications) {
          if (n.kind === 'alert') seen.add(n.alertId);
          else if (n.kind === 'overflow') for (const o of n.identities) seen.add(o.alertId);
        }
        for (const a of alertsOf(uncapped.notifications)) expect(seen.has(a.alertId)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});

describe('window edges (examples)', () => {
  const config = testConfig();
  const burst = (n: number, spacingMs: number, key = 'AIDABURST') =>
    Array.from({ length: n }, (_, i) => ({
      key,
      t: BASE_TIME + 30_000 + i * spacingMs,
      id: `${key}-${i}`,
      secret: `s${i}`,
    }));

  it('alerts on 20 events spread over 8 minutes', async () => {
    const { notifications } = await run(burst(20, (8 * MINUTE) / 19), config);
    expect(alertsOf(notifications)).toHaveLength(1);
    expect(alertsOf(notifications)[0]?.count).toBe(20);
  });

  it('does not alert on 19 events in one minute', async () => {
    const { notifications } = await run(burst(19, 1000), config);
    expect(notifications).toHaveLength(0);
  });

  it('does not alert on one event per minute for 20 minutes', async () => {
    const { notifications } = await run(burst(20, MINUTE), config);
    expect(notifications).toHaveLength(0);
  });

  it('alerts once per suppression period for a burst that outlasts it, as one thread', async () => {
    // 170 minutes at 5 events per minute: alerts at about 0, 60 and 120 minutes
    const { notifications } = await run(burst(850, 12_000), config);
    const alerts = alertsOf(notifications);
    expect(alerts).toHaveLength(3);
    expect(new Set(alerts.map((a) => a.threadId)).size).toBe(1);
    expect(alerts.map((a) => a.continuation)).toEqual([false, true, true]);
    expect(BUCKET_MS).toBe(MINUTE);
  });
});

describe('saturation under distinct counting', () => {
  it('does not let repeated reads of one secret hide other secrets read in the same minute', async () => {
    // Prepare: threshold 2, saturation 4; four reads of s1, then two other secrets, all in one minute
    const config = testConfig({ threshold: 2, saturationFactor: 2, count: 'distinct-secrets' });
    const evs = [
      ...Array.from({ length: 4 }, (_, i) => ({
        key: 'AIDAPAD',
        t: BASE_TIME + 1000 + i,
        id: `pad-${i}`,
        secret: 's1',
      })),
      { key: 'AIDAPAD', t: BASE_TIME + 2000, id: 'x', secret: 's2' },
      { key: 'AIDAPAD', t: BASE_TIME + 3000, id: 'y', secret: 's3' },
    ];
    // Act
    const { notifications } = await run(evs, config);
    // Assess
    expect(alertsOf(notifications)).toHaveLength(1);
    expect(alertsOf(notifications)[0]?.count).toBe(3);
  });
});
