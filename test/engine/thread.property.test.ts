/**
 * Property tests of the burst-summary invariants stated at the top of lib/engine/thread.ts, against a brute-force
 * oracle over the raw events (no buckets, no windows).
 */
import fc from 'fast-check';
import type { Alert, BurstSummary, Notification, ValueCount } from '../../lib/engine/alert';
import { SUMMARY_SECRETS_LIMIT, summaryIdOf } from '../../lib/engine/thread';
import { BUCKET_MS, bucketOf } from '../../lib/engine/window';
import { replay } from '../../lib/usecases/replay';
import { BASE_TIME, secretsRecord, testConfig } from '../support/records';
import { exactConfig, windowSettings } from '../support/windows';

interface Ev {
  key: string;
  t: number;
  id: string;
  secret: string;
  region: string;
  ip: string;
  agent: string;
}

const configArb = fc.record({
  ...windowSettings,
  quietMinutes: fc.integer({ min: 1, max: 15 }),
});

// Few distinct values per field, so no bucket exceeds the per-field context cap and totals must be exact.
const eventsArb = fc
  .array(
    fc.record({
      key: fc.constantFrom('AIDAKEYA', 'AIDAKEYB'),
      t: fc
        .oneof(fc.integer({ min: 0, max: 120 * 60 }), fc.integer({ min: 600, max: 1500 }))
        .map((s) => BASE_TIME + s * 1000),
      secret: fc.constantFrom('s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8'),
      region: fc.constantFrom('us-east-1', 'eu-west-1', 'ap-south-1'),
      ip: fc.constantFrom('198.51.100.7', '203.0.113.9', '192.0.2.44'),
      agent: fc.constantFrom('aws-cli/2.15.30', 'python-requests/2.32.3', 'Boto3/1.34.0'),
    }),
    { maxLength: 90 },
  )
  .map((xs) => xs.map((x, i) => ({ ...x, id: `e${i}` })));

const records = (evs: readonly Ev[]) =>
  evs.map((e) => ({
    record: {
      ...secretsRecord({
        principalId: e.key,
        eventTimeMs: e.t,
        eventId: e.id,
        secretId: e.secret,
        sourceIp: e.ip,
        userAgent: e.agent,
      }),
      awsRegion: e.region,
    },
  }));

const iso = (ms: number) => new Date(ms).toISOString();

/** value -> events carrying it, as a summary list would hold them (named values only). */
function tally(evs: readonly Ev[], pick: (e: Ev) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of evs) out[pick(e)] = (out[pick(e)] ?? 0) + 1;
  return out;
}
const asRecord = (list: readonly ValueCount[]) => Object.fromEntries(list.map((v) => [v.value, v.count]));

const summariesOf = (ns: Notification[]) => ns.filter((n): n is BurstSummary => n.kind === 'summary');
const alertsOf = (ns: Notification[]) => ns.filter((n): n is Alert => n.kind === 'alert');

describe('burst summary invariants (property-based, brute-force oracle)', () => {
  it("totals equal a direct computation over the thread's events, and the summary is due when it is published", async () => {
    await fc.assert(
      fc.asyncProperty(configArb, eventsArb, async (c, evs) => {
        // Prepare
        const config = exactConfig(c);
        // Act
        const { notifications } = await replay(records(evs), config);
        // Assess: a continuation alert carries the totals since its thread's first crossing window
        for (const a of alertsOf(notifications).filter((x) => x.continuation)) {
          const since = bucketOf(Date.parse(a.thread?.since ?? ''));
          const now = bucketOf(Date.parse(a.detectedAt));
          const thread = evs.filter((e) => e.key === a.identity && bucketOf(e.t) >= since && bucketOf(e.t) <= now);
          expect(a.thread?.calls).toBe(new Set(thread.map((e) => e.id)).size);
          expect(a.thread?.distinctSecrets).toBe(new Set(thread.map((e) => e.secret)).size);
          expect(asRecord(a.thread?.regions ?? [])).toEqual(tally(thread, (e) => e.region));
        }
        for (const s of summariesOf(notifications)) {
          const from = bucketOf(Date.parse(s.since));
          const now = bucketOf(Date.parse(s.detectedAt));
          const thread = evs.filter((e) => e.key === s.identity && bucketOf(e.t) >= from && bucketOf(e.t) <= now);
          // Only a thread continued past bucket retention can be incomplete.
          if (!s.complete)
            expect(alertsOf(notifications).some((a) => a.threadId === s.threadId && a.continuation)).toBe(true);
          expect(s.calls).toBe(new Set(thread.map((e) => e.id)).size);
          expect(s.callsIsLowerBound).toBe(false);
          expect(s.distinctSecrets).toBe(new Set(thread.map((e) => e.secret)).size);
          expect(s.firstSeen).toBe(iso(Math.min(...thread.map((e) => e.t))));
          expect(s.lastSeen).toBe(iso(Math.max(...thread.map((e) => e.t))));
          expect(asRecord(s.regions)).toEqual(tally(thread, (e) => e.region));
          expect(asRecord(s.sourceIps)).toEqual(tally(thread, (e) => e.ip));
          expect(asRecord(s.userAgents)).toEqual(tally(thread, (e) => e.agent));
          expect(asRecord(s.secrets)).toEqual(tally(thread, (e) => e.secret));
          expect(s.secrets.length + s.secretsNotListed).toBe(s.distinctSecrets);
          // Due: quiet for Q minutes, or the suppression period of the latest alert ended.
          const lastActive = Math.max(
            ...evs.filter((e) => e.key === s.identity && bucketOf(e.t) <= now).map((e) => bucketOf(e.t)),
          );
          const latest = alertsOf(notifications)
            .filter((a) => a.threadId === s.threadId && Date.parse(a.detectedAt) <= Date.parse(s.detectedAt))
            .at(-1) as Alert;
          const crossing = bucketOf(Date.parse(latest.crossedAt)) - 1;
          if (s.closedBy === 'quiet') expect(now).toBeGreaterThanOrEqual(lastActive + config.quietMinutes);
          else expect(now).toBeGreaterThanOrEqual(crossing + config.suppressionMinutes);
          // ... and not earlier: the evaluation a minute before would not have found it due.
          expect(now - 1 < lastActive + config.quietMinutes || now - 1 < crossing + config.suppressionMinutes).toBe(
            true,
          );
        }
      }),
      { numRuns: 150 },
    );
  });

  it('every thread ends with its summary, each summary id is stable and published once, after its alert', async () => {
    await fc.assert(
      fc.asyncProperty(configArb, eventsArb, async (c, evs) => {
        // Prepare
        const config = exactConfig(c);
        // Act: the same events in two orders
        const { notifications } = await replay(records(evs), config);
        const reversed = await replay(records([...evs].reverse()), config);
        // Assess
        const ids = summariesOf(notifications).map((s) => s.alertId);
        expect(new Set(ids).size).toBe(ids.length);
        expect(summariesOf(reversed.notifications).map((s) => s.alertId)).toEqual(ids);
        for (const threadId of new Set(alertsOf(notifications).map((a) => a.threadId))) {
          const ofThread = notifications.filter((n) => n.kind !== 'overflow' && n.threadId === threadId);
          expect(ofThread[0]?.kind).toBe('alert');
          expect(ofThread.at(-1)?.kind).toBe('summary');
        }
        for (const s of summariesOf(notifications)) {
          const alert = alertsOf(notifications).find((a) => a.alertId === s.lastAlertId) as Alert;
          expect(alert.threadId).toBe(s.threadId);
          expect(Date.parse(s.detectedAt)).toBeGreaterThan(Date.parse(alert.detectedAt) - BUCKET_MS);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('lists at most SUMMARY_SECRETS_LIMIT secrets and counts the rest', async () => {
    // Prepare: one burst over more distinct secrets than a summary lists
    const n = SUMMARY_SECRETS_LIMIT + 37;
    const evs: Ev[] = Array.from({ length: n }, (_, i) => ({
      key: 'AIDAKEYA',
      t: BASE_TIME + (i % 10) * 6_000 + Math.floor(i / 10) * 60_000,
      id: `e${i}`,
      secret: `secret-${i}`,
      region: 'us-east-1',
      ip: '198.51.100.7',
      agent: 'aws-cli/2.15.30',
    }));
    const config = testConfig({ threshold: 20, windowMinutes: 9, saturationFactor: 100 });
    // Act
    const { notifications } = await replay(records(evs), config);
    // Assess
    const [summary] = summariesOf(notifications);
    expect(summary?.distinctSecrets).toBe(n);
    expect(summary?.secrets).toHaveLength(SUMMARY_SECRETS_LIMIT);
    expect(summary?.secretsNotListed).toBe(37);
    expect(summary?.alertId).toBe(
      summaryIdOf(summary?.threadId ?? '', bucketOf(Date.parse(alertsOf(notifications)[0]?.crossedAt ?? '')) - 1),
    );
  });
});

describe('mutes in a thread', () => {
  const at = (minute: number, i: number, key = 'AIDAKEYA'): Ev => ({
    key,
    t: BASE_TIME + minute * 60_000 + i * 100,
    id: `${key}-${minute}-${i}`,
    secret: `s${minute}-${i}`,
    region: 'us-east-1',
    ip: '198.51.100.7',
    agent: 'aws-cli/2.15.30',
  });
  /** A burst that goes on for `minutes` minutes, `perMinute` reads a minute. */
  const burstOf = (from: number, minutes: number, perMinute: number, key?: string) =>
    Array.from({ length: minutes }, (_, m) => Array.from({ length: perMinute }, (_, i) => at(from + m, i, key))).flat();
  const config = testConfig({ threshold: 10, windowMinutes: 4, suppressionMinutes: 10, quietMinutes: 5 });

  it('a mute set after the alert silences the continuation, and the summary counts the muted crossing', async () => {
    // Prepare: one burst long enough for a continuation; the mute starts after the first alert
    const evs = burstOf(0, 25, 5);
    const mutes = [
      {
        key: 'AIDAKEYA',
        until: BASE_TIME + 3 * 3_600_000,
        reason: 'known job',
        by: 'test',
        createdAt: BASE_TIME + 5 * 60_000,
      },
    ];
    // Act
    const plain = await replay(records(evs), config);
    const muted = await replay(records(evs), config, { mutes });
    // Assess
    expect(alertsOf(plain.notifications).filter((a) => a.continuation).length).toBeGreaterThan(0);
    expect(alertsOf(muted.notifications)).toHaveLength(1);
    const [summary] = summariesOf(muted.notifications);
    expect(summary?.mutedCrossings).toBe(muted.muted);
    expect(muted.muted).toBeGreaterThan(0);
    expect(summary?.calls).toBe(evs.length);
  });

  it('a mute never hides another key, and a mute of one signal leaves the main rule alerting', async () => {
    // Prepare
    const evs = [...burstOf(0, 3, 5, 'AIDAKEYA'), ...burstOf(0, 3, 5, 'AIDAKEYB')];
    const mutes = [
      { key: 'AIDAKEYA', until: BASE_TIME + 3_600_000, reason: 'x', by: 'test', createdAt: 0 },
      { key: 'AIDAKEYB', signal: 'batch-calls', until: BASE_TIME + 3_600_000, reason: 'x', by: 'test', createdAt: 0 },
    ];
    // Act
    const { notifications, muted } = await replay(records(evs), config, { mutes });
    // Assess
    expect(alertsOf(notifications).map((a) => a.identity)).toEqual(['AIDAKEYB']);
    expect(muted).toBe(1);
  });
});
