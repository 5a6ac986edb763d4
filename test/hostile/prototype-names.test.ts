/**
 * Context values are attacker-chosen text (a user agent is whatever the caller sends; a secret id is whatever it asks
 * for), and both stores turn them into per-value counts. A value spelt like a member of Object.prototype
 * (`constructor`, `toString`, `__proto__`, ...) must be counted like any other value, by both stores, and reach the
 * alert as a number.
 */

import { DynamoDbWindowStore } from '../../lib/adapters/store/dynamodb';
import { MemoryWindowStore } from '../../lib/adapters/store/memory';
import type { Alert, Notification } from '../../lib/engine/alert';
import { Detector } from '../../lib/engine/detector';
import { runEvaluation } from '../../lib/engine/evaluate';
import type { BucketState, WindowStore } from '../../lib/engine/ports';
import { bucketOf } from '../../lib/engine/window';
import { freshTable, testClient, useDynalite } from '../support/dynalite';
import { BASE_TIME, secretsRecord, testConfig } from '../support/records';

useDynalite();

const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];
const PRINCIPAL = 'AIDAPROTOTYPENAMES001';

/** One read per name, the name used as user agent, source address and secret id at once. */
function records(): Record<string, unknown>[] {
  return PROTOTYPE_NAMES.map((name, i) =>
    secretsRecord({
      principalId: PRINCIPAL,
      eventId: `proto-${i}`,
      eventTimeMs: BASE_TIME + i * 1000,
      userAgent: name,
      sourceIp: name,
      secretId: name,
    }),
  );
}

const stores: [string, () => Promise<{ store: WindowStore; tableName: string }>][] = [
  ['memory', async () => ({ store: new MemoryWindowStore(), tableName: 'unused' })],
  [
    'dynamodb',
    async () => {
      const tableName = await freshTable(testClient(), 'proto');
      return { store: new DynamoDbWindowStore(testClient(), { tableName }), tableName };
    },
  ],
];

describe.each(stores)('values named like Object.prototype members (%s store)', (_name, make) => {
  it('are counted once each, as numbers, in the bucket and in the alert', async () => {
    // Prepare
    const { store, tableName } = await make();
    const config = testConfig({ tableName, threshold: PROTOTYPE_NAMES.length });
    const detector = new Detector(config);
    const bucket = bucketOf(BASE_TIME);
    const now = BASE_TIME + 60_000;
    // Act
    const stats = await detector.ingest(store, records(), BASE_TIME + 10_000);
    const [state] = (await store.readBuckets(PRINCIPAL, bucket, bucket, now)) as [BucketState];
    const sent: Notification[] = [];
    await runEvaluation(store, { publish: async (n) => void sent.push(n) }, config, now);
    // Assess
    expect(stats.counted).toBe(PROTOTYPE_NAMES.length);
    const expected = Object.fromEntries(PROTOTYPE_NAMES.map((n) => [n, 1]));
    for (const field of ['userAgents', 'sourceIps', 'secrets'] as const) {
      expect(Object.entries(state[field]).sort()).toEqual(Object.entries(expected).sort());
    }
    expect(sent).toHaveLength(1);
    const alert = sent[0] as Alert;
    for (const list of [alert.userAgents, alert.sourceIps, alert.secrets]) {
      expect([...list].sort((a, b) => (a.value < b.value ? -1 : 1))).toEqual(
        [...PROTOTYPE_NAMES].sort().map((value) => ({ value, count: 1 })),
      );
    }
  });
});
