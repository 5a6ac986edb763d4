/**
 * Where the presets differ, on hand-made fixtures (test/fixtures/presets, made by scripts/make-case-fixtures.mjs)
 * and the Stratus Red Team detonations. Each row: which reasons fire under each preset (empty = no alert).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type Preset } from '../../lib/config/load';
import type { Alert } from '../../lib/engine/alert';
import { replay } from '../../lib/usecases/replay';

const fixture = (path: string): unknown[] => JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', path), 'utf8'));

async function reasonsUnder(path: string, preset: Preset): Promise<string[][]> {
  const config = loadConfig({ RSR_PRESET: preset });
  const { notifications } = await replay(
    fixture(path).map((record) => ({ record })),
    config,
  );
  return notifications.filter((n): n is Alert => n.kind === 'alert').map((a) => [...a.reasons]);
}

const none: string[][] = [];
const fires = (...reasons: string[]) => [reasons];

describe('presets side by side', () => {
  it.each([
    ['presets/spoofed-browser-agent.json', none, none, fires('threshold')],
    ['presets/console-session-browser.json', none, none, none],
    ['presets/role-30-sessions.json', none, none, fires('threshold')],
    ['presets/batch-plus-per-secret.json', fires('threshold'), fires('threshold'), none],
    ['presets/aws-service-caller.json', fires('threshold'), none, none],
    ['presets/catch-all-filter.json', none, none, fires('catch-all-filter')],
    ['presets/batch-regions.json', none, none, fires('batch-regions')],
    ['presets/access-denied-probe.json', none, none, fires('access-denied')],
    ['stratus-red-team/secretsmanager-batch-retrieve-secrets.json', none, none, fires('batch-calls')],
    // Batch dumps with their per-secret entries (issue: the entries are the caller's reads under every preset).
    ['presets/batch-filter-service-4x20.json', fires('threshold'), fires('threshold'), fires('threshold')],
    ['presets/batch-filter-service-1x20.json', fires('threshold'), fires('threshold'), fires('threshold')],
    ['presets/batch-filter-own-1x19.json', fires('threshold'), none, none],
    ['presets/batch-filter-own-2x10.json', fires('threshold'), fires('threshold'), fires('threshold')],
    ['presets/batch-list-service-3x7.json', fires('threshold'), fires('threshold'), fires('threshold')],
    ['presets/batch-list-own-1x20.json', fires('threshold'), fires('threshold'), fires('threshold')],
    // Who the actor is.
    ['presets/sso-30-developers.json', none, none, none],
    ['presets/sso-one-user-24.json', fires('threshold'), fires('threshold'), fires('threshold')],
    ['presets/source-identity-two-roles.json', none, none, fires('threshold')],
    [
      'stratus-red-team/secretsmanager-retrieve-secrets.json',
      fires('threshold'),
      fires('threshold'),
      fires('threshold'),
    ],
  ])('%s: elastic-2024 %j, elastic-2025 %j, recommended %j', async (path, e2024, e2025, recommended) => {
    // Act
    const got = await Promise.all([
      reasonsUnder(path, 'elastic-2024'),
      reasonsUnder(path, 'elastic-2025'),
      reasonsUnder(path, 'recommended'),
    ]);
    // Assess
    expect(got).toEqual([e2024, e2025, recommended]);
  });

  it('groups by role ARN under recommended and counts each secret once', async () => {
    const config = loadConfig({ RSR_PRESET: 'recommended' });
    const { notifications } = await replay(
      fixture('presets/role-30-sessions.json').map((record) => ({ record })),
      config,
    );
    const [alert] = notifications as Alert[];
    expect(alert?.identity).toBe('arn:aws:iam::111122223333:role/worker');
    expect(alert?.countMode).toBe('distinct-secrets');
    expect(alert?.count).toBeGreaterThanOrEqual(20);
  });

  it('lets an environment variable override a preset default, and a flag override both', () => {
    expect(loadConfig({ RSR_PRESET: 'recommended' }).groupBy).toBe('actor');
    expect(loadConfig({ RSR_PRESET: 'recommended', GROUP_BY: 'principal' }).groupBy).toBe('principal');
    expect(
      loadConfig(
        { RSR_PRESET: 'recommended', GROUP_BY: 'principal' },
        { groupBy: { value: 'actor', source: '--group-by' } },
      ).groupBy,
    ).toBe('actor');
    expect(loadConfig({ RSR_PRESET: 'elastic-2025' }).windowMinutes).toBe(6);
    expect(loadConfig({ RSR_PRESET: 'elastic-2025', WINDOW_MINUTES: '9' }).windowMinutes).toBe(9);
  });

  it('rejects an unknown preset, naming the accepted ones', () => {
    expect(() => loadConfig({ RSR_PRESET: 'strict' })).toThrow(/RSR_PRESET.*elastic-2024, elastic-2025, recommended/);
  });

  it('rejects an unknown signal, naming the accepted ones', () => {
    expect(() => loadConfig({ SIGNALS: 'batch-calls,typo' })).toThrow(/SIGNALS.*batch-calls, catch-all-filter/);
  });
});
