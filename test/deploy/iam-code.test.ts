/**
 * The function roles against the code: each role must hold the AWS operations its function's code sends, and
 * nothing that no code can send.
 *
 * - DynamoDB, dynamically: the real store (lib/adapters/store/dynamodb/) runs its methods against a local DynamoDB
 *   (dynalite on 127.0.0.1) and a client middleware records which operations each store method sends. Ingest uses
 *   `record`, and with the fast path `readBuckets`, `lastAlert`, `claimAlert` and `markSent`; the evaluator uses every
 *   WindowStore method but `record`.
 * - Statically, per function: the project files bundled into the handler (esbuild's metafile) are scanned for the
 *   SDK commands they construct. Every SNS, SSM and Security Hub command found must be granted, and every DynamoDB,
 *   SNS, SSM and Security Hub grant must match a command found. (SQS, Logs and KMS grants serve Lambda and SNS on the function's behalf and
 *   have no command in the code.)
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import { join, resolve, sep } from 'node:path';
import * as dynamodb from '@aws-sdk/client-dynamodb';
import * as securityhub from '@aws-sdk/client-securityhub';
import * as sns from '@aws-sdk/client-sns';
import * as ssm from '@aws-sdk/client-ssm';
import { buildSync } from 'esbuild';
import { DynamoDbWindowStore } from '../../lib/adapters/store/dynamodb';
import { tableDefinition } from '../../lib/adapters/store/table';
import type { Notification } from '../../lib/engine/alert';
import type { AlertClaim, CountedEvent, EventContext, WindowStore } from '../../lib/engine/ports';
import { REPO_ROOT } from './package-service';

type Role = 'ingest' | 'evaluate';
const actions = JSON.parse(readFileSync(join(REPO_ROOT, 'infra', 'iam-actions.json'), 'utf8')) as Record<
  Role,
  Record<string, string[]>
>;

function granted(role: Role, service: string): string[] {
  return [...new Set(Object.values(actions[role]).flat())].filter((a) => a.startsWith(`${service}:`)).sort();
}

/**
 * Which functions call each WindowStore method: the evaluator everything but record; ingest record, plus what the
 * fast path's runEvaluation with `identities` calls (no activeKeys, no unsentAlerts/renewLease).
 */
const METHOD_ROLE: Record<keyof WindowStore, readonly Role[]> = {
  record: ['ingest'],
  activeKeys: ['evaluate'],
  readBuckets: ['ingest', 'evaluate'],
  lastAlert: ['ingest', 'evaluate'],
  claimAlert: ['ingest', 'evaluate'],
  markSent: ['ingest', 'evaluate'],
  unsentAlerts: ['evaluate'],
  renewLease: ['evaluate'],
  openThreads: ['evaluate'],
  closeThread: ['evaluate'],
  listMutes: ['ingest', 'evaluate'],
  // Mutes are written by the CLI with the operator's credentials, never by a function.
  putMute: [],
  deleteMutes: [],
};

describe('DynamoDB operations the store sends', () => {
  let server: Server;
  let endpoint: string;
  const sent: Record<Role, Set<string>> = { ingest: new Set(), evaluate: new Set() };

  beforeAll(async () => {
    // dynalite has no type declarations; its factory returns an http.Server.
    const dynalite = require('dynalite') as (options: Record<string, number>) => Server;
    server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((done) => server.close(() => done()));
  });

  test('are each granted to the role of the function that calls the method', async () => {
    // Prepare: a store whose client attributes every operation to the store method that is running.
    const client = new dynamodb.DynamoDBClient({ endpoint, region: 'us-east-1', maxAttempts: 1 });
    const current = new AsyncLocalStorage<keyof WindowStore>();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const method = current.getStore();
        const operation = String(context.commandName).replace(/Command$/, '');
        for (const role of method === undefined ? [] : METHOD_ROLE[method]) sent[role].add(`dynamodb:${operation}`);
        return next(args);
      },
      { step: 'initialize', name: 'recordOperationsForIamTest' },
    );
    const tableName = 'iam-code-test';
    await client.send(new dynamodb.CreateTableCommand(tableDefinition(tableName)));
    const traced = (raw: DynamoDbWindowStore) =>
      new Proxy(raw, {
        get(target, name, receiver) {
          const value = Reflect.get(target, name, receiver);
          if (typeof value !== 'function' || !(name in METHOD_ROLE)) return value;
          return (...args: unknown[]) =>
            current.run(name as keyof WindowStore, () => (value as (...a: unknown[]) => unknown).apply(target, args));
        },
      }) as WindowStore;
    const store = traced(new DynamoDbWindowStore(client, { tableName, lookBackReuseMs: 0 }));
    // A second Lambda container joining the same busy bucket reads it first (GetItem).
    const otherContainer = traced(new DynamoDbWindowStore(client, { tableName, lookBackReuseMs: 0 }));

    const minute = 60_000;
    const t0 = Date.UTC(2026, 10, 26, 12, 0, 0);
    const b0 = t0 / minute;
    const now = t0 + minute;
    const context: EventContext = {
      eventTime: t0 + 1000,
      eventName: 'GetSecretValue',
      sourceIp: '198.51.100.23',
      userAgent: 'aws-cli/2.15.0',
      region: 'us-east-1',
      secretIds: ['prod/db-password'],
      accountId: '111122223333',
      userArn: 'arn:aws:iam::111122223333:user/mallory',
      userName: 'mallory',
      identityType: 'IAMUser',
      accessKeyId: 'AKIAEXAMPLEMALLORY01',
    };
    const event = (n: number, extra: Partial<EventContext> = {}): CountedEvent => ({
      key: 'AIDAEXAMPLEMALLORY01',
      bucket: b0,
      eventId: `event-${n}`,
      values: [],
      expiresAt: t0 / 1000 + 1800,
      context: { ...context, ...extra },
    });
    const claim = (alertId: string, leaseUntil: number): AlertClaim => ({
      alertId,
      key: 'AIDAEXAMPLEMALLORY01',
      threadId: alertId,
      windowEndBucket: b0,
      status: 'pending',
      notification: { alertId, kind: 'test' } as unknown as Notification,
      leaseUntil,
      expiresAt: now / 1000 + 3600,
    });

    // Act: every method, with the paths that send different operations (duplicates, saturation, long values).
    const longAgent = `custom-agent/${'x'.repeat(2000)}`;
    await store.record([event(1), event(2), event(1), event(3, { userAgent: longAgent })], { saturation: 3, now });
    await store.record([event(4), event(5)], { saturation: 3, now });
    await otherContainer.record([event(1), event(6)], { saturation: 3, now });
    await store.activeKeys(b0 - 10, b0, now);
    await store.readBuckets('AIDAEXAMPLEMALLORY01', b0 - 10, b0, now);
    await store.lastAlert('AIDAEXAMPLEMALLORY01', now);
    await store.claimAlert(claim('alert-1', now + 1000), undefined, now);
    await store.markSent('AIDAEXAMPLEMALLORY01', 'alert-1', now);
    await store.claimAlert(claim('alert-2', now + 1000), 'alert-1', now);
    await store.unsentAlerts(now + 5000);
    await store.renewLease('AIDAEXAMPLEMALLORY01', 'alert-2', now + 200_000, now + 5000);
    await store.lastAlert('AIDAEXAMPLEMALLORY01', now);
    await store.claimAlert({ ...claim('alert-3', now), threadOpen: true }, 'alert-2', now + 200_001);
    await store.markSent('AIDAEXAMPLEMALLORY01', 'alert-3', now);
    await store.openThreads(now);
    await store.closeThread('AIDAEXAMPLEMALLORY01', 'alert-3', now);
    await store.putMute(
      { key: 'AIDAEXAMPLEMALLORY01', until: now + 60_000, reason: 'test', by: 'me', createdAt: now },
      now,
    );
    await store.listMutes(now);
    await store.deleteMutes('AIDAEXAMPLEMALLORY01', now);

    // Assess
    for (const role of ['ingest', 'evaluate'] as const) {
      const missing = [...sent[role]].filter((a) => !granted(role, 'dynamodb').includes(a));
      expect({ role, sent: [...sent[role]].sort(), missing }).toEqual({
        role,
        sent: [...sent[role]].sort(),
        missing: [],
      });
    }
    // Exactly, too: the scenario exercises every path, so a grant nothing sends is a grant to remove.
    expect([...sent.ingest].sort()).toEqual(granted('ingest', 'dynamodb'));
    expect([...sent.evaluate].sort()).toEqual(granted('evaluate', 'dynamodb'));
  });
});

describe('SDK commands in the code bundled into each function', () => {
  const serviceDir = resolve(process.env.RSR_DEPLOY_SERVICE_DIR ?? REPO_ROOT);
  const clients: Record<string, Record<string, unknown>> = { dynamodb, sns, ssm, securityhub };

  /** `service:Operation` for every `new XCommand(` in the project files the handler bundles. */
  function commandsOf(fn: Role): string[] {
    const entry = join(serviceDir, 'functions', fn, 'handler.ts');
    const { metafile } = buildSync({
      entryPoints: [entry],
      bundle: true,
      packages: 'external',
      platform: 'node',
      write: false,
      metafile: true,
      logLevel: 'silent',
      absWorkingDir: serviceDir,
    });
    const found = new Set<string>();
    for (const input of Object.keys(metafile.inputs)) {
      const file = resolve(serviceDir, input);
      if (file.split(sep).includes('node_modules')) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(/new\s+(?:\w+\.)?(\w+)Command\s*\(/g)) {
        const operation = m[1] as string;
        const service = Object.keys(clients).find((s) => `${operation}Command` in (clients[s] ?? {}));
        if (service) found.add(`${service}:${operation}`);
      }
    }
    return [...found].sort();
  }

  test.each(['ingest', 'evaluate'] as const)(
    '%s: SNS, SSM and Security Hub commands granted, no grant without a command',
    (fn) => {
      // Act
      const found = commandsOf(fn);
      // Assess (a conditional grant counts: the code holding the command is bundled whether or not it is switched on)
      for (const service of ['sns', 'ssm', 'securityhub']) {
        expect({ fn, service, found: found.filter((a) => a.startsWith(`${service}:`)) }).toEqual({
          fn,
          service,
          found: granted(fn, service),
        });
      }
      const unused = granted(fn, 'dynamodb').filter((a) => !found.includes(a));
      expect({ fn, unused }).toEqual({ fn, unused: [] });
    },
  );
});
