/**
 * The detector on hand-made and real (Stratus Red Team) CloudTrail fixtures, positive and negative, under the
 * default preset unless a case says otherwise.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeConfig } from '../../lib/config/load';
import type { Alert } from '../../lib/engine/alert';
import { replay } from '../../lib/usecases/replay';
import { testConfig } from '../support/records';

const FIXTURES = join(__dirname, '..', 'fixtures');

/** A case file (test/fixtures/cases): a CloudTrail log file that carries its description and expected outcome. */
interface CaseFile {
  readonly description: string;
  readonly expect: { readonly alerts: number; readonly count?: number; readonly skipped?: Record<string, number> };
  readonly Records: unknown[];
}

const fixture = (path: string): unknown[] => {
  const doc = JSON.parse(readFileSync(join(FIXTURES, path), 'utf8')) as unknown[] | CaseFile;
  return Array.isArray(doc) ? doc : doc.Records;
};

async function alertsFor(path: string, overrides: Partial<RuntimeConfig> = {}) {
  const result = await replay(
    fixture(path).map((record) => ({ record })),
    testConfig(overrides),
  );
  return { alerts: result.notifications.filter((n): n is Alert => n.kind === 'alert'), result };
}

describe('Stratus Red Team detonations (real CloudTrail)', () => {
  it('alerts exactly once, with count 20, on 20 GetSecretValue calls by one IAM user', async () => {
    // Act
    const { alerts, result } = await alertsFor('stratus-red-team/secretsmanager-retrieve-secrets.json');
    // Assess
    expect(alerts).toHaveLength(1);
    const [alert] = alerts as [Alert];
    expect(alert.count).toBe(20);
    expect(alert.identity).toBe('AIDA45XCCHPPLELFTIIM');
    expect(alert.userName).toBe('christophe');
    expect(alert.accessKeyId).toBe('AKIA1JMTHE9ZMZMWG0MG');
    expect(alert.distinctSecrets).toBe(20);
    expect(alert.eventNames).toEqual([{ value: 'GetSecretValue', count: 20 }]);
    expect(result.stats.skipped['other-api']).toBe(1); // the ListSecrets call before the reads
  });

  it('does not alert on 5 BatchGetSecretValue calls under the default preset', async () => {
    const { alerts, result } = await alertsFor('stratus-red-team/secretsmanager-batch-retrieve-secrets.json');
    expect(alerts).toHaveLength(0);
    expect(result.stats.qualifying).toBe(5);
  });
});

describe('hand-made cases (test/fixtures/cases): each file says what the default preset must do with it', () => {
  const cases = readdirSync(join(FIXTURES, 'cases'))
    .filter((f) => f.endsWith('.json'))
    .map(
      (f) =>
        [f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(FIXTURES, 'cases', f), 'utf8')) as CaseFile] as const,
    );

  it('covers every case file', () => {
    expect(cases.length).toBeGreaterThanOrEqual(17);
  });

  it.each(cases)('%s', async (name, file) => {
    // Act
    const { alerts, result } = await alertsFor(`cases/${name}.json`);
    // Assess
    expect(alerts).toHaveLength(file.expect.alerts);
    for (const a of alerts) expect(a.count).toBe(file.expect.count);
    for (const [reason, n] of Object.entries(file.expect.skipped ?? {})) {
      expect({ reason, skipped: result.stats.skipped[reason as keyof typeof result.stats.skipped] }).toEqual({
        reason,
        skipped: n,
      });
    }
  });

  it('counts duplicated eventIDs once', async () => {
    const { result } = await alertsFor('cases/duplicates-20-unique.json');
    expect(result.stats.counted).toBe(20);
    expect(result.stats.duplicates).toBe(20);
  });

  it('groups role sessions apart under principal and together under actor', async () => {
    // Prepare: 5 sessions of one role, 6 calls each
    // Act
    const byPrincipal = await alertsFor('cases/role-sessions.json', { groupBy: 'principal' });
    const byActor = await alertsFor('cases/role-sessions.json', { groupBy: 'actor' });
    // Assess
    expect(byPrincipal.alerts).toHaveLength(0);
    expect(byActor.alerts).toHaveLength(1);
    expect(byActor.alerts[0]?.identity).toBe('arn:aws:iam::111122223333:role/app-role');
    // The evaluator alerts at the end of the first minute that crosses: 4 minutes x 6 calls, as of then.
    expect(byActor.alerts[0]?.count).toBe(24);
    expect(byActor.alerts[0]?.groupBy).toBe('actor');
  });

  it('excludes the Android Chrome burst once "Chrome Mobile" is added to BROWSER_NAMES', async () => {
    const { alerts } = await alertsFor('cases/agent-chrome-mobile.json', { browserNames: ['Chrome Mobile'] });
    expect(alerts).toHaveLength(0);
  });
});
