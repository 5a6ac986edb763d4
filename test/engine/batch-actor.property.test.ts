/**
 * Batch dumps and actors (docs/PRESETS.md). Property: a BatchGetSecretValue dump of at least THRESHOLD distinct
 * secrets alerts under `recommended` whatever the shape of its per-secret entries and whether the call lists ids or
 * filters, and under every preset that counts distinct secrets the count equals the brute-force number of distinct
 * secrets read (no secret, and no filter text, counted twice or as a secret).
 */
import fc from 'fast-check';
import { loadConfig, type Preset } from '../../lib/config/load';
import type { Alert } from '../../lib/engine/alert';
import { replay } from '../../lib/usecases/replay';

const BASE = Date.parse('2026-03-02T10:00:00Z');
const ACCOUNT = '111122223333';
const USER = {
  type: 'IAMUser',
  principalId: 'AIDAEXAMPLEUSER00001',
  arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
  accountId: ACCOUNT,
  accessKeyId: 'AKIAEXAMPLEKEY000001',
  userName: 'alice',
};
type Shape = 'service' | 'own' | 'service-address-only' | 'invoked-by-only';

let seq = 0;
function entry(t: number, secretId: string, shape: Shape, eventName = 'GetSecretValue', params?: object): object {
  seq += 1;
  const service = 'secretsmanager.amazonaws.com';
  const byService = shape !== 'own' && eventName === 'GetSecretValue';
  return {
    eventVersion: '1.09',
    userIdentity: byService && shape !== 'service-address-only' ? { ...USER, invokedBy: service } : USER,
    eventTime: new Date(t).toISOString(),
    eventSource: service,
    eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: byService && shape !== 'invoked-by-only' ? service : '203.0.113.10',
    userAgent: byService && shape === 'service' ? service : 'aws-cli/2.15.30',
    requestParameters: params ?? { secretId },
    eventID: `evt-${seq}`,
  };
}

/** calls × size secrets; `overlap` makes later calls re-read earlier secrets. */
function dump(calls: number, size: number, shape: Shape, list: boolean, overlap: number, arns: boolean): object[] {
  const out: object[] = [];
  for (let c = 0; c < calls; c++) {
    const names = Array.from({ length: size }, (_, i) => `prod/dump/s-${Math.max(0, c * size - overlap) + i}`);
    // All in one minute bucket, so the alert (evaluated per minute) sees the whole dump and its count is exact.
    const t = BASE + 5_000 + c * 200;
    const params = list ? { secretIdList: names } : { filters: [{ key: 'tag-key', values: ['team'] }], maxResults: 20 };
    out.push(entry(t, '', 'own', 'BatchGetSecretValue', params));
    for (const name of names)
      out.push(entry(t + 50, arns ? `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:${name}-AbCdEf` : name, shape));
  }
  return out;
}

async function alertsUnder(records: readonly object[], preset: Preset): Promise<Alert[]> {
  const { notifications } = await replay(
    records.map((record) => ({ record })),
    loadConfig({ RSR_PRESET: preset }),
  );
  return notifications.filter((n): n is Alert => n.kind === 'alert');
}

/** Oracle: the distinct secret names `dump` reads (each call overlaps the previous by `overlap`). */
function dumpedNames(calls: number, size: number, overlap: number): Set<string> {
  const names = new Set<string>();
  for (let c = 0; c < calls; c++)
    for (let i = 0; i < size; i++) names.add(`prod/dump/s-${Math.max(0, c * size - overlap) + i}`);
  return names;
}

const shapes = fc.constantFrom<Shape>('service', 'own', 'service-address-only', 'invoked-by-only');

describe('batch dumps', () => {
  it('alert under recommended once they reach the threshold, whatever the entries look like', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 20 }),
        shapes,
        fc.boolean(),
        fc.integer({ min: 0, max: 5 }),
        fc.boolean(),
        async (calls, size, shape, list, overlap, arns) => {
          const records = dump(calls, size, shape, list, overlap, arns);
          const names = dumpedNames(calls, size, overlap);
          const alerts = await alertsUnder(records, 'recommended');
          const main = alerts.filter((a) => a.reasons.includes('threshold'));
          // Oracle: the distinct secrets read, nothing else.
          expect(main.length).toBe(names.size >= 20 ? 1 : 0);
          if (names.size >= 20) expect(main[0]?.count).toBe(names.size);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('never count a secret twice under a preset that counts distinct secrets', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 5, max: 20 }),
        shapes,
        fc.boolean(),
        fc.integer({ min: 0, max: 5 }),
        fc.boolean(),
        async (calls, size, shape, list, overlap, arns) => {
          // Entries by ARN and a list by name: elastic-2025 does not count the list, recommended normalises both.
          const records = dump(calls, size, shape, list, overlap, arns);
          const distinct = dumpedNames(calls, size, overlap);
          for (const preset of ['elastic-2025', 'recommended'] as const) {
            for (const a of await alertsUnder(records, preset))
              if (a.reasons.includes('threshold')) expect(a.count).toBe(distinct.size);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('the actor under recommended', () => {
  const sso = (session: string, secret: string, t: number, sourceIdentity?: string): object => ({
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLESSO000001:${session}`,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Dev_0123456789abcdef/${session}`,
      accountId: ACCOUNT,
      accessKeyId: 'ASIAEXAMPLEKEY000009',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLESSO000001',
          arn: `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Dev_0123456789abcdef`,
          accountId: ACCOUNT,
          userName: 'AWSReservedSSO_Dev_0123456789abcdef',
        },
        ...(sourceIdentity ? { sourceIdentity } : {}),
      },
    },
    eventTime: new Date(t).toISOString(),
    eventSource: 'secretsmanager.amazonaws.com',
    eventName: 'GetSecretValue',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.10',
    userAgent: 'aws-cli/2.15.30',
    requestParameters: { secretId: secret },
    eventID: `sso-${session}-${secret}-${t}`,
  });

  it('is the Identity Center user: role and session shown in the alert', async () => {
    const records = Array.from({ length: 21 }, (_, i) => sso('mallory', `prod/s-${i}`, BASE + i * 1000));
    const [alert] = await alertsUnder(records, 'recommended');
    expect(alert?.identity).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Dev_0123456789abcdef/mallory`);
    expect(alert?.actor).toEqual({
      role: `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Dev_0123456789abcdef`,
      session: 'mallory',
      sourceIdentity: '',
    });
  });

  it('is the source identity when the session carries one, across sessions', async () => {
    const records = Array.from({ length: 21 }, (_, i) => sso(`user-${i}`, `prod/s-${i}`, BASE + i * 1000, 'mallory'));
    const [alert] = await alertsUnder(records, 'recommended');
    expect(alert?.identity).toBe('source-identity:mallory');
    expect(alert?.actor?.sourceIdentity).toBe('mallory');
  });

  it('keeps the actor parts out of the alert under principal grouping', async () => {
    const records = Array.from({ length: 21 }, (_, i) => sso('mallory', `prod/s-${i}`, BASE + i * 1000));
    const [alert] = await alertsUnder(records, 'elastic-2024');
    expect(alert?.actor).toBeUndefined();
  });
});
