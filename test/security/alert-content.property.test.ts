/**
 * Alerts carry ids, never secret values or raw request bodies. CloudTrail does not log secret values for
 * GetSecretValue, but a record can carry anything (other services, a future change, a crafted file), so the property
 * plants unique markers in every part of the record the detector does not need — requestParameters beside the secret
 * id (SecretString, SecretBinary, random keys), responseElements, additionalEventData — and checks that no output
 * contains them: the alert JSON, the SNS message (both https formats), the email text, the Chatbot notification, the
 * terminal rendering, the Security Hub finding, and every item the DynamoDB store wrote.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { buildSnsMessage, renderChatbot, renderText } from '../../lib/adapters/notify/render';
import { toFinding } from '../../lib/adapters/notify/securityhub';
import { DynamoDbWindowStore } from '../../lib/adapters/store/dynamodb';
import { formatNotification } from '../../lib/cli/format';
import type { RuntimeConfig } from '../../lib/config/load';
import type { Alert, Notification } from '../../lib/engine/alert';
import { Detector } from '../../lib/engine/detector';
import { runEvaluation } from '../../lib/engine/evaluate';
import { replay } from '../../lib/usecases/replay';
import { freshTable, testClient, useDynalite } from '../support/dynalite';
import { CaseCounter } from '../support/hostile';
import { BASE_TIME, secretsRecord, testConfig } from '../support/records';

useDynalite();

const cases = new CaseCounter();
afterAll(() => console.log(cases.report('alert content (property)')));

const config = testConfig();
const READS = config.threshold;

/** A value that cannot occur by chance in any output. */
const marker = fc.stringMatching(/^[0-9a-f]{16}$/).map((hex) => `SECRETVALUE${hex}`);

interface Planted {
  readonly marker: string;
  /** Extra request parameter names (beside secretId), each holding the marker. */
  readonly extraKeys: readonly string[];
  readonly batch: boolean;
}

const planted = fc.record({
  marker,
  extraKeys: fc.array(
    fc
      .string({ minLength: 1, maxLength: 12 })
      .filter((k) => k !== 'secretId' && k !== 'secretIdList' && k !== 'filters' && k !== '__proto__'),
    {
      maxLength: 4,
    },
  ),
  batch: fc.boolean(),
});

/** A burst of reads by one identity, each record carrying the marker wherever the detector has no business. */
function records(p: Planted): Record<string, unknown>[] {
  return Array.from({ length: READS }, (_, i) => {
    const r = secretsRecord({
      principalId: 'AIDASECRETCONTENT001',
      eventId: `content-${i}`,
      eventTimeMs: BASE_TIME + i * 1000,
      eventName: p.batch ? 'BatchGetSecretValue' : 'GetSecretValue',
      secretId: `prod/app/secret-${i}`,
    });
    const params: Record<string, unknown> = p.batch
      ? { secretIdList: [`prod/app/secret-${i}`, `prod/app/other-${i}`] }
      : { secretId: `prod/app/secret-${i}` };
    params.SecretString = p.marker;
    params.SecretBinary = Buffer.from(p.marker).toString('base64');
    params.versionStage = p.marker;
    for (const k of p.extraKeys) params[k] = { nested: p.marker };
    r.requestParameters = params;
    r.responseElements = { SecretString: p.marker, secretString: p.marker, secretValues: [{ SecretString: p.marker }] };
    r.additionalEventData = { note: p.marker };
    r.serviceEventDetails = { value: p.marker };
    return r;
  });
}

/** Every text a notification turns into on its way to people and machines. */
function outputs(n: Notification): string[] {
  const texts = [
    JSON.stringify(n),
    renderText(n),
    JSON.stringify(renderChatbot(n)),
    formatNotification(n),
    JSON.stringify(buildSnsMessage(n, { httpsFormat: 'chatbot' })),
    JSON.stringify(buildSnsMessage(n, { httpsFormat: 'alert-json' })),
  ];
  if (n.kind === 'alert') {
    texts.push(JSON.stringify(toFinding(n, { accountId: '111122223333', region: 'us-east-1' })));
  }
  return texts;
}

async function replayed(p: Planted, c: RuntimeConfig = config): Promise<Notification[]> {
  const result = await replay(
    records(p).map((record) => ({ record })),
    c,
  );
  return result.notifications;
}

describe('what an alert carries', () => {
  it('never contains planted secret values or raw request/response bodies, in any rendering (200 bursts)', async () => {
    await fc.assert(
      fc.asyncProperty(
        planted,
        cases.count('planted markers, replay and render', async (p) => {
          // The alert and the burst summary that follows it.
          const notifications = await replayed(p);
          if (notifications.map((n) => n.kind).join() !== 'alert,summary') return false;
          const texts = notifications.flatMap(outputs);
          return texts.every(
            (t) =>
              !t.includes(p.marker) &&
              !t.includes(Buffer.from(p.marker).toString('base64')) &&
              // Names of the planted fields would show that a body was copied (the investigation queries do
              // select the requestParameters column, by name, which is fine).
              !/additionalEventData|serviceEventDetails|SecretString|SecretBinary|versionStage/.test(t),
          );
        }),
      ),
      { numRuns: 200 },
    );
  });

  it('names the secrets by the ids the caller asked for (ids are what an alert is for)', async () => {
    // Act
    const [alert] = (await replayed({ marker: 'SECRETVALUE0000000000000000', extraKeys: [], batch: false })) as [Alert];
    // Assess
    expect(alert.secrets.map((s) => s.value).sort()).toEqual(
      Array.from({ length: READS }, (_, i) => `prod/app/secret-${i}`).sort(),
    );
  });

  it('leaves no planted value in any item the DynamoDB store wrote, claims included', async () => {
    // Prepare
    const p: Planted = { marker: 'SECRETVALUEdeadbeefdeadbeef', extraKeys: ['Password', 'token'], batch: true };
    const c = testConfig({ tableName: await freshTable(testClient(), 'content') });
    const store = new DynamoDbWindowStore(testClient(), { tableName: c.tableName });
    const sent: Notification[] = [];
    // Act
    await new Detector(c).ingest(store, records(p), BASE_TIME + 60_000);
    await runEvaluation(store, { publish: async (n) => void sent.push(n) }, c, BASE_TIME + 120_000);
    const { Items = [] } = await testClient().send(new ScanCommand({ TableName: c.tableName, ConsistentRead: true }));
    // Assess: something was written and alerted, and none of it holds the value.
    expect(sent).toHaveLength(1);
    expect(Items.length).toBeGreaterThan(1);
    const stored = JSON.stringify(Items, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v));
    expect(stored).not.toContain(p.marker);
    expect(stored).not.toMatch(/SecretString|responseElements/);
  });
});
