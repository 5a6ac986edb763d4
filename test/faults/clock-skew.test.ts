/**
 * Clock skew and delivery delay between CloudTrail (eventTime) and the evaluator (`now`): events stamped minutes
 * ahead of the evaluator's clock, or arriving minutes after their bucket. Simulated minute by minute: events are
 * ingested when they arrive, and the evaluator runs at the end of every minute, as the scheduled one does.
 *
 * Expected (lib/engine/window.ts, invariants 1, 5 and 7): when every event reaches the store at most LATENESS_MINUTES
 * after the start of its eventTime minute, the burst alerts exactly once; whatever the skew, it never alerts twice.
 * Events from "the future" wait in their buckets until the evaluator's clock reaches them.
 */
import fc from 'fast-check';
import { DynamoDbWindowStore } from '../../lib/adapters/store/dynamodb';
import { MemoryWindowStore } from '../../lib/adapters/store/memory';
import type { RuntimeConfig } from '../../lib/config/load';
import type { Alert } from '../../lib/engine/alert';
import { Detector } from '../../lib/engine/detector';
import { runEvaluation } from '../../lib/engine/evaluate';
import type { WindowStore } from '../../lib/engine/ports';
import { BUCKET_MS, bucketOf, bucketStart } from '../../lib/engine/window';
import { freshTable, testClient, useDynalite } from '../support/dynalite';
import { CaseCounter } from '../support/hostile';
import { BASE_TIME, secretsRecord, testConfig } from '../support/records';
import { RecordingPublisher } from './support';

useDynalite();

const cases = new CaseCounter();
afterAll(() => console.log(cases.report('clock skew (property)')));

const MINUTE = 60_000;
const READS = 20;

interface Scenario {
  /** CloudTrail's clock minus the evaluator's, in ms (positive: eventTime ahead of `now`). */
  readonly skewMs: number;
  /** Per read: how long after the call it reaches the store (evaluator clock), in ms. */
  readonly delaysMs: readonly number[];
}

/**
 * Runs the scenario; returns the alerts and the largest lateness (arrival − start of the eventTime minute).
 * `stopAtAlert` ends the simulation at the first alert once every read has arrived (for the slower DynamoDB store).
 */
async function simulate(scenario: Scenario, store: WindowStore, config: RuntimeConfig, stopAtAlert = false) {
  const detector = new Detector(config);
  const publisher = new RecordingPublisher();
  const reads = Array.from({ length: READS }, (_, i) => {
    const happened = BASE_TIME + i * 5_000;
    const eventTime = happened + scenario.skewMs;
    return {
      record: secretsRecord({ principalId: 'AIDASKEWED0000000001', eventId: `skew-${i}`, eventTimeMs: eventTime }),
      arrives: happened + (scenario.delaysMs[i] ?? 0),
      lateness: happened + (scenario.delaysMs[i] ?? 0) - bucketStart(bucketOf(eventTime)),
    };
  });
  const first = bucketOf(BASE_TIME);
  const last = bucketOf(Math.max(...reads.map((r) => r.arrives))) + config.latenessMinutes + config.windowMinutes + 2;
  for (let minute = first; minute <= last; minute++) {
    const end = (minute + 1) * BUCKET_MS;
    const arriving = reads.filter((r) => r.arrives >= end - BUCKET_MS && r.arrives < end);
    for (const r of arriving) await detector.ingest(store, [r.record], r.arrives);
    await runEvaluation(store, publisher, config, end - 1);
    // Once everything has arrived and alerted, a slow store need not simulate the rest of the look-back.
    if (stopAtAlert && publisher.delivered.length > 0 && reads.every((r) => r.arrives < end)) break;
  }
  return { alerts: publisher.alerts(), lateness: Math.max(...reads.map((r) => r.lateness)) };
}

describe('clock skew between CloudTrail and the evaluator', () => {
  const config = testConfig();

  it.each([
    ['eventTime 3 minutes ahead of the evaluator, delivered at once', 3 * MINUTE, 0],
    ['eventTime 7 minutes ahead, delivered after 2 minutes', 7 * MINUTE, 2 * MINUTE],
    ['eventTime 2 minutes behind, delivered at once', -2 * MINUTE, 0],
    ['delivered 9 minutes late (inside LATENESS_MINUTES = 10)', 0, 9 * MINUTE],
    ['eventTime 4 minutes behind and delivered 5 minutes late', -4 * MINUTE, 5 * MINUTE],
  ])('%s: one alert', async (_name, skewMs, delayMs) => {
    // Act
    const { alerts, lateness } = await simulate(
      { skewMs, delaysMs: Array(READS).fill(delayMs) },
      new MemoryWindowStore(),
      config,
    );
    // Assess
    expect(lateness).toBeLessThanOrEqual(config.latenessMinutes * MINUTE);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.count).toBe(READS);
  });

  it('delivered long after the window and the lateness allowance: counted, but no alert (the documented limit)', async () => {
    // Act
    const late = (config.latenessMinutes + config.windowMinutes + 2) * MINUTE;
    const { alerts } = await simulate(
      { skewMs: 0, delaysMs: Array(READS).fill(late) },
      new MemoryWindowStore(),
      config,
    );
    // Assess
    expect(alerts).toHaveLength(0);
  });

  it('alerts exactly once within the lateness allowance, and never twice, for random skews and delays (150 scenarios)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: -15 * MINUTE, max: 15 * MINUTE }),
        fc.array(fc.integer({ min: 0, max: 20 * MINUTE }), { minLength: READS, maxLength: READS }),
        cases.count('skew and delays', async (skewMs, delaysMs) => {
          const { alerts, lateness } = await simulate({ skewMs, delaysMs }, new MemoryWindowStore(), config);
          if (lateness <= config.latenessMinutes * MINUTE) return alerts.length === 1;
          return alerts.length <= 1;
        }),
      ),
      { numRuns: 150 },
    );
  });

  it('behaves the same on the DynamoDB store: eventTime 3 minutes ahead and 6 minutes of delay, one alert', async () => {
    // Prepare: a short look-back keeps the simulated minutes cheap on dynalite.
    const short = testConfig({
      tableName: await freshTable(testClient(), 'skew'),
      latenessMinutes: 8,
      windowMinutes: 4,
    });
    const store = new DynamoDbWindowStore(testClient(), { tableName: short.tableName });
    // Act
    const { alerts, lateness } = await simulate(
      { skewMs: 3 * MINUTE, delaysMs: Array.from({ length: READS }, (_, i) => (i % 2) * 6 * MINUTE) },
      store,
      short,
      true,
    );
    // Assess
    expect(lateness).toBeLessThanOrEqual(short.latenessMinutes * MINUTE);
    expect(alerts.map((a: Alert) => a.count)).toEqual([READS]);
  });
});
