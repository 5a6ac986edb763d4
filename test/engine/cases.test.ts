/**
 * The detector on hand-made and real (Stratus Red Team) CloudTrail fixtures, positive and negative, under the
 * default preset unless a case says otherwise.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeConfig } from '../../lib/config/load';
import type { Alert } from '../../lib/engine/alert';
import { replay } from '../../lib/usecases/replay';
import { testConfig } from '../support/records';

const fixture = (path: string): unknown[] => JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', path), 'utf8'));

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

describe('hand-made cases (test/fixtures/cases)', () => {
  it.each([
    ['browser-chrome', 0],
    ['browser-firefox', 0],
    ['browser-safari', 0],
    ['browser-edge', 0],
    ['browser-brave', 0],
    ['browser-opera', 0],
    ['agent-headless-chrome', 1],
    ['agent-chrome-mobile', 1],
    ['agent-mobile-safari', 1],
    ['failed-calls', 0],
    ['count-19', 0],
    ['count-20', 1],
    ['spread-8-minutes', 1],
    ['one-per-minute-20-minutes', 0],
    ['duplicates-15-unique', 0],
    ['duplicates-20-unique', 1],
    ['role-sessions', 0],
  ])('%s yields %i alert(s) under the default preset', async (name, expected) => {
    // Act
    const { alerts } = await alertsFor(`cases/${name}.json`);
    // Assess
    expect(alerts).toHaveLength(expected);
    for (const a of alerts) expect(a.count).toBe(20);
  });

  it('counts browser calls as skipped under the browser-agent reason', async () => {
    const { result } = await alertsFor('cases/browser-chrome.json');
    expect(result.stats.skipped['browser-agent']).toBe(25);
  });

  it('counts failed calls as skipped under the failed-call reason', async () => {
    const { result } = await alertsFor('cases/failed-calls.json');
    expect(result.stats.skipped['failed-call']).toBe(25);
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
