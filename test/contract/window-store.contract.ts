/**
 * The WindowStore contract: every doc comment of lib/engine/ports.ts as behaviour-named tests. Each store implementation
 * runs it from a `*.test.ts` file (test/contract/memory.test.ts, test/contract/dynamodb.test.ts).
 *
 * Bounds the suite relies on, which every store must meet:
 *  - counts, tokens and context value counts are exact up to the saturation point (nothing is sampled);
 *  - under `saturateOn: 'values'` eventIds are kept only up to the saturation point (ports.ts), so later events,
 *    redeliveries included, are 'counted' without adding to `events`; their context (value counts, first/last seen,
 *    identity) may or may not be added: the suite checks it only between the exact count at that point and the
 *    count over every event;
 *  - a redelivered event of a bucket that has saturated may come back 'duplicate' or 'saturated' (either way it is
 *    not counted): a store may forget eventIds once a bucket is full;
 *  - expiry is judged against the `now` argument only (simulated time), never the wall clock.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import type { Notification, OverflowSummary } from '../../lib/engine/alert';
import type { FastPathSettings } from '../../lib/engine/fast-path';
import {
  type AlertClaim,
  type BucketState,
  CONTEXT_VALUES_LIMIT,
  type CountedEvent,
  type EventContext,
  type Mute,
  OTHER_VALUE,
  type RecordOutcome,
  type WindowStore,
} from '../../lib/engine/ports';

export interface ContractOptions {
  /** fast-check runs of the oracle property (keep it small for stores behind a network hop). */
  readonly propertyRuns?: number;
  /**
   * Names of tests this implementation is known to fail, run as `test.failing` so the gap stays visible and the
   * suite turns red once it is fixed. Each entry needs a reason next to it where it is passed.
   */
  readonly knownGaps?: readonly string[];
}

const fixture = (...parts: string[]) =>
  JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', ...parts), 'utf8')) as unknown;

const BASE_CONTEXT = fixture('store', 'event-context.json') as EventContext;
const ALERT = fixture('alerts', 'stratus-iam-user.json') as Notification;
const OVERFLOW = fixture('alerts', 'overflow.json') as OverflowSummary;

/** 2026-11-26T12:00:00Z, the base context's eventTime. */
const T0 = BASE_CONTEXT.eventTime;
const MINUTE = 60_000;
const B0 = T0 / MINUTE;
/** Default bucket expiry: 30 minutes after T0 (epoch seconds). */
const EXP = T0 / 1000 + 30 * 60;
/** Default `now`: one minute after T0. */
const NOW = T0 + MINUTE;
const SAT = 200;
const LEASE = NOW + 120_000;

let sequence = 0;

interface EventSpec {
  readonly key?: string;
  readonly bucket?: number;
  readonly eventId?: string;
  readonly values?: readonly string[];
  readonly expiresAt?: number;
  readonly saturateOn?: CountedEvent['saturateOn'];
  readonly context?: Partial<EventContext>;
}

/** A CountedEvent in bucket B0 of key `AIDAKEY1` unless told otherwise; eventTime follows the bucket. */
function ev(spec: EventSpec = {}): CountedEvent {
  sequence += 1;
  const bucket = spec.bucket ?? B0;
  return {
    key: spec.key ?? 'AIDAKEY1',
    bucket,
    eventId: spec.eventId ?? `evt-${sequence}`,
    values: spec.values ?? [],
    expiresAt: spec.expiresAt ?? EXP + (bucket - B0) * 60,
    ...(spec.saturateOn ? { saturateOn: spec.saturateOn } : {}),
    context: { ...BASE_CONTEXT, eventTime: bucket * MINUTE + 1000, ...spec.context },
  };
}

const opts = (saturation = SAT, now = NOW) => ({ saturation, now });

function claim(key: string, alertId: string, over: Partial<AlertClaim> = {}): AlertClaim {
  return {
    alertId,
    key,
    threadId: alertId,
    windowEndBucket: B0,
    status: 'pending',
    notification: { ...ALERT, alertId } as Notification,
    leaseUntil: LEASE,
    expiresAt: NOW / 1000 + 3600,
    ...over,
  };
}

async function onlyBucket(store: WindowStore, key = 'AIDAKEY1', bucket = B0, now = NOW): Promise<BucketState> {
  const buckets = await store.readBuckets(key, bucket, bucket, now);
  expect(buckets).toHaveLength(1);
  return buckets[0] as BucketState;
}

const sorted = (xs: readonly string[]) => [...xs].sort();

export function describeWindowStoreContract(
  name: string,
  makeStore: () => Promise<WindowStore> | WindowStore,
  options: ContractOptions = {},
): void {
  const gaps = new Set(options.knownGaps ?? []);
  const it = (title: string, fn: () => Promise<void>, timeout?: number) =>
    gaps.has(title) ? test.failing(title, fn, timeout) : test(title, fn, timeout);

  describe(`WindowStore contract: ${name}`, () => {
    let store: WindowStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    describe('record: counting and idempotency', () => {
      it('counts each new eventId once in its (key, bucket)', async () => {
        // Prepare
        const batch = [ev(), ev(), ev()];
        // Act
        const outcomes = await store.record(batch, opts());
        // Assess
        expect(outcomes).toEqual(['counted', 'counted', 'counted']);
        const b = await onlyBucket(store);
        expect(b.events).toBe(3);
        expect(b.saturated).toBe(false);
      });

      it('returns one outcome per event, in input order', async () => {
        // Prepare
        const a = ev({ key: 'K1' });
        const batch = [a, ev({ key: 'K2' }), a, ev({ key: 'K1', bucket: B0 + 1 }), ev({ key: 'K1' })];
        // Act
        const outcomes = await store.record(batch, opts());
        // Assess
        expect(outcomes).toEqual(['counted', 'counted', 'duplicate', 'counted', 'counted']);
      });

      it('does not count a redelivered eventId again, in the same call or a later one', async () => {
        // Prepare
        const a = ev();
        await store.record([a, a], opts());
        // Act
        const later = await store.record([a, ev({ eventId: a.eventId, context: { sourceIp: '203.0.113.9' } })], opts());
        // Assess
        expect(later).toEqual(['duplicate', 'duplicate']);
        const b = await onlyBucket(store);
        expect(b.events).toBe(1);
        expect(b.sourceIps).toEqual({ [BASE_CONTEXT.sourceIp]: 1 });
      });

      it('deduplicates per (key, bucket): the same eventId counts once in each', async () => {
        // Prepare
        const id = 'shared-id';
        // Act
        const outcomes = await store.record(
          [ev({ eventId: id }), ev({ eventId: id, key: 'AIDAKEY2' }), ev({ eventId: id, bucket: B0 + 1 })],
          opts(),
        );
        // Assess
        expect(outcomes).toEqual(['counted', 'counted', 'counted']);
      });

      it('counts concurrent record calls for one bucket exactly', async () => {
        // Prepare
        const events = Array.from({ length: 12 }, () => ev());
        // Act: every event twice, in four overlapping calls
        const results = await Promise.all([
          store.record(events.slice(0, 6), opts()),
          store.record(events.slice(3, 12), opts()),
          store.record(events.slice(0, 12).reverse(), opts()),
          store.record(events.slice(6, 9), opts()),
        ]);
        // Assess
        expect(results.flat().filter((o) => o === 'counted')).toHaveLength(12);
        expect((await onlyBucket(store)).events).toBe(12);
      });
    });

    describe('record: crossing watch (the ingest fast path)', () => {
      const settings = (over: Partial<FastPathSettings> = {}): FastPathSettings => ({
        threshold: 4,
        windowMinutes: 2,
        latenessMinutes: 1,
        suppressionMinutes: 5,
        count: 'events',
        ...over,
      });
      /** Records `events` one call each; returns the indices of the calls that reported `key`. */
      async function recordWatched(events: readonly CountedEvent[], s: FastPathSettings, now = NOW) {
        const told: number[] = [];
        for (const [i, e] of events.entries()) {
          const crossed = (key: string) => {
            if (key === e.key) told.push(i);
          };
          await store.record([e], { saturation: SAT, now, watch: { settings: s, watches: () => true, crossed } });
        }
        return told;
      }

      it('reports the key at the event that takes one minute to the threshold, not before', async () => {
        const told = await recordWatched([ev(), ev(), ev(), ev(), ev()], settings());
        expect(told[0]).toBe(3);
      });

      it('reports a crossing spread over minutes once each of those minutes holds two events', async () => {
        const events = [ev({ bucket: B0 - 1 }), ev({ bucket: B0 - 1 }), ev({ bucket: B0 }), ev({ bucket: B0 })];
        const told = await recordWatched(events, settings());
        expect(told[0]).toBe(3);
      });

      it('counts distinct tokens under distinct-secrets: repeats of one secret never cross', async () => {
        const s = settings({ count: 'distinct-secrets', threshold: 3 });
        const repeats = await recordWatched([ev({ values: ['a'] }), ev({ values: ['a'] }), ev({ values: ['a'] })], s);
        const distinct = await recordWatched(
          [ev({ key: 'K2', values: ['b'] }), ev({ key: 'K2', values: ['c', 'd'] })],
          s,
        );
        expect(repeats).toEqual([]);
        expect(distinct[0]).toBe(1);
      });

      it('does not report unwatched events, duplicates, or minutes no window at `now` reads', async () => {
        const s = settings();
        const e = [ev(), ev(), ev()];
        await recordWatched(e, s);
        const duplicate = await recordWatched([e[0] as CountedEvent], s);
        const told: string[] = [];
        await store.record([ev()], {
          saturation: SAT,
          now: NOW,
          watch: { settings: s, watches: () => false, crossed: (k) => told.push(k) },
        });
        const old = Array.from({ length: 5 }, () => ev({ key: 'OLD', bucket: B0 - 10 }));
        const tooOld = await recordWatched(old, s);
        expect(duplicate).toEqual([]);
        expect(told).toEqual([]);
        expect(tooOld).toEqual([]);
      });
    });

    describe('record: saturation', () => {
      it('stops counting at the saturation point and marks the bucket saturated', async () => {
        // Prepare
        const batch = Array.from({ length: 5 }, () => ev());
        // Act
        const outcomes = await store.record(batch, opts(3));
        // Assess
        expect(outcomes).toEqual(['counted', 'counted', 'counted', 'saturated', 'saturated']);
        const b = await onlyBucket(store);
        expect(b.events).toBe(3);
        expect(b.saturated).toBe(true);
      });

      it('leaves a bucket below the saturation point unsaturated', async () => {
        // Act
        await store.record([ev(), ev(), ev()], opts(4));
        // Assess
        const b = await onlyBucket(store);
        expect(b.events).toBe(3);
        expect(b.saturated).toBe(false);
      });

      it('does not count a redelivered event of a saturated bucket', async () => {
        // Prepare
        const first = ev();
        await store.record([first, ev()], opts(2));
        // Act
        const [outcome] = await store.record([first], opts(2));
        // Assess
        expect(['duplicate', 'saturated']).toContain(outcome);
        expect((await onlyBucket(store)).events).toBe(2);
      });

      it('saturates per bucket: other buckets and keys keep counting', async () => {
        // Prepare
        await store.record([ev(), ev(), ev()], opts(2));
        // Act
        const outcomes = await store.record([ev({ bucket: B0 + 1 }), ev({ key: 'AIDAKEY2' })], opts(2));
        // Assess
        expect(outcomes).toEqual(['counted', 'counted']);
        expect((await store.readBuckets('AIDAKEY1', B0 + 1, B0 + 1, NOW))[0]?.saturated).toBe(false);
      });

      it('does not add context of saturated events, but widens first and last seen to them', async () => {
        // Prepare
        await store.record([ev(), ev()], opts(2));
        // Act
        await store.record([ev({ context: { sourceIp: '203.0.113.77', eventTime: T0 + 59_000 } })], opts(2));
        await store.record([ev({ context: { sourceIp: '203.0.113.78', eventTime: T0 } })], opts(2));
        // Assess
        const b = await onlyBucket(store);
        expect(b.sourceIps).toEqual({ [BASE_CONTEXT.sourceIp]: 2 });
        expect(b.events).toBe(2);
        expect(b.firstSeen).toBe(T0);
        expect(b.lastSeen).toBe(T0 + 59_000);
      });

      it('reports first and last seen over all events of a bucket, saturated ones included, in any arrival order', async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.uniqueArray(fc.integer({ min: 0, max: 59 }), { minLength: 1, maxLength: 12 }),
            fc.integer({ min: 1, max: 4 }),
            fc.integer({ min: 0, max: 1_000_000 }),
            async (seconds, saturation, seed) => {
              const fresh = await makeStore();
              const key = `AIDASEEN${seed}`;
              const events = seconds.map((s) => ev({ key, context: { eventTime: T0 + s * 1000 } }));
              for (const e of events) await fresh.record([e], opts(saturation));
              const [b] = await fresh.readBuckets(key, B0, B0, NOW);
              expect(b?.firstSeen).toBe(T0 + Math.min(...seconds) * 1000);
              expect(b?.lastSeen).toBe(T0 + Math.max(...seconds) * 1000);
            },
          ),
          { numRuns: options.propertyRuns ?? 50 },
        );
      });
    });

    describe('record: distinct tokens', () => {
      it('keeps the distinct tokens of counted events', async () => {
        // Act
        await store.record([ev({ values: ['a', 'b'] }), ev({ values: ['b', 'c', 'c'] }), ev({ values: [] })], opts());
        // Assess
        const b = await onlyBucket(store);
        expect(sorted(b.values)).toEqual(['a', 'b', 'c']);
        expect(b.events).toBe(3);
      });

      it('caps tokens at the saturation point in arrival order, without saturating an events-counting bucket', async () => {
        // Act
        const outcomes = await store.record(
          [ev({ values: ['a', 'b'] }), ev({ values: ['c', 'd', 'e'] }), ev({ values: ['a', 'f'] })],
          opts(4),
        );
        // Assess
        expect(outcomes).toEqual(['counted', 'counted', 'counted']);
        const b = await onlyBucket(store);
        expect(sorted(b.values)).toEqual(['a', 'b', 'c', 'd']);
        expect(b.events).toBe(3);
        expect(b.saturated).toBe(false);
      });

      it('saturates a bucket that counts distinct values once it holds `saturation` tokens', async () => {
        // Act
        const outcomes = await store.record(
          [
            ev({ values: ['a', 'b'], saturateOn: 'values' }),
            ev({ values: ['c', 'd'], saturateOn: 'values' }),
            ev({ values: ['e'], saturateOn: 'values' }),
          ],
          opts(3),
        );
        // Assess
        expect(outcomes).toEqual(['counted', 'counted', 'saturated']);
        const b = await onlyBucket(store);
        expect(sorted(b.values)).toEqual(['a', 'b', 'c']);
        expect(b.events).toBe(2);
        expect(b.saturated).toBe(true);
      });

      it('never saturates a distinct-values bucket on repeats; its event count stops at the saturation point', async () => {
        // Prepare: five reads of one secret, saturation 3
        const first = ev({ values: ['a'], saturateOn: 'values' });
        const rest = Array.from({ length: 4 }, () => ev({ values: ['a'], saturateOn: 'values' }));
        // Act
        const outcomes = await store.record([first, ...rest, first], opts(3));
        // Assess
        expect(outcomes).toEqual(['counted', 'counted', 'counted', 'counted', 'counted', 'duplicate']);
        const b = await onlyBucket(store);
        expect([b.events, b.values, b.saturated]).toEqual([3, ['a'], false]);
        // context is exact for the events held; events past the saturation point may or may not add to it
        expect(b.sourceIps[BASE_CONTEXT.sourceIp]).toBeGreaterThanOrEqual(3);
        expect(b.sourceIps[BASE_CONTEXT.sourceIp]).toBeLessThanOrEqual(5);
      });

      it('does not add tokens of duplicates', async () => {
        // Prepare
        const a = ev({ values: ['a'] });
        await store.record([a], opts());
        // Act
        await store.record([{ ...a, values: ['z'] }], opts());
        // Assess
        expect((await onlyBucket(store)).values).toEqual(['a']);
      });
    });

    describe('record: context', () => {
      it('counts context values per field over counted events', async () => {
        // Prepare
        const first = ev({ context: { secretIds: ['s1'], userAgent: 'ua-1' } });
        const second = ev({
          context: {
            eventName: 'BatchGetSecretValue',
            secretIds: ['s1', 's2'],
            userAgent: 'ua-2',
            region: 'eu-west-1',
          },
        });
        // Act: the duplicate carries other context, which must not count
        await store.record([first, second, { ...first, context: { ...first.context, sourceIp: '192.0.2.1' } }], opts());
        // Assess
        const b = await onlyBucket(store);
        expect(b.eventNames).toEqual({ GetSecretValue: 1, BatchGetSecretValue: 1 });
        expect(b.sourceIps).toEqual({ [BASE_CONTEXT.sourceIp]: 2 });
        expect(b.userAgents).toEqual({ 'ua-1': 1, 'ua-2': 1 });
        expect(b.regions).toEqual({ 'us-east-1': 1, 'eu-west-1': 1 });
        expect(b.secrets).toEqual({ s1: 2, s2: 1 });
      });

      it(`keeps at most ${CONTEXT_VALUES_LIMIT} values per field and counts the rest under ${OTHER_VALUE}`, async () => {
        // Prepare: 25 distinct source IPs, then the first one again
        const ips = Array.from({ length: 25 }, (_, i) => `10.0.0.${i + 1}`);
        const batch = [...ips, ips[0] as string].map((sourceIp) => ev({ context: { sourceIp } }));
        // Act
        await store.record(batch, opts());
        // Assess
        const counts = (await onlyBucket(store)).sourceIps;
        const expected: Record<string, number> = Object.fromEntries(
          ips.slice(0, CONTEXT_VALUES_LIMIT).map((ip) => [ip, 1]),
        );
        expected[ips[0] as string] = 2;
        expected[OTHER_VALUE] = 25 - CONTEXT_VALUES_LIMIT;
        expect(counts).toEqual(expected);
      });

      it(`counts the secret ids of one event beyond ${CONTEXT_VALUES_LIMIT} under ${OTHER_VALUE}`, async () => {
        // Prepare: one BatchGetSecretValue with 30 secrets, one of them twice
        const secretIds = Array.from({ length: 30 }, (_, i) => `prod/app/secret-${String(i).padStart(2, '0')}`);
        const event = ev({
          context: { eventName: 'BatchGetSecretValue', secretIds: [...secretIds, 'prod/app/secret-00'] },
        });
        // Act
        await store.record([event], opts());
        // Assess
        const expected: Record<string, number> = Object.fromEntries(
          secretIds.slice(0, CONTEXT_VALUES_LIMIT).map((s) => [s, 1]),
        );
        expected['prod/app/secret-00'] = 2;
        expected[OTHER_VALUE] = 30 - CONTEXT_VALUES_LIMIT;
        expect((await onlyBucket(store)).secrets).toEqual(expected);
      });

      it('keeps long, empty and non-ASCII values intact', async () => {
        // Prepare: a 1 KB agent (CloudTrail's cap), an empty agent, IPv6, non-ASCII and long secret ARNs
        const longAgent = `Boto3/1.34.0 ${'x'.repeat(1011)}`;
        const arns = Array.from(
          { length: 12 },
          (_, i) => `arn:aws:secretsmanager:eu-central-1:111122223333:secret:prod/ключ/🔑-${i}-AbCdEf`,
        );
        const batch = [
          ev({ context: { userAgent: longAgent, sourceIp: '2001:db8::7', secretIds: arns.slice(0, 6) } }),
          ev({ context: { userAgent: '', secretIds: arns.slice(6) } }),
          ev({ context: { userAgent: longAgent, secretIds: [arns[0] as string] } }),
        ];
        // Act
        await store.record(batch, opts());
        // Assess
        const b = await onlyBucket(store);
        expect(b.userAgents).toEqual({ [longAgent]: 2, '': 1 });
        expect(b.sourceIps).toEqual({ '2001:db8::7': 1, [BASE_CONTEXT.sourceIp]: 2 });
        expect(b.secrets).toEqual(Object.fromEntries(arns.map((a, i) => [a, i === 0 ? 2 : 1])));
      });

      it('reports the identity of the latest event by eventTime, not by arrival', async () => {
        // Prepare
        const at = (s: number, userName: string) =>
          ev({
            context: { eventTime: T0 + s * 1000, userName, userArn: `arn:aws:iam::111122223333:user/${userName}` },
          });
        // Act
        await store.record([at(10, 'first'), at(40, 'latest')], opts());
        await store.record([at(20, 'late-arrival')], opts());
        // Assess
        const b = await onlyBucket(store);
        expect(b.identity).toEqual({
          accountId: BASE_CONTEXT.accountId,
          userArn: 'arn:aws:iam::111122223333:user/latest',
          userName: 'latest',
          identityType: BASE_CONTEXT.identityType,
          accessKeyId: BASE_CONTEXT.accessKeyId,
        });
      });

      it('keeps the optional identity fields of the latest event, source identity included', async () => {
        // Prepare
        const role =
          'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Dev_0123456789abcdef';
        const optional = { sessionIssuerArn: role, sourceIdentity: 'alice', invokedBy: 'secretsmanager.amazonaws.com' };
        // Act
        await store.record([ev({ context: optional })], opts());
        // Assess
        const b = await onlyBucket(store);
        expect(b.identity).toMatchObject(optional);
      });

      it('reports first and last seen over counted events, in any arrival order', async () => {
        // Prepare
        const at = (s: number) => ev({ context: { eventTime: T0 + s * 1000 } });
        // Act
        await store.record([at(30), at(5)], opts());
        await store.record([at(55), at(12)], opts());
        // Assess
        const b = await onlyBucket(store);
        expect(b.firstSeen).toBe(T0 + 5000);
        expect(b.lastSeen).toBe(T0 + 55_000);
      });
    });

    describe('expiry (judged against `now`, whatever the backend still holds)', () => {
      it('readBuckets ignores buckets whose expiresAt has passed', async () => {
        // Prepare
        await store.record([ev(), ev({ bucket: B0 + 1, expiresAt: EXP + 600 })], opts());
        // Act
        const before = await store.readBuckets('AIDAKEY1', B0, B0 + 1, EXP * 1000 - 1);
        const at = await store.readBuckets('AIDAKEY1', B0, B0 + 1, EXP * 1000);
        // Assess
        expect(before.map((b) => b.bucket)).toEqual([B0, B0 + 1]);
        expect(at.map((b) => b.bucket)).toEqual([B0 + 1]);
      });

      it('keeps a bucket until the latest expiresAt of its events', async () => {
        // Act
        await store.record([ev({ expiresAt: EXP }), ev({ expiresAt: EXP + 600 }), ev({ expiresAt: EXP + 60 })], opts());
        // Assess
        const b = await onlyBucket(store, 'AIDAKEY1', B0, EXP * 1000 + 1000);
        expect(b.events).toBe(3);
      });

      it('activeKeys ignores keys whose buckets in range have all expired', async () => {
        // Prepare
        await store.record([ev({ key: 'OLD' }), ev({ key: 'NEW', expiresAt: EXP + 600 })], opts());
        // Act
        const keys = await store.activeKeys(B0, B0, EXP * 1000);
        // Assess
        expect(keys).toEqual(['NEW']);
      });

      it('lastAlert ignores an expired claim, and a first claim may then replace it', async () => {
        // Prepare
        const old = claim('AIDAKEY1', 'alert-old', { expiresAt: NOW / 1000 + 60 });
        await store.claimAlert(old, undefined, NOW);
        const later = NOW + 61_000;
        // Act
        const last = await store.lastAlert('AIDAKEY1', later);
        const onExpiredPrevious = await store.claimAlert(claim('AIDAKEY1', 'alert-a'), 'alert-old', later);
        const asFirst = await store.claimAlert(claim('AIDAKEY1', 'alert-b'), undefined, later);
        // Assess
        expect(last).toBeUndefined();
        expect(onExpiredPrevious).toBe(false);
        expect(asFirst).toBe(true);
        expect((await store.lastAlert('AIDAKEY1', later))?.alertId).toBe('alert-b');
      });

      it('unsentAlerts ignores expired claims', async () => {
        // Prepare
        await store.claimAlert(claim('AIDAKEY1', 'alert-1', { expiresAt: LEASE / 1000 + 60 }), undefined, NOW);
        // Act
        const live = await store.unsentAlerts(LEASE);
        const expired = await store.unsentAlerts(LEASE + 60_000);
        // Assess
        expect(live.map((c) => c.alertId)).toEqual(['alert-1']);
        expect(expired).toEqual([]);
      });
    });

    describe('activeKeys and readBuckets ranges', () => {
      it('activeKeys returns each key with a bucket in [from, to] once, sorted', async () => {
        // Prepare
        await store.record(
          [
            ev({ key: 'KEY-B', bucket: B0 }),
            ev({ key: 'KEY-B', bucket: B0 + 2 }),
            ev({ key: 'KEY-A', bucket: B0 + 2 }),
            ev({ key: 'KEY-C', bucket: B0 + 1 }),
          ],
          opts(),
        );
        // Act
        const keys = await store.activeKeys(B0, B0 + 2, NOW);
        // Assess
        expect(keys).toEqual(['KEY-A', 'KEY-B', 'KEY-C']);
      });

      it('activeKeys includes both range ends and excludes buckets just outside', async () => {
        // Prepare
        await store.record(
          [
            ev({ key: 'BEFORE', bucket: B0 - 1 }),
            ev({ key: 'FROM', bucket: B0 }),
            ev({ key: 'TO', bucket: B0 + 3 }),
            ev({ key: 'AFTER', bucket: B0 + 4 }),
          ],
          opts(),
        );
        // Act
        const keys = await store.activeKeys(B0, B0 + 3, NOW);
        // Assess
        expect(keys).toEqual(['FROM', 'TO']);
      });

      it('activeKeys is empty for an idle or empty range', async () => {
        // Prepare
        await store.record([ev()], opts());
        // Act
        const idle = await store.activeKeys(B0 + 1, B0 + 5, NOW);
        const empty = await store.activeKeys(B0, B0 - 1, NOW);
        // Assess
        expect(idle).toEqual([]);
        expect(empty).toEqual([]);
      });

      it("readBuckets returns only the key's buckets in [from, to], ascending", async () => {
        // Prepare
        await store.record(
          [
            ev({ bucket: B0 + 3 }),
            ev({ bucket: B0 - 1 }),
            ev({ bucket: B0 + 1 }),
            ev({ bucket: B0 + 1 }),
            ev({ bucket: B0 + 4 }),
            ev({ key: 'OTHER', bucket: B0 + 2 }),
          ],
          opts(),
        );
        // Act
        const buckets = await store.readBuckets('AIDAKEY1', B0, B0 + 3, NOW);
        // Assess
        expect(buckets.map((b) => [b.bucket, b.events])).toEqual([
          [B0 + 1, 2],
          [B0 + 3, 1],
        ]);
      });

      it('readBuckets of an unknown key is empty', async () => {
        // Prepare
        await store.record([ev()], opts());
        // Act
        const buckets = await store.readBuckets('NOBODY', B0 - 5, B0 + 5, NOW);
        // Assess
        expect(buckets).toEqual([]);
      });

      it('readBuckets after activeKeys sees the events recorded in between', async () => {
        // Prepare
        await store.record([ev()], opts());
        await store.activeKeys(B0, B0, NOW);
        // Act
        await store.record([ev(), ev({ bucket: B0 + 1 })], opts());
        const buckets = await store.readBuckets('AIDAKEY1', B0, B0 + 1, NOW);
        // Assess
        expect(buckets.map((b) => b.events)).toEqual([2, 1]);
      });
    });

    describe('alert claims', () => {
      it('lastAlert is undefined before any claim', async () => {
        // Act
        const last = await store.lastAlert('AIDAKEY1', NOW);
        // Assess
        expect(last).toBeUndefined();
      });

      it('a first claim needs no previous claim and becomes the latest, intact', async () => {
        // Prepare
        const c = claim('AIDAKEY1', 'alert-1', { threadId: 'thread-1', windowEndBucket: B0 + 7 });
        // Act
        const won = await store.claimAlert(c, undefined, NOW);
        // Assess
        expect(won).toBe(true);
        expect(await store.lastAlert('AIDAKEY1', NOW)).toEqual(c);
      });

      it('a claim succeeds only on top of the current latest claim', async () => {
        // Prepare
        await store.claimAlert(claim('AIDAKEY1', 'alert-1'), undefined, NOW);
        // Act
        const asFirst = await store.claimAlert(claim('AIDAKEY1', 'alert-x'), undefined, NOW);
        const chained = await store.claimAlert(claim('AIDAKEY1', 'alert-2'), 'alert-1', NOW);
        const stale = await store.claimAlert(claim('AIDAKEY1', 'alert-3'), 'alert-1', NOW);
        // Assess
        expect([asFirst, chained, stale]).toEqual([false, true, false]);
        expect((await store.lastAlert('AIDAKEY1', NOW))?.alertId).toBe('alert-2');
      });

      it('claims an alertId at most once', async () => {
        // Prepare
        await store.claimAlert(claim('AIDAKEY1', 'alert-1'), undefined, NOW);
        await store.claimAlert(claim('AIDAKEY1', 'alert-2'), 'alert-1', NOW);
        // Act
        const again = await store.claimAlert(claim('AIDAKEY1', 'alert-2'), 'alert-2', NOW);
        const older = await store.claimAlert(claim('AIDAKEY1', 'alert-1'), 'alert-2', NOW);
        // Assess
        expect([again, older]).toEqual([false, false]);
        expect((await store.lastAlert('AIDAKEY1', NOW))?.alertId).toBe('alert-2');
      });

      it('of two concurrent claims with the same previous claim, exactly one wins', async () => {
        // Prepare
        await store.claimAlert(claim('AIDAKEY1', 'alert-0'), undefined, NOW);
        // Act
        const results = await Promise.all([
          store.claimAlert(claim('AIDAKEY1', 'alert-a'), 'alert-0', NOW),
          store.claimAlert(claim('AIDAKEY1', 'alert-b'), 'alert-0', NOW),
        ]);
        // Assess
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results[0] ? 'alert-a' : 'alert-b';
        expect((await store.lastAlert('AIDAKEY1', NOW))?.alertId).toBe(winner);
      });

      it('of eight concurrent first claims, exactly one wins and is the latest', async () => {
        // Act
        const ids = Array.from({ length: 8 }, (_, i) => `alert-${i}`);
        const results = await Promise.all(ids.map((id) => store.claimAlert(claim('AIDAKEY1', id), undefined, NOW)));
        // Assess
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await store.lastAlert('AIDAKEY1', NOW))?.alertId).toBe(ids[results.indexOf(true)]);
      });

      it('keeps claims per key', async () => {
        // Act
        const a = await store.claimAlert(claim('AIDAKEY1', 'alert-k1'), undefined, NOW);
        const b = await store.claimAlert(claim('AIDAKEY2', 'alert-k2'), undefined, NOW);
        // Assess
        expect([a, b]).toEqual([true, true]);
        expect((await store.lastAlert('AIDAKEY2', NOW))?.alertId).toBe('alert-k2');
      });

      it('stores a large notification intact', async () => {
        // Prepare: an overflow summary for 3 000 keys (~300 KB of JSON)
        const identities = Array.from({ length: 3000 }, (_, i) => ({
          identity: `AROA4EXAMPLEROLEID123:session-${String(i).padStart(5, '0')}`,
          count: 20 + (i % 50),
          alertId: `${i.toString(16).padStart(8, '0')}${'9e3779b97f4a7c15'.repeat(2).slice(0, 24)}`,
        }));
        const summary: OverflowSummary = { ...OVERFLOW, keys: identities.length, identities };
        // Act
        const won = await store.claimAlert(
          claim('overflow#big', summary.alertId, { notification: summary }),
          undefined,
          NOW,
        );
        // Assess
        expect(won).toBe(true);
        expect((await store.lastAlert('overflow#big', NOW))?.notification).toEqual(summary);
      });

      it('markSent marks the pending latest claim sent', async () => {
        // Prepare
        await store.claimAlert(claim('AIDAKEY1', 'alert-1'), undefined, NOW);
        // Act
        await store.markSent('AIDAKEY1', 'alert-1', NOW);
        await store.markSent('AIDAKEY1', 'alert-1', NOW);
        // Assess
        expect((await store.lastAlert('AIDAKEY1', NOW))?.status).toBe('sent');
        expect(await store.unsentAlerts(LEASE + 1)).toEqual([]);
      });

      it('markSent of a claim that is no longer the latest changes nothing', async () => {
        // Prepare
        await store.claimAlert(claim('AIDAKEY1', 'alert-1'), undefined, NOW);
        await store.claimAlert(claim('AIDAKEY1', 'alert-2'), 'alert-1', NOW);
        // Act
        await store.markSent('AIDAKEY1', 'alert-1', NOW);
        await store.markSent('AIDAKEY1', 'never-claimed', NOW);
        // Assess
        const last = await store.lastAlert('AIDAKEY1', NOW);
        expect([last?.alertId, last?.status]).toEqual(['alert-2', 'pending']);
      });
    });

    describe('unsent alerts and leases', () => {
      it('unsentAlerts returns a pending claim only once its lease has ended', async () => {
        // Prepare
        const c = claim('AIDAKEY1', 'alert-1');
        await store.claimAlert(c, undefined, NOW);
        // Act
        const during = await store.unsentAlerts(LEASE - 1);
        const atEnd = await store.unsentAlerts(LEASE);
        // Assess
        expect(during).toEqual([]);
        expect(atEnd).toEqual([c]);
      });

      it('unsentAlerts skips sent and overflowed claims and lists pending ones of every key', async () => {
        // Prepare
        await store.claimAlert(claim('K-SENT', 'alert-sent'), undefined, NOW);
        await store.markSent('K-SENT', 'alert-sent', NOW);
        await store.claimAlert(claim('K-OVER', 'alert-over', { status: 'overflowed' }), undefined, NOW);
        await store.claimAlert(claim('K-P1', 'alert-p1'), undefined, NOW);
        await store.claimAlert(claim('K-P2', 'alert-p2', { leaseUntil: LEASE - 5000 }), undefined, NOW);
        // Act
        const unsent = await store.unsentAlerts(LEASE);
        // Assess
        expect(sorted(unsent.map((c) => c.alertId))).toEqual(['alert-p1', 'alert-p2']);
      });

      it('renewLease fails while the lease is running', async () => {
        // Prepare
        await store.claimAlert(claim('AIDAKEY1', 'alert-1'), undefined, NOW);
        // Act
        const renewed = await store.renewLease('AIDAKEY1', 'alert-1', LEASE + 120_000, LEASE - 1);
        // Assess
        expect(renewed).toBe(false);
        expect((await store.lastAlert('AIDAKEY1', NOW))?.leaseUntil).toBe(LEASE);
      });

      it('renewLease takes over an ended lease, which hides the claim until the new lease ends', async () => {
        // Prepare
        await store.claimAlert(claim('AIDAKEY1', 'alert-1'), undefined, NOW);
        const next = LEASE + 120_000;
        // Act
        const renewed = await store.renewLease('AIDAKEY1', 'alert-1', next, LEASE);
        // Assess
        expect(renewed).toBe(true);
        expect(await store.unsentAlerts(next - 1)).toEqual([]);
        expect((await store.unsentAlerts(next)).map((c) => [c.alertId, c.leaseUntil])).toEqual([['alert-1', next]]);
      });

      it('of two concurrent renewals, exactly one wins', async () => {
        // Prepare
        await store.claimAlert(claim('AIDAKEY1', 'alert-1'), undefined, NOW);
        // Act
        const results = await Promise.all([
          store.renewLease('AIDAKEY1', 'alert-1', LEASE + 60_000, LEASE),
          store.renewLease('AIDAKEY1', 'alert-1', LEASE + 90_000, LEASE),
        ]);
        // Assess
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await store.lastAlert('AIDAKEY1', NOW))?.leaseUntil).toBe(results[0] ? LEASE + 60_000 : LEASE + 90_000);
      });

      it('renewLease fails once the claim was sent, replaced or never existed', async () => {
        // Prepare
        await store.claimAlert(claim('K-SENT', 'alert-sent'), undefined, NOW);
        await store.markSent('K-SENT', 'alert-sent', NOW);
        await store.claimAlert(claim('K-REPLACED', 'alert-1'), undefined, NOW);
        await store.claimAlert(claim('K-REPLACED', 'alert-2'), 'alert-1', NOW);
        // Act
        const results = await Promise.all([
          store.renewLease('K-SENT', 'alert-sent', LEASE + 60_000, LEASE),
          store.renewLease('K-REPLACED', 'alert-1', LEASE + 60_000, LEASE),
          store.renewLease('K-NONE', 'alert-x', LEASE + 60_000, LEASE),
        ]);
        // Assess
        expect(results).toEqual([false, false, false]);
      });
    });

    describe('open threads (burst summaries still owed)', () => {
      const thread = { startBucket: B0 - 9, reasons: ['threshold'], muted: 0, lastAlertId: 'alert-1' };

      it('a sent claim with threadOpen is listed, intact, until closeThread; a pending one only once sent', async () => {
        // Prepare
        const c = claim('AIDAKEY1', 'alert-1', { thread, threadOpen: true });
        await store.claimAlert(c, undefined, NOW);
        const whilePending = await store.openThreads(NOW);
        await store.markSent('AIDAKEY1', 'alert-1', NOW);
        // Act
        const open = await store.openThreads(NOW);
        await store.closeThread('AIDAKEY1', 'alert-1', NOW);
        const afterClose = await store.openThreads(NOW);
        // Assess
        expect(whilePending).toEqual([]);
        expect(open).toEqual([{ ...c, status: 'sent' }]);
        expect(afterClose).toEqual([]);
        expect((await store.lastAlert('AIDAKEY1', NOW))?.threadOpen).toBe(false);
      });

      it('lists muted and overflowed claims with threadOpen, never claims without it, nor expired ones', async () => {
        // Prepare
        await store.claimAlert(
          claim('K-MUTED', 'alert-m', { status: 'muted', thread, threadOpen: true }),
          undefined,
          NOW,
        );
        await store.claimAlert(claim('K-PLAIN', 'alert-p'), undefined, NOW);
        await store.markSent('K-PLAIN', 'alert-p', NOW);
        await store.claimAlert(
          claim('K-OLD', 'alert-o', { status: 'muted', threadOpen: true, expiresAt: NOW / 1000 + 1 }),
          undefined,
          NOW,
        );
        // Act
        const open = await store.openThreads(NOW + 2000);
        // Assess
        expect(open.map((c) => c.alertId)).toEqual(['alert-m']);
      });

      it('closeThread of a superseded claim leaves the newer claim open', async () => {
        // Prepare
        await store.claimAlert(claim('AIDAKEY1', 'alert-1', { threadOpen: true }), undefined, NOW);
        await store.markSent('AIDAKEY1', 'alert-1', NOW);
        await store.claimAlert(claim('AIDAKEY1', 'alert-2', { threadOpen: true }), 'alert-1', NOW);
        await store.markSent('AIDAKEY1', 'alert-2', NOW);
        // Act
        await store.closeThread('AIDAKEY1', 'alert-1', NOW);
        // Assess
        expect((await store.openThreads(NOW)).map((c) => c.alertId)).toEqual(['alert-2']);
      });
    });

    describe('mutes', () => {
      const mute = (key: string, over: Partial<Mute> = {}): Mute => ({
        key,
        until: NOW + 3_600_000,
        reason: 'nightly reindex, ticket SEC-42',
        by: 'arn:aws:iam::111122223333:user/analyst',
        createdAt: NOW,
        ...over,
      });

      it('listMutes returns mutes in force, intact, and hides expired ones (TTL deletion lags)', async () => {
        // Prepare
        const a = mute('AIDAKEY1');
        const b = mute('AIDAKEY2', { signal: 'access-denied' });
        await store.putMute(a, NOW);
        await store.putMute(b, NOW);
        await store.putMute(mute('AIDAKEY3', { until: NOW + 1000 }), NOW);
        // Act
        const listed = await store.listMutes(NOW + 2000);
        // Assess
        expect(listed).toEqual([a, b]);
      });

      it('a key has one mute per signal; putting it again replaces it', async () => {
        // Prepare
        await store.putMute(mute('AIDAKEY1'), NOW);
        await store.putMute(mute('AIDAKEY1', { signal: 'batch-calls' }), NOW);
        const again = mute('AIDAKEY1', { reason: 'extended', until: NOW + 7_200_000 });
        // Act
        await store.putMute(again, NOW);
        // Assess
        expect(await store.listMutes(NOW)).toEqual([again, mute('AIDAKEY1', { signal: 'batch-calls' })]);
      });

      it('deleteMutes removes every mute of that key only', async () => {
        // Prepare
        await store.putMute(mute('AIDAKEY1'), NOW);
        await store.putMute(mute('AIDAKEY1', { signal: 'batch-calls' }), NOW);
        await store.putMute(mute('AIDAKEY10'), NOW);
        // Act
        const removed = await store.deleteMutes('AIDAKEY1', NOW);
        // Assess
        expect(removed).toBe(2);
        expect((await store.listMutes(NOW)).map((m) => m.key)).toEqual(['AIDAKEY10']);
      });
    });

    describe('property: counts against a brute-force oracle', () => {
      interface Op {
        readonly key: string;
        readonly bucket: number;
        readonly id: number;
      }
      const opArb = fc.record({
        key: fc.constantFrom('k1', 'k2', 'k3'),
        bucket: fc.integer({ min: 0, max: 2 }),
        id: fc.integer({ min: 0, max: 14 }),
      });
      const caseArb = fc.record({
        ops: fc.array(opArb, { minLength: 1, maxLength: 40 }),
        batchSizes: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 40, maxLength: 40 }),
        saturation: fc.integer({ min: 1, max: 6 }),
        saturateOn: fc.constantFrom('events' as const, 'values' as const),
        // tokens and source IP of event id i (redeliveries are identical, as CloudTrail's are)
        tokens: fc.array(fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), { maxLength: 3 }), {
          minLength: 15,
          maxLength: 15,
        }),
        ips: fc.array(fc.constantFrom('192.0.2.1', '192.0.2.2', '192.0.2.3'), { minLength: 15, maxLength: 15 }),
      });

      it('bucket counts, tokens, saturation and outcomes equal the oracle for random record sequences, on either measure', async () => {
        await fc.assert(
          fc.asyncProperty(caseArb, async ({ ops, batchSizes, saturation, saturateOn, tokens, ips }) => {
            // Prepare
            const s = await makeStore();
            const toEvent = (op: Op): CountedEvent =>
              ev({
                key: op.key,
                bucket: B0 + op.bucket,
                eventId: `id-${op.id}`,
                values: tokens[op.id] ?? [],
                saturateOn,
                context: { sourceIp: ips[op.id] ?? '' },
              });
            // Oracle: per (key, bucket) in arrival order
            const oracle = new Map<
              string,
              {
                ids: Set<string>;
                values: Set<string>;
                full: boolean;
                /** source IP counts of every counted event, and of those counted before `saturation` ids were held */
                ips: Map<string, number>;
                ipsExact: Map<string, number>;
              }
            >();
            const expected: RecordOutcome[][] = [];
            for (const op of ops) {
              const id = `${op.key}/${op.bucket}`;
              const b = oracle.get(id) ?? {
                ids: new Set(),
                values: new Set(),
                full: false,
                ips: new Map(),
                ipsExact: new Map(),
              };
              oracle.set(id, b);
              const e = toEvent(op);
              if (b.ids.has(e.eventId)) expected.push(b.full ? ['duplicate', 'saturated'] : ['duplicate']);
              else if (b.full) expected.push(['saturated']);
              else {
                // eventIds and tokens are kept up to the saturation point; the bucket saturates on its measure
                const ip = e.context.sourceIp;
                if (b.ids.size < saturation) b.ipsExact.set(ip, (b.ipsExact.get(ip) ?? 0) + 1);
                if (b.ids.size < saturation) b.ids.add(e.eventId);
                for (const t of e.values) if (b.values.size < saturation) b.values.add(t);
                b.full = (saturateOn === 'values' ? b.values.size : b.ids.size) >= saturation;
                b.ips.set(ip, (b.ips.get(ip) ?? 0) + 1);
                expected.push(['counted']);
              }
            }
            // Act: the same sequence, split into record() calls of random sizes
            const outcomes: RecordOutcome[] = [];
            for (let i = 0, n = 0; i < ops.length; n++) {
              const size = batchSizes[n % batchSizes.length] ?? 1;
              outcomes.push(...(await s.record(ops.slice(i, i + size).map(toEvent), opts(saturation))));
              i += size;
            }
            // Assess
            outcomes.forEach((o, i) => {
              expect(expected[i]).toContain(o);
            });
            for (const [id, b] of oracle) {
              const [key, offset] = id.split('/') as [string, string];
              const [state] = await s.readBuckets(key, B0 + Number(offset), B0 + Number(offset), NOW);
              expect(state?.events).toBe(b.ids.size);
              expect(state?.saturated).toBe(b.full);
              expect(sorted(state?.values ?? [])).toEqual(sorted([...b.values]));
              // exact while fewer than `saturation` ids are held; past that, between that count and every event's
              for (const [ip, all] of b.ips) {
                expect(state?.sourceIps[ip] ?? 0).toBeGreaterThanOrEqual(b.ipsExact.get(ip) ?? 0);
                expect(state?.sourceIps[ip] ?? 0).toBeLessThanOrEqual(all);
              }
              expect(Object.keys(state?.sourceIps ?? {}).every((ip) => b.ips.has(ip))).toBe(true);
            }
            expect(await s.activeKeys(B0, B0 + 2, NOW)).toEqual(sorted([...new Set(ops.map((o) => o.key))]));
          }),
          { numRuns: options.propertyRuns ?? 100 },
        );
      }, 120_000);
    });
  });
}
