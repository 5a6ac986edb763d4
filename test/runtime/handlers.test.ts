/**
 * The Lambda handler modules themselves: configuration read once at cold start (and a bad variable failing it),
 * clients built from the standard AWS endpoint variables, one call per invocation.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** One request the stub below answered: which service, and the body as sent. */
interface StubCall {
  readonly service: 'sns' | 'securityhub';
  readonly body: string;
}

/**
 * Stands in for SNS and Security Hub on 127.0.0.1 (no local Security Hub emulator exists): answers SNS Publish
 * (query protocol) and Security Hub BatchImportFindings (REST JSON, POST /findings/import), recording both in order.
 * `securityHubDown` makes the import fail as in an account where Security Hub is not enabled.
 */
async function startAwsStub(): Promise<{
  endpoint: string;
  calls: StubCall[];
  securityHubDown: boolean;
  server: Server;
}> {
  const stub = {
    endpoint: '',
    calls: [] as StubCall[],
    securityHubDown: false,
    server: undefined as unknown as Server,
  };
  stub.server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      if (request.url === '/findings/import') {
        stub.calls.push({ service: 'securityhub', body });
        if (stub.securityHubDown) {
          response.writeHead(401, { 'content-type': 'application/json', 'x-amzn-errortype': 'InvalidAccessException' });
          response.end(JSON.stringify({ Code: 'InvalidAccessException', Message: 'not subscribed to Security Hub' }));
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] }));
        return;
      }
      stub.calls.push({ service: 'sns', body });
      response.writeHead(200, { 'content-type': 'text/xml' });
      response.end(
        '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId>' +
          '</PublishResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>',
      );
    });
  });
  await new Promise<void>((done) => stub.server.listen(0, '127.0.0.1', done));
  stub.endpoint = `http://127.0.0.1:${(stub.server.address() as AddressInfo).port}`;
  return stub;
}

describe('evaluate handler with SECURITY_HUB=true', () => {
  // A GovCloud topic: the finding must name the partition, Region and account of TOPIC_ARN, not the SDK defaults.
  const TOPIC_ARN = 'arn:aws-us-gov:sns:us-gov-west-1:444455556666:rapid-secret-retrieval-alerts';
  const PRODUCT_ARN = 'arn:aws-us-gov:securityhub:us-gov-west-1:444455556666:product/444455556666/default';
  let stub: Awaited<ReturnType<typeof startAwsStub>>;

  beforeAll(async () => {
    stub = await startAwsStub();
    // The SDK's own per-service endpoint variables; set for the whole block because clients resolve them lazily.
    process.env.AWS_ENDPOINT_URL_SNS = stub.endpoint;
    process.env.AWS_ENDPOINT_URL_SECURITYHUB = stub.endpoint;
  });

  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL_SNS;
    delete process.env.AWS_ENDPOINT_URL_SECURITYHUB;
    stub.server.closeAllConnections();
    await new Promise<void>((done) => stub.server.close(() => done()));
  });

  beforeEach(() => {
    stub.calls.length = 0;
    stub.securityHubDown = false;
  });

  let identities = 0;

  /** Ingests one fresh read by a new identity into the table of `env` (one alert under THRESHOLD=1). */
  async function readByNewIdentity(env: Record<string, string>): Promise<void> {
    identities += 1;
    const ingest = loadHandler('../../functions/ingest/handler', env);
    await ingest.handler({
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.secretsmanager',
      detail: secretsRecord({ principalId: `AIDAEXAMPLESECHUB${identities}`, eventTimeMs: Date.now() - 5_000 }),
    });
  }

  /** The evaluator's environment, on a fresh table holding one pending alert. */
  async function oneAlertPending(): Promise<Record<string, string>> {
    const env = { TABLE_NAME: await freshTable(testClient()), THRESHOLD: '1', LOG_LEVEL: 'SILENT' };
    await readByNewIdentity(env);
    return { ...env, TOPIC_ARN, SECURITY_HUB: 'true' };
  }

  /** Runs the handler with Powertools metrics on, returning the metric values it wrote (EMF on stdout). */
  async function runCapturingMetrics(handler: () => Promise<unknown>): Promise<Record<string, unknown>> {
    const metrics: Record<string, unknown> = {};
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      for (const line of String(chunk).split('\n')) {
        if (!line.includes('"_aws"')) continue;
        Object.assign(metrics, JSON.parse(line) as Record<string, unknown>);
      }
      return true;
    });
    try {
      await handler();
    } finally {
      write.mockRestore();
    }
    return metrics;
  }

  it('loads, and publishes each alert to SNS and then imports it into the account, Region and partition of TOPIC_ARN', async () => {
    // Prepare
    const env = await oneAlertPending();
    const { handler } = loadHandler('../../functions/evaluate/handler', env);
    // Act
    const summary = (await handler()) as { alerts: number };
    // Assess
    expect(summary.alerts).toBe(1);
    expect(stub.calls.map((c) => c.service)).toEqual(['sns', 'securityhub']);
    const [finding] = (JSON.parse(stub.calls[1]?.body ?? '{}') as { Findings: Record<string, unknown>[] }).Findings;
    const published = new URLSearchParams(stub.calls[0]?.body ?? '');
    expect(published.get('TopicArn')).toBe(TOPIC_ARN);
    expect(finding).toMatchObject({
      ProductArn: PRODUCT_ARN,
      AwsAccountId: '444455556666',
      SchemaVersion: '2018-10-08',
    });
    // The finding is the alert SNS carried: same id (the sqs body is the alert JSON).
    const alert = JSON.parse((JSON.parse(published.get('Message') ?? '{}') as { sqs: string }).sqs) as {
      alertId: string;
    };
    expect(finding?.Id).toBe(alert.alertId);
  });

  it("completes the run when the import fails, and reports each run's own failed imports as SecurityHubImportFailures", async () => {
    // Prepare
    const env = await oneAlertPending();
    stub.securityHubDown = true;
    const { handler } = loadHandler('../../functions/evaluate/handler', {
      ...env,
      POWERTOOLS_METRICS_DISABLED: 'false',
    });
    // Act: three runs in one warm container: a failed import, another one (a new alert), then nothing to import.
    const first = await runCapturingMetrics(handler);
    await readByNewIdentity(env);
    const second = await runCapturingMetrics(handler);
    const third = await runCapturingMetrics(handler);
    // Assess: SNS delivered both alerts, every run succeeded, and each failed import is counted in its own run only.
    // After the first failure the publisher pauses imports for a few minutes, so the second alert's import is
    // skipped (and counted) without calling Security Hub.
    expect(stub.calls.map((c) => c.service)).toEqual(['sns', 'securityhub', 'sns']);
    expect(first).toMatchObject({ AlertsPublished: 1, SecurityHubImportFailures: 1, EvaluationRuns: 1 });
    expect(second).toMatchObject({ AlertsPublished: 1, SecurityHubImportFailures: 1, EvaluationRuns: 1 });
    expect(third).toMatchObject({ EvaluationRuns: 1 });
    expect(third.AlertsPublished).toBeUndefined();
    expect(third.SecurityHubImportFailures).toBeUndefined();
  });

  it('without SECURITY_HUB, publishes to SNS only and reports no import failure', async () => {
    // Prepare
    const { SECURITY_HUB: _off, ...env } = await oneAlertPending();
    const { handler } = loadHandler('../../functions/evaluate/handler', {
      ...env,
      POWERTOOLS_METRICS_DISABLED: 'false',
    });
    // Act
    const metrics = await runCapturingMetrics(handler);
    // Assess
    expect(stub.calls.map((c) => c.service)).toEqual(['sns']);
    expect(metrics.AlertsPublished).toBe(1);
    expect(metrics.SecurityHubImportFailures).toBeUndefined();
  });

  it('ingest with TOPIC_ARN publishes a crossing itself (the fast path); not with FAST_PATH=false or SECURITY_HUB=true', async () => {
    for (const [extra, expected] of [
      [{}, ['sns']],
      [{ FAST_PATH: 'false' }, []],
      [{ SECURITY_HUB: 'true' }, []],
    ] as const) {
      // Prepare
      stub.calls.length = 0;
      const env = { TABLE_NAME: await freshTable(testClient()), THRESHOLD: '1', LOG_LEVEL: 'SILENT', TOPIC_ARN };
      // Act: one read by a new identity is a crossing under THRESHOLD=1
      await readByNewIdentity({ ...env, ...extra });
      // Assess
      expect({ extra, calls: stub.calls.map((c) => c.service) }).toEqual({ extra, calls: expected });
    }
  });
});
