/** Investigation context in alerts: credential kind, session issuer, MFA, console, ready queries. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderText } from '../../lib/adapters/notify/render';
import { loadConfig } from '../../lib/config/load';
import type { Alert } from '../../lib/engine/alert';
import { eventHistoryUrl, queriesFor, sqlString } from '../../lib/engine/investigate';
import { replay } from '../../lib/usecases/replay';

const fixture = (path: string): unknown[] => JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', path), 'utf8'));

async function firstAlert(path: string, env: Record<string, string> = {}): Promise<Alert> {
  const { notifications } = await replay(
    fixture(path).map((record) => ({ record })),
    loadConfig(env),
  );
  return notifications[0] as Alert;
}

describe('investigation context', () => {
  it('describes an assumed-role burst: temporary credentials, the issuing role, MFA not used', async () => {
    // Act
    const alert = await firstAlert('presets/role-30-sessions.json', { RSR_PRESET: 'recommended' });
    // Assess
    expect(alert.investigation).toMatchObject({
      accessKeyKind: 'temporary',
      sessionIssuerArn: 'arn:aws:iam::111122223333:role/worker',
      mfaAuthenticated: false,
      consoleSession: false,
      awsServiceCaller: '',
      distinctRegions: 1,
    });
    expect(alert.investigation?.cloudTrailLakeQuery).toContain(
      "userIdentity.sessionContext.sessionIssuer.arn = 'arn:aws:iam::111122223333:role/worker'",
    );
  });

  it('describes an IAM user burst: long-term key, queries by principal id, event-history link by key', async () => {
    const alert = await firstAlert('stratus-red-team/secretsmanager-retrieve-secrets.json');
    expect(alert.investigation?.accessKeyKind).toBe('long-term');
    expect(alert.investigation?.athenaQuery).toContain("useridentity.principalid = 'AIDA45XCCHPPLELFTIIM'");
    expect(alert.investigation?.eventHistoryUrl).toContain('AccessKeyId=AKIA1JMTHE9ZMZMWG0MG');
    expect(renderText(alert)).toContain('long-term access key (AKIA)');
  });

  it('escapes quotes in identities placed in SQL', () => {
    expect(sqlString("x' OR '1'='1")).toBe("'x'' OR ''1''=''1'");
    const q = queriesFor({
      groupBy: 'principal',
      identity: "AIDA'; DROP TABLE x; --",
      windowStart: '2026-01-01T00:00:00.000Z',
      windowEnd: '2026-01-01T00:10:00.000Z',
    });
    expect(q.athenaQuery).toContain("'AIDA''; DROP TABLE x; --'");
  });

  it('selects an actor keyed by source identity on that field, across roles', () => {
    const q = queriesFor({
      groupBy: 'actor',
      identity: "source-identity:o'neil",
      windowStart: '2026-01-01T00:00:00.000Z',
      windowEnd: '2026-01-01T00:10:00.000Z',
    });
    expect(q.cloudTrailLakeQuery).toContain("WHERE userIdentity.sessionContext.sourceIdentity = 'o''neil'");
    expect(q.athenaQuery).toContain("WHERE useridentity.sessioncontext.sourceidentity = 'o''neil'");
  });

  it('falls back to a known region for the event-history link when the logged region is not one', () => {
    const url = eventHistoryUrl({
      accessKeyId: '',
      userName: 'alice',
      regions: [{ value: 'cn-centraleast-1r<script>', count: 1 }],
      windowStart: '2026-01-01T00:00:00.000Z',
      windowEnd: '2026-01-01T00:10:00.000Z',
    });
    expect(url.startsWith('https://us-east-1.console.aws.amazon.com/')).toBe(true);
    expect(url).toContain('Username=alice');
  });
});
