/**
 * The Lambda handler modules themselves: configuration read once at cold start (and a bad variable failing it),
 * clients built from the standard AWS endpoint variables, one call per invocation.
 */
import { freshTable, testClient, useDynalite } from '../support/dynalite';
import { secretsRecord } from '../support/records';

useDynalite();

function loadHandler(path: string, env: Record<string, string>): { handler: (event?: unknown) => Promise<unknown> } {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    let mod: { handler: (event?: unknown) => Promise<unknown> } | undefined;
    jest.isolateModules(() => {
      mod = require(path);
    });
    return mod as { handler: (event?: unknown) => Promise<unknown> };
  } finally {
    process.env = saved;
  }
}

describe('Lambda handler modules', () => {
  it('ingest: fails the cold start naming a bad variable, its value and what is accepted', () => {
    expect(() => loadHandler('../../functions/ingest/handler', { GROUP_BY: 'session' })).toThrow(
      /GROUP_BY="session".*principal, actor/,
    );
  });

  it('evaluate: fails the cold start when TOPIC_ARN is missing', () => {
    expect(() => loadHandler('../../functions/evaluate/handler', { TOPIC_ARN: '' })).toThrow(/TOPIC_ARN/);
  });

  it('ingest: counts an EventBridge event into the table named by TABLE_NAME', async () => {
    // Prepare
    const table = await freshTable(testClient());
    const { handler } = loadHandler('../../functions/ingest/handler', { TABLE_NAME: table, LOG_LEVEL: 'SILENT' });
    const record = secretsRecord({ eventTimeMs: Date.now() - 5_000 });
    // Act
    const stats = (await handler({
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.secretsmanager',
      detail: record,
    })) as {
      counted: number;
    };
    // Assess
    expect(stats.counted).toBe(1);
  });

  it('ingest: drops a malformed event with a reason instead of failing (no endless retries)', async () => {
    const table = await freshTable(testClient());
    const { handler } = loadHandler('../../functions/ingest/handler', { TABLE_NAME: table, LOG_LEVEL: 'SILENT' });
    const stats = (await handler({ 'detail-type': 'Something else', detail: {} })) as {
      skipped: Record<string, number>;
    };
    expect(stats.skipped['not-a-cloudtrail-envelope']).toBe(1);
  });
});
