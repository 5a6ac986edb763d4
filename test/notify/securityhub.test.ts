/**
 * The optional Security Hub import (lib/adapters/notify/securityhub.ts): the ASFF finding built from an alert, and the
 * publisher that imports it after SNS accepted the alert. No local Security Hub emulator exists, so the SDK client
 * is mocked (aws-sdk-client-mock) and the inner SNS publisher is a fake that records what it was given.
 */
import { BatchImportFindingsCommand, InvalidAccessException, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { SecurityHubPublisher, toFinding } from '../../lib/adapters/notify/securityhub';
import type { Alert, Notification } from '../../lib/engine/alert';
import { PublishError } from '../../lib/engine/errors';
import type { Investigation } from '../../lib/engine/investigate';
import type { AlertPublisher } from '../../lib/engine/ports';
import { recordingLogger } from '../support/logger';
import { continuationAlert, hostileAlert, overflowSummary, stratusAlert } from './fixtures';

const TARGET = { accountId: '111122223333', region: 'us-east-1' } as const;

/**
 * The alert fixtures predate the `reasons` field, which every alert the engine builds carries
 * (lib/engine/evaluate.ts): filled in here as the engine would for a main-threshold alert.
 */
function complete(a: Alert): Alert {
  return {
    ...a,
    reasons: a.reasons ?? ['threshold'],
    reasonCounts: a.reasonCounts ?? [{ reason: 'threshold', count: a.count, threshold: a.threshold }],
  };
}

/** An investigation block for an assumed-role alert (only the issuer matters to the finding). */
function investigation(sessionIssuerArn: string): Investigation {
  return {
    accessKeyKind: 'temporary',
    sessionIssuerArn,
    mfaAuthenticated: false,
    consoleSession: false,
    awsServiceCaller: '',
    vpcEndpointId: '',
    distinctRegions: 1,
    cloudTrailLakeQuery: '',
    athenaQuery: '',
    eventHistoryUrl: '',
  };
}

/** Fake SNS publisher: records each notification in `order`, or rejects like SnsPublisher when told to. */
class FakeSnsPublisher implements AlertPublisher {
  readonly published: Notification[] = [];
  failWith: Error | undefined;
  constructor(private readonly order: string[]) {}
  async publish(n: Notification): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.order.push(`sns:${n.alertId}`);
    this.published.push(n);
  }
}

/** Characters neutralize() must never let through: controls, bidi overrides, zero-width characters. */
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

describe('toFinding', () => {
  test('fills every field ASFF requires, with the alertId as finding Id and MEDIUM severity', () => {
    // Prepare
    const alert = complete(stratusAlert());
    // Act
    const finding = toFinding(alert, TARGET);
    // Assess
    for (const field of [
      'SchemaVersion',
      'Id',
      'ProductArn',
      'GeneratorId',
      'AwsAccountId',
      'Types',
      'CreatedAt',
      'UpdatedAt',
      'Severity',
      'Title',
      'Description',
      'Resources',
    ] as const) {
      expect({ field, present: finding[field] !== undefined && finding[field] !== '' }).toEqual({
        field,
        present: true,
      });
    }
    expect(finding).toMatchObject({
      SchemaVersion: '2018-10-08',
      Id: alert.alertId,
      GeneratorId: 'rapid-secret-retrieval/elastic-2024',
      AwsAccountId: '111122223333',
      CreatedAt: alert.detectedAt,
      UpdatedAt: alert.detectedAt,
      FirstObservedAt: alert.firstSeen,
      LastObservedAt: alert.lastSeen,
      Severity: { Label: 'MEDIUM', Original: '47' },
      Workflow: { Status: 'NEW' },
      RecordState: 'ACTIVE',
      ProductFields: { alertId: alert.alertId, threadId: alert.threadId, count: '20', reasons: 'threshold' },
    });
    expect(finding.Types?.length).toBeGreaterThan(0);
    for (const type of finding.Types ?? []) expect(type).toMatch(/^[A-Za-z ]+\/[A-Za-z ]+$/);
    // ASFF limits: Title 256 characters, Description 1024; ProductFields values are strings.
    expect(finding.Title?.length).toBeLessThanOrEqual(256);
    expect(finding.Description?.length).toBeLessThanOrEqual(1024);
    for (const value of Object.values(finding.ProductFields ?? {})) expect(typeof value).toBe('string');
  });

  test.each([
    ['aws (unset)', undefined, 'arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default'],
    ['aws-us-gov', 'aws-us-gov', 'arn:aws-us-gov:securityhub:us-east-1:111122223333:product/111122223333/default'],
    ['aws-cn', 'aws-cn', 'arn:aws-cn:securityhub:us-east-1:111122223333:product/111122223333/default'],
  ])('names the account default product in partition %s as ProductArn', (_name, partition, productArn) => {
    // Act
    const finding = toFinding(complete(stratusAlert()), { ...TARGET, partition });
    // Assess
    expect(finding.ProductArn).toBe(productArn);
    for (const r of finding.Resources ?? []) {
      expect(r.Partition).toBe(partition ?? 'aws');
      expect(r.Region).toBe('us-east-1');
    }
  });

  test('an IAM user with a long-term key is an AwsIamUser resource plus an AwsIamAccessKey resource', () => {
    // Prepare
    const alert = complete(stratusAlert());
    // Act
    const { Resources } = toFinding(alert, TARGET);
    // Assess
    expect(Resources?.map((r) => [r.Type, r.Id])).toEqual([
      ['AwsIamUser', 'arn:aws:iam::903144391865:user/christophe'],
      ['AwsIamAccessKey', 'AKIA1JMTHE9ZMZMWG0MG'],
    ]);
  });

  test('an assumed role is an AwsIamRole resource named by its session issuer when known', () => {
    // Prepare
    const plain = complete(continuationAlert());
    const investigated = { ...plain, investigation: investigation('arn:aws:iam::111122223333:role/app-backend') };
    // Act
    const withoutIssuer = toFinding(plain, TARGET).Resources ?? [];
    const withIssuer = toFinding(investigated, TARGET).Resources ?? [];
    // Assess
    expect(withoutIssuer.map((r) => [r.Type, r.Id])).toEqual([
      ['AwsIamRole', plain.userArn],
      ['AwsIamAccessKey', 'ASIA4EXAMPLETEMPKEY1'],
    ]);
    expect(withIssuer[0]).toMatchObject({ Type: 'AwsIamRole', Id: 'arn:aws:iam::111122223333:role/app-backend' });
  });

  test('an alert without an access key id has no access key resource', () => {
    // Prepare
    const alert = { ...complete(stratusAlert()), accessKeyId: '' };
    // Act
    const { Resources } = toFinding(alert, TARGET);
    // Assess
    expect(Resources?.map((r) => r.Type)).toEqual(['AwsIamUser']);
  });

  test('neutralises an attacker-chosen identity and source address in the Description and Title', () => {
    // Prepare
    const alert = complete(hostileAlert());
    // Act
    const { Description = '', Title = '' } = toFinding(alert, TARGET);
    // Assess
    for (const text of [Description, Title]) {
      expect(text).not.toMatch(INVISIBLE);
      expect(text).not.toContain('<!channel>');
      expect(text).not.toMatch(/https?:\/\//);
    }
    // The identity is still there, readable, with its hidden characters shown as escapes.
    expect(Description).toContain('AROA4HOSTILE:sess\\u202eion\\u000aSECOND LINE');
    expect(Description).toContain('‹!channel›');
    expect(Description).toContain('‹http[:]//evil.example/phish|Click to acknowledge›');
  });
});

describe('SecurityHubPublisher (mocked Security Hub client)', () => {
  const securityHub = mockClient(SecurityHubClient);
  beforeEach(() => securityHub.reset());
  afterAll(() => securityHub.restore());

  function setup() {
    const order: string[] = [];
    const inner = new FakeSnsPublisher(order);
    const log = recordingLogger();
    const target = { client: new SecurityHubClient({ region: 'us-east-1' }), ...TARGET };
    const publisher = new SecurityHubPublisher(inner, target, log);
    return { order, inner, log, publisher };
  }

  test('publishes to SNS first, then imports the finding built from the same alert', async () => {
    // Prepare
    const { order, inner, log, publisher } = setup();
    securityHub.on(BatchImportFindingsCommand).callsFake((input: { Findings: { Id: string }[] }) => {
      order.push(`securityhub:${input.Findings.map((f) => f.Id).join(',')}`);
      return { FailedCount: 0, SuccessCount: 1, FailedFindings: [] };
    });
    const alert = complete(stratusAlert());
    // Act
    await publisher.publish(alert);
    // Assess
    expect(order).toEqual([`sns:${alert.alertId}`, `securityhub:${alert.alertId}`]);
    expect(inner.published).toEqual([alert]);
    const calls = securityHub.commandCalls(BatchImportFindingsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({ Findings: [toFinding(alert, TARGET)] });
    expect(publisher.failures).toBe(0);
    expect(log.calls).toEqual([]);
  });

  test('a rejected import is logged and counted, and the publish still resolves (SNS delivered it)', async () => {
    // Prepare
    const { log, publisher } = setup();
    const cause = new InvalidAccessException({
      message: 'Account is not subscribed to AWS Security Hub',
      $metadata: { httpStatusCode: 401 },
    });
    securityHub.on(BatchImportFindingsCommand).rejects(cause);
    const alert = complete(stratusAlert());
    // Act
    await expect(publisher.publish(alert)).resolves.toBeUndefined();
    await expect(publisher.publish(alert)).resolves.toBeUndefined();
    // Assess
    expect(publisher.failures).toBe(2);
    expect(log.calls).toHaveLength(2);
    expect(log.calls[0]).toEqual({
      level: 'error',
      message: 'security hub import failed; the alert was delivered by SNS',
      data: { alertId: alert.alertId, error: cause },
    });
  });

  test('a finding Security Hub refuses (FailedCount > 0) counts as a failure too, with its reason logged', async () => {
    // Prepare
    const { log, publisher } = setup();
    securityHub.on(BatchImportFindingsCommand).resolves({
      FailedCount: 1,
      SuccessCount: 0,
      FailedFindings: [{ Id: 'x', ErrorCode: 'InvalidInput', ErrorMessage: 'Finding does not adhere to ASFF' }],
    });
    // Act
    await publisher.publish(complete(stratusAlert()));
    // Assess
    expect(publisher.failures).toBe(1);
    expect(log.calls).toHaveLength(1);
    expect(String(log.calls[0]?.data.error)).toContain('InvalidInput');
  });

  test('does not import overflow summaries (they are not findings), only delivers them by SNS', async () => {
    // Prepare
    const { inner, publisher } = setup();
    securityHub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1 });
    // Act
    await publisher.publish(overflowSummary());
    // Assess
    expect(inner.published).toEqual([overflowSummary()]);
    expect(securityHub.commandCalls(BatchImportFindingsCommand)).toHaveLength(0);
    expect(publisher.failures).toBe(0);
  });

  test('an SNS failure rejects unchanged and imports nothing, so the alert stays pending and imports on retry', async () => {
    // Prepare
    const { inner, publisher } = setup();
    securityHub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1 });
    const alert = complete(stratusAlert());
    const error = new PublishError(alert.alertId, { cause: new Error('throttled') });
    inner.failWith = error;
    // Act
    const outcome = await publisher.publish(alert).catch((e: unknown) => e);
    // Assess
    expect(outcome).toBe(error);
    expect(securityHub.commandCalls(BatchImportFindingsCommand)).toHaveLength(0);
    expect(publisher.failures).toBe(0);
  });
});

describe('SecurityHubPublisher after a failure', () => {
  it('skips imports for a while (counted as failures) so an outage cannot stall a run', async () => {
    // Prepare
    const { mockClient } = await import('aws-sdk-client-mock');
    const { SecurityHubClient, BatchImportFindingsCommand } = await import('@aws-sdk/client-securityhub');
    const { SecurityHubPublisher } = await import('../../lib/adapters/notify/securityhub');
    const client = new SecurityHubClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(BatchImportFindingsCommand).rejects(new Error('unreachable'));
    let now = 1_000_000;
    const sent: string[] = [];
    const publisher = new SecurityHubPublisher(
      { publish: async (n) => void sent.push(n.alertId) },
      { client, accountId: '123456789012', region: 'us-east-1' },
      recordingLogger(),
      () => now,
      60_000,
    );
    const alert = JSON.parse(
      require('node:fs').readFileSync(
        require('node:path').join(__dirname, '../fixtures/alerts/stratus-iam-user.json'),
        'utf8',
      ),
    );
    // Act
    await publisher.publish({ ...alert, alertId: 'a1' });
    await publisher.publish({ ...alert, alertId: 'a2' });
    now += 61_000;
    await publisher.publish({ ...alert, alertId: 'a3' });
    // Assess
    expect(sent).toEqual(['a1', 'a2', 'a3']);
    expect(mock.commandCalls(BatchImportFindingsCommand)).toHaveLength(2);
    expect(publisher.failures).toBe(3);
    mock.restore();
  });
});
