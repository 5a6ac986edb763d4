/**
 * The deployment, checked offline: `serverless package` runs once (beforeAll) with a set of `--param` overrides and
 * every assertion reads the compiled CloudFormation template and the function zips it produced. Switches that are
 * CloudFormation conditions (ingestQueue, includeFailedCalls, ...) are checked in each of their states by
 * evaluating the template's conditions with overrides.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub and framework variable text is compared literally
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TABLE_DEFINITION, TTL_ATTRIBUTE } from '../../lib/adapters/store/table';
import { NAMESPACE } from '../../lib/adapters/telemetry';
import { DEFAULTS, ENV, loadConfig, type SettingName } from '../../lib/config/load';
import {
  activeResources,
  evaluateConditions,
  type Json,
  type JsonObject,
  jsonPath,
  parseCloudFormationYaml,
  type Resource,
  referencedIds,
  resolveIfs,
  type Template,
} from '../support/cloudformation';
import { cloudTrailEnvelope, type EventPattern, matchesPattern } from '../support/event-pattern';
import { type Packaged, packageService, REPO_ROOT, readZip } from './package-service';

const STAGE = 'test';
const PREFIX = `rapid-secret-retrieval-${STAGE}`;
const ACCOUNT = '111122223333';
/** What CloudFormation would return for the stack's generated names (as the tamper fixtures spell them). */
const TABLE_NAME = `${PREFIX}-WindowTable-ABC123`;
const TABLE_ARN = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/${TABLE_NAME}`;
const TOPIC_ARN = `arn:aws:sns:us-east-1:${ACCOUNT}:${PREFIX}-alerts`;
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${KEY_ID}`;
/** Ref and Fn::GetAtt values of the resources an event pattern may name, for matching patterns offline. */
const STACK_REFS: Readonly<Record<string, string>> = {
  WindowTable: TABLE_NAME,
  AlertTopic: TOPIC_ARN,
  AlertTopicKey: KEY_ID,
};
const STACK_ATTRS: Readonly<Record<string, string>> = {
  'WindowTable.Arn': TABLE_ARN,
  'AlertTopic.TopicArn': TOPIC_ARN,
  'AlertTopicKey.Arn': KEY_ARN,
};

/** Overrides for every detection setting (so each one is seen landing) and for the deployment switches. */
const OVERRIDES: Readonly<Record<string, string>> = {
  preset: 'elastic-2024',
  threshold: '31',
  windowMinutes: '7',
  latenessMinutes: '12',
  suppressionMinutes: '45',
  quietMinutes: '15',
  maxAlertsPerRun: '50',
  count: 'distinct-secrets',
  groupBy: 'actor',
  browserNames: 'Chrome,Edge',
  exceptionsParameter: '/rsr/exceptions',
  saturationFactor: '12',
  eventNames: 'GetSecretValue',
  browserExclusion: 'console-session',
  excludeAwsServiceCallers: 'true',
  excludedSourceAddresses: 'kafka.amazonaws.com',
  normaliseSecretIds: 'true',
  // Not access-denied: that signal switches failed calls on (checked in resolvers.test.ts).
  signals: 'batch-calls,batch-regions',
  batchCallsThreshold: '7',
  batchRegionsThreshold: '4',
  accessDeniedThreshold: '15',
  httpsFormat: 'alert-json',
  logLevel: 'DEBUG',
  alertLeaseSeconds: '90',
  alertEmail: 'secops@example.com',
  centralBus: 'true',
  orgId: 'o-abcd123456',
  logRetentionDays: '14',
  noEventsHours: '12',
  evaluateSchedule: 'rate(2 minutes)',
  ruleMaxRetryAttempts: '20',
  ruleMaxEventAgeSeconds: '3600',
};

/** Settings the evaluator alone receives, each only when switched on (checked in the securityHub block). */
const EVALUATOR_ONLY_SETTINGS: readonly SettingName[] = ['securityHub'];
/** Settings ingest alone receives (checked in the fastPath block). */
const INGEST_ONLY_SETTINGS: readonly SettingName[] = ['fastPath'];
/**
 * Settings that are deploy parameters passed to both functions (all of lib/config/load.ts except the two the stack fills
 * in itself and the single-function ones).
 */
const TUNING_SETTINGS = (Object.keys(ENV) as SettingName[]).filter(
  (k) =>
    k !== 'tableName' && k !== 'topicArn' && !EVALUATOR_ONLY_SETTINGS.includes(k) && !INGEST_ONLY_SETTINGS.includes(k),
);

/** Conditions derived from the deployment switches; every combination is checked for dangling references. */
const SWITCHES = [
  'IngestQueueEnabled',
  'CentralBusEnabled',
  'HasOrgId',
  'IncludeFailedCalls',
  'HasAlertEmail',
  'HasExceptionsParameter',
  'PointInTimeRecovery',
  'TamperChatbotFormat',
  'SecurityHubEnabled',
  'FastPathEnabled',
] as const;

const SECRET_READ_PATTERN = {
  source: ['aws.secretsmanager'],
  'detail-type': ['AWS API Call via CloudTrail'],
  detail: {
    eventSource: ['secretsmanager.amazonaws.com'],
    eventName: ['GetSecretValue', 'BatchGetSecretValue'],
    errorCode: [{ exists: false }],
  },
};

let packaged: Packaged;
let template: Template;
/** Conditions as packaged (centralBus=true, alertEmail and exceptionsParameter set, ingestQueue off). */
let conditions: Record<string, boolean>;
let resources: Record<string, Resource>;

function props(resource: Resource | undefined): JsonObject {
  if (resource === undefined) throw new Error('missing resource');
  return resource.Properties ?? {};
}

function statements(document: Json | undefined): JsonObject[] {
  const list = (document as JsonObject | undefined)?.Statement;
  if (list === undefined) return [];
  return (Array.isArray(list) ? list : [list]) as JsonObject[];
}

function asList(value: Json | undefined): Json[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** CloudFormation takes integers as numbers or numeric strings (parameter values arrive as strings). */
function numeric(value: Json | undefined): number {
  return Number(value);
}

/** The plain string values of an environment map (drops intrinsic functions, which the stack fills in). */
function stringValues(variables: Record<string, Json>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(variables)) if (typeof v === 'string') env[k] = v;
  return env;
}

function resourcesWith(overrides: Readonly<Record<string, boolean>>): Record<string, Resource> {
  return activeResources(template, evaluateConditions(template, overrides));
}

/**
 * An event pattern with its intrinsic functions (Ref, Fn::GetAtt, Fn::Sub) replaced by the values CloudFormation
 * would give them (STACK_REFS, STACK_ATTRS), so that the test matcher can run it. Throws on anything else.
 */
function concretePattern(pattern: Json | undefined): EventPattern {
  const value = (name: string): string => {
    const found = name.includes('.') ? STACK_ATTRS[name] : STACK_REFS[name];
    if (found === undefined) throw new Error(`no test value for \${${name}}`);
    return found;
  };
  const walk = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    if (typeof node.Ref === 'string') return value(node.Ref);
    const getAtt = node['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return value(getAtt.join('.'));
    const sub = node['Fn::Sub'];
    if (typeof sub === 'string') return sub.replace(/\$\{([^}]+)\}/g, (_, name: string) => value(name));
    const keys = Object.keys(node);
    if (keys.some((k) => k === 'Ref' || k.startsWith('Fn::'))) throw new Error(`unsupported intrinsic ${keys[0]}`);
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
  };
  if (pattern === undefined) throw new Error('rule without an event pattern');
  return walk(pattern) as unknown as EventPattern;
}

function readFixture<T>(...path: string[]): T {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', ...path), 'utf8')) as T;
}

function stratusEvents(): Record<string, unknown>[] {
  return ['secretsmanager-retrieve-secrets.json', 'secretsmanager-batch-retrieve-secrets.json'].flatMap((file) =>
    readFixture<Record<string, unknown>[]>('stratus-red-team', file).map(cloudTrailEnvelope),
  );
}

beforeAll(async () => {
  // Prepare / Act: one packaging run for every assertion in this file (it bundles both functions).
  packaged = await packageService(OVERRIDES, STAGE);
  template = packaged.template;
  conditions = evaluateConditions(template);
  resources = activeResources(template, conditions);
  process.stdout.write(
    `serverless package: ${packaged.durationMs} ms; zips: ${Object.entries(packaged.zipSizes)
      .map(([name, size]) => `${name} ${(size / 1024).toFixed(1)} KiB`)
      .join(', ')}\n`,
  );
}, 240_000);

afterAll(() => packaged?.cleanup());

describe('packaging', () => {
  test('produces one small zip per function, bundling its code and the AWS SDK into a single handler file', () => {
    // Assess
    expect(Object.keys(packaged.zipSizes).sort()).toEqual(['evaluate.zip', 'ingest.zip']);
    for (const name of ['ingest', 'evaluate']) {
      const size = packaged.zipSizes[`${name}.zip`] ?? Number.POSITIVE_INFINITY;
      expect(size).toBeLessThan(1024 * 1024);
      const entries = readZip(join(packaged.outputDir, `${name}.zip`));
      const files = [...entries.keys()].filter((n) => !n.endsWith('/'));
      expect(files).toEqual([`functions/${name}/handler.js`]);
      const code = entries.get(`functions/${name}/handler.js`)?.toString('utf8') ?? '';
      // Nothing was left external: the handler loads from the zip alone, with no node_modules anywhere above it,
      // under the environment it was packaged with (no SSM parameter, so loading makes no AWS call).
      const dir = mkdtempSync(join(tmpdir(), `rsr-${name}-`));
      mkdirSync(join(dir, 'functions', name), { recursive: true });
      writeFileSync(join(dir, 'functions', name, 'handler.js'), code);
      const fn = props(resources[`${name[0]?.toUpperCase()}${name.slice(1)}LambdaFunction`]);
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, AWS_REGION: 'us-east-1' };
      for (const [k, v] of Object.entries((fn.Environment as JsonObject).Variables as JsonObject)) {
        if (typeof v === 'string') env[k] = v;
      }
      Object.assign(env, {
        [ENV.tableName]: `${PREFIX}-WindowTable-ABC123`,
        [ENV.topicArn]: `arn:aws:sns:us-east-1:111122223333:${PREFIX}-alerts`,
        [ENV.exceptionsParameter]: '',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
        AWS_EC2_METADATA_DISABLED: 'true',
      });
      const loaded = spawnSync(
        process.execPath,
        [
          '-e',
          'process.stdout.write(typeof require(process.argv[1]).handler); process.exit(0)',
          join(dir, 'functions', name, 'handler.js'),
        ],
        { cwd: dir, env, encoding: 'utf8' },
      );
      rmSync(dir, { recursive: true, force: true });
      expect({ name, handler: loaded.stdout, error: loaded.stderr.slice(-600) }).toEqual({
        name,
        handler: 'function',
        error: '',
      });
      expect(code).not.toMatch(/require\(["']@aws-sdk\/client-/);
    }
  });

  test('runs each function on nodejs24.x (arm64) with its own role and no shared framework role', () => {
    // Assess
    const ingest = props(resources.IngestLambdaFunction);
    const evaluate = props(resources.EvaluateLambdaFunction);
    for (const fn of [ingest, evaluate]) {
      expect(fn.Runtime).toBe('nodejs24.x');
      expect(fn.Architectures).toEqual(['arm64']);
    }
    expect(ingest.Handler).toBe('functions/ingest/handler.handler');
    expect(evaluate.Handler).toBe('functions/evaluate/handler.handler');
    expect(ingest.Role).toEqual({ 'Fn::GetAtt': ['IngestRole', 'Arn'] });
    expect(evaluate.Role).toEqual({ 'Fn::GetAtt': ['EvaluateRole', 'Arn'] });
    expect(resources.IamRoleLambdaExecution).toBeUndefined();
    expect(ingest.FunctionName).toBe(`${PREFIX}-ingest`);
    expect(evaluate.FunctionName).toBe(`${PREFIX}-evaluate`);
  });
});

describe('parameters reach the functions', () => {
  function environment(id: string): Record<string, Json> {
    return (props(resources[id]).Environment as JsonObject).Variables as Record<string, Json>;
  }

  test('every tuning setting overridden with --param lands in both functions under its lib/config/load.ts name', () => {
    for (const id of ['IngestLambdaFunction', 'EvaluateLambdaFunction']) {
      const env = environment(id);
      for (const setting of TUNING_SETTINGS) {
        const expected = setting === 'exceptions' ? '' : OVERRIDES[setting];
        // Assess
        expect({ setting, value: env[ENV[setting]] }).toEqual({ setting, value: expected });
      }
      expect(env[ENV.tableName]).toEqual({ Ref: 'WindowTable' });
    }
    expect(environment('EvaluateLambdaFunction')[ENV.topicArn]).toEqual({ Ref: 'AlertTopic' });
    // The fast path (on by default) publishes from ingest too.
    expect(environment('IngestLambdaFunction')[ENV.topicArn]).toEqual({ Ref: 'AlertTopic' });
    expect(environment('IngestLambdaFunction')[ENV.fastPath]).toBe('true');
    expect(environment('EvaluateLambdaFunction')[ENV.fastPath]).toBeUndefined();
  });

  test('the packaged environment is accepted by the runtime configuration loader', () => {
    // Prepare
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(environment('EvaluateLambdaFunction'))) {
      if (typeof v === 'string') env[k] = v;
    }
    env[ENV.tableName] = `${PREFIX}-WindowTable-ABC123`;
    env[ENV.topicArn] = `arn:aws:sns:us-east-1:111122223333:${PREFIX}-alerts`;
    // Act
    const config = loadConfig(env);
    // Assess
    expect(config.threshold).toBe(31);
    expect(config.count).toBe('distinct-secrets');
    expect(config.signals).toEqual(['batch-calls', 'batch-regions']);
    expect(config.browserNames).toEqual(['Chrome', 'Edge']);
    expect(config.exceptionsParameter).toBe('/rsr/exceptions');
  });

  test('by default every setting is left to the preset, which then gives the engine defaults', () => {
    // Prepare
    const config = parseCloudFormationYaml(readFileSync(join(REPO_ROOT, 'serverless.yml'), 'utf8')) as unknown as {
      params: { default: Record<string, string> };
      provider: { environment: Record<string, Json> };
    };
    const env: NodeJS.ProcessEnv = {};
    for (const setting of TUNING_SETTINGS) {
      // Assess: the mapping, and an empty default (a set variable would override the preset's value).
      expect(config.provider.environment[ENV[setting]]).toBe(`\${param:${setting}}`);
      expect({ setting, value: config.params.default[setting] }).toEqual({
        setting,
        value: setting === 'preset' ? DEFAULTS.preset : '',
      });
      env[ENV[setting]] = config.params.default[setting];
    }
    // Act
    const effective = loadConfig(env);
    // Assess
    expect(effective).toEqual(DEFAULTS);
    expect(effective.threshold).toBe(20);
    expect(config.params.default.evaluateSchedule).toBe('rate(1 minute)');
    expect(config.params.default.noEventsHours).toBe('24');
    expect(config.params.default.logRetentionDays).toBe('30');
    expect(config.params.default.ingestQueue).toBe('false');
    expect(config.params.default.includeFailedCalls).toBe('false');
    expect(config.params.default.securityHub).toBe('false');
    expect(config.provider.environment[ENV.securityHub]).toBeUndefined();
    expect(config.params.default.fastPath).toBe('true');
    expect(config.provider.environment[ENV.fastPath]).toBeUndefined();
  });

  test('log retention comes from the logRetentionDays parameter', () => {
    expect(props(resources.IngestLogGroup).RetentionInDays).toBe(14);
    expect(props(resources.EvaluateLogGroup).RetentionInDays).toBe(14);
  });
});

describe('secret-read rule', () => {
  test('is in the state that receives read-only management events, with the successful-read pattern', () => {
    const rule = props(resources.SecretReadRule);
    // Assess
    expect(rule.State).toBe('ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
    expect(rule.Name).toBe(`${PREFIX}-secret-reads`);
    expect(rule.EventBusName).toBeUndefined();
    expect(rule.EventPattern).toEqual(SECRET_READ_PATTERN);
  });

  test('matches every Stratus Red Team read, wrapped as EventBridge delivers it', () => {
    // Prepare
    const pattern = props(resources.SecretReadRule).EventPattern as unknown as EventPattern;
    const reads = stratusEvents().filter((e) => (e.detail as { eventName: string }).eventName !== 'ListSecrets');
    // Act / Assess
    expect(reads).toHaveLength(25);
    for (const event of reads) expect(matchesPattern(pattern, event)).toBe(true);
  });

  test('rejects other Secrets Manager APIs and failed reads unless includeFailedCalls is set', () => {
    // Prepare
    const pattern = props(resources.SecretReadRule).EventPattern as unknown as EventPattern;
    const withFailed = props(resourcesWith({ IncludeFailedCalls: true }).SecretReadRule)
      .EventPattern as unknown as EventPattern;
    const events = stratusEvents();
    const listSecrets = events.find((e) => (e.detail as { eventName: string }).eventName === 'ListSecrets');
    const read = events.find((e) => (e.detail as { eventName: string }).eventName === 'GetSecretValue') as Record<
      string,
      unknown
    >;
    const denied = {
      ...read,
      detail: { ...(read.detail as object), errorCode: 'AccessDenied', errorMessage: 'not authorized' },
    };
    const otherSource = { ...read, source: 'aws.kms' };
    // Act / Assess
    expect(listSecrets).toBeDefined();
    expect(matchesPattern(pattern, listSecrets)).toBe(false);
    expect(matchesPattern(pattern, denied)).toBe(false);
    expect(matchesPattern(pattern, otherSource)).toBe(false);
    expect(matchesPattern(withFailed, denied)).toBe(true);
    expect(matchesPattern(withFailed, listSecrets)).toBe(false);
    expect(matchesPattern(withFailed, read)).toBe(true);
  });

  test('targets ingest directly with a retry policy, a dead-letter queue and a permission scoped to the rule', () => {
    const [target] = asList(props(resources.SecretReadRule).Targets) as JsonObject[];
    // Assess
    expect(target?.Arn).toEqual({ 'Fn::GetAtt': ['IngestLambdaFunction', 'Arn'] });
    const retry = target?.RetryPolicy as JsonObject;
    expect([numeric(retry.MaximumRetryAttempts), numeric(retry.MaximumEventAgeInSeconds)]).toEqual([20, 3600]);
    expect(target?.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': ['RuleDeadLetterQueue', 'Arn'] } });
    const permission = props(resources.IngestInvokeFromSecretReadRule);
    expect(permission).toMatchObject({
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': ['SecretReadRule', 'Arn'] },
    });
  });

  test('sends ingest failures after two retries to an on-failure queue', () => {
    const config = props(resources.IngestAsyncConfig);
    // Assess
    expect(config.FunctionName).toEqual({ Ref: 'IngestLambdaFunction' });
    expect(config.MaximumRetryAttempts).toBe(2);
    expect(config.DestinationConfig).toEqual({
      OnFailure: { Destination: { 'Fn::GetAtt': ['IngestFailureQueue', 'Arn'] } },
    });
  });

  test('lets only the detector rules write to the rule dead-letter queue', () => {
    const [statement, ...others] = statements(props(resources.RuleDeadLetterQueuePolicy).PolicyDocument);
    // Assess
    expect(others).toEqual([]);
    expect(statement).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: { 'Fn::GetAtt': ['RuleDeadLetterQueue', 'Arn'] },
    });
    const sources = (statement?.Condition as JsonObject | undefined)?.ArnEquals as JsonObject;
    expect(sources['aws:SourceArn']).toEqual(
      [
        'SecretReadRule',
        'CentralSecretReadRule',
        'TamperRulesRule',
        'TamperTargetsRule',
        'TamperTrailRule',
        'TamperSelectorsRule',
        'TamperConfigRule',
        'TamperExceptionsRule',
        'TamperTableRule',
        'TamperTopicRule',
        'TamperSubscriptionsRule',
        'TamperKeyRule',
        'TamperAlarmsRule',
        'TamperTrailCentralRule',
      ].map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })),
    );
    const [withoutCentralBus] = statements(
      props(resourcesWith({ CentralBusEnabled: false }).RuleDeadLetterQueuePolicy).PolicyDocument,
    );
    expect(JSON.stringify(withoutCentralBus)).not.toMatch(/TamperTrailCentralRule|CentralSecretReadRule/);
    // Without an exceptions parameter its rule does not exist, and neither does its entry.
    const [withoutParameter] = statements(
      props(resourcesWith({ HasExceptionsParameter: false }).RuleDeadLetterQueuePolicy).PolicyDocument,
    );
    const condition = withoutParameter?.Condition as JsonObject | undefined;
    const remaining = (condition?.ArnEquals as JsonObject | undefined)?.['aws:SourceArn'];
    expect(remaining).not.toContainEqual({ 'Fn::GetAtt': ['TamperExceptionsRule', 'Arn'] });
    expect(remaining).toContainEqual({ 'Fn::GetAtt': ['TamperConfigRule', 'Arn'] });
  });
});

describe('ingestQueue=true', () => {
  let queued: Record<string, Resource>;
  beforeAll(() => {
    queued = resourcesWith({ IngestQueueEnabled: true });
  });

  test('puts an SQS buffer between the rules and ingest, with partial batch failures and a redrive queue', () => {
    // Assess
    const [target] = asList(props(queued.SecretReadRule).Targets) as JsonObject[];
    expect(target?.Arn).toEqual({ 'Fn::GetAtt': ['IngestBufferQueue', 'Arn'] });
    expect(target?.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': ['RuleDeadLetterQueue', 'Arn'] } });
    const mapping = props(queued.IngestBufferMapping);
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(mapping.EventSourceArn).toEqual({ 'Fn::GetAtt': ['IngestBufferQueue', 'Arn'] });
    expect(numeric(mapping.BatchSize)).toBe(100);
    expect(numeric(mapping.MaximumBatchingWindowInSeconds)).toBe(1);
    expect(props(queued.IngestBufferQueue).RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['IngestBufferDeadLetterQueue', 'Arn'] },
      maxReceiveCount: 5,
    });
    expect(queued.IngestInvokeFromSecretReadRule).toBeUndefined();
    expect(queued.IngestBufferDeadLetterQueueAlarm).toBeDefined();
  });

  test('lets only the secret-read rules send to the buffer queue', () => {
    const [statement] = statements(props(queued.IngestBufferQueuePolicy).PolicyDocument);
    // Assess
    expect(statement).toMatchObject({
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: { 'Fn::GetAtt': ['IngestBufferQueue', 'Arn'] },
      Condition: {
        ArnEquals: {
          'aws:SourceArn': [
            { 'Fn::GetAtt': ['SecretReadRule', 'Arn'] },
            { 'Fn::GetAtt': ['CentralSecretReadRule', 'Arn'] },
          ],
        },
      },
    });
  });

  test('is off by default, leaving no buffer resources', () => {
    // Assess
    expect(conditions.IngestQueueEnabled).toBe(false);
    for (const id of ['IngestBufferQueue', 'IngestBufferDeadLetterQueue', 'IngestBufferMapping']) {
      expect(resources[id]).toBeUndefined();
    }
  });
});

describe('central bus (centralBus=true)', () => {
  test('accepts PutEvents only from principals of the organization', () => {
    const policy = props(resources.CentralBusPolicy);
    // Assess
    expect(policy.EventBusName).toEqual({ Ref: 'CentralBus' });
    expect(policy.Statement).toEqual({
      Effect: 'Allow',
      Principal: '*',
      Action: 'events:PutEvents',
      Resource: { 'Fn::GetAtt': ['CentralBus', 'Arn'] },
      Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abcd123456' } },
    });
  });

  test('without an organization id, accepts only this account', () => {
    const policy = props(resourcesWith({ HasOrgId: false }).CentralBusPolicy);
    // Assess
    expect(policy.Statement).toMatchObject({
      Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } },
      Action: 'events:PutEvents',
    });
    expect((policy.Statement as JsonObject).Condition).toBeUndefined();
  });

  test('has a rule of its own with the same state, pattern and target as the default-bus rule', () => {
    const central = props(resources.CentralSecretReadRule);
    const main = props(resources.SecretReadRule);
    // Assess
    expect(central.EventBusName).toEqual({ Ref: 'CentralBus' });
    expect(central.State).toBe(main.State);
    expect(central.EventPattern).toEqual(main.EventPattern);
    expect(central.Targets).toEqual(main.Targets);
    expect(props(resources.IngestInvokeFromCentralRule).SourceArn).toEqual({
      'Fn::GetAtt': ['CentralSecretReadRule', 'Arn'],
    });
  });
});

describe('evaluator schedule', () => {
  test('runs the evaluator on the evaluateSchedule parameter, without async retries', () => {
    const schedule = Object.values(resources).find(
      (r) => r.Type === 'AWS::Events::Rule' && props(r).ScheduleExpression !== undefined,
    );
    // Assess
    expect(props(schedule)).toMatchObject({
      ScheduleExpression: 'rate(2 minutes)',
      State: 'ENABLED',
      Name: `${PREFIX}-evaluate`,
    });
    expect(asList(props(schedule).Targets)[0]).toMatchObject({
      Arn: { 'Fn::GetAtt': ['EvaluateLambdaFunction', 'Arn'] },
    });
    expect(props(resources.EvaluateAsyncConfig).MaximumRetryAttempts).toBe(0);
  });
});

describe('window table', () => {
  test("is on-demand, encrypted, with TTL on the store's expiry attribute and point-in-time recovery off by default", () => {
    const table = props(resources.WindowTable);
    // Assess
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: TTL_ATTRIBUTE, Enabled: true });
    expect(table.SSESpecification).toEqual({ SSEEnabled: true });
    expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: false });
    expect(props(resourcesWith({ PointInTimeRecovery: true }).WindowTable).PointInTimeRecoverySpecification).toEqual({
      PointInTimeRecoveryEnabled: true,
    });
  });

  test('has the key schema, attributes, indexes and TTL attribute of lib/adapters/store/table.ts', () => {
    const table = props(resources.WindowTable);
    // Assess
    expect(table.KeySchema).toEqual(TABLE_DEFINITION.KeySchema);
    expect(table.AttributeDefinitions).toEqual(TABLE_DEFINITION.AttributeDefinitions);
    expect(table.GlobalSecondaryIndexes).toEqual(TABLE_DEFINITION.GlobalSecondaryIndexes);
    expect(table.BillingMode).toBe(TABLE_DEFINITION.BillingMode);
    expect((table.TimeToLiveSpecification as JsonObject).AttributeName).toBe(TTL_ATTRIBUTE);
  });
});

describe('alert topic', () => {
  test('is encrypted with a customer managed key that alarms and EventBridge may use and the account administers', () => {
    // Assess
    expect(props(resources.AlertTopic).KmsMasterKeyId).toEqual({ 'Fn::GetAtt': ['AlertTopicKey', 'Arn'] });
    const key = props(resources.AlertTopicKey);
    expect(key.EnableKeyRotation).toBe(true);
    const keyStatements = statements(key.KeyPolicy);
    const services = keyStatements.find((s) => JSON.stringify(s.Principal).includes('cloudwatch.amazonaws.com'));
    expect((services?.Principal as JsonObject | undefined)?.Service).toEqual([
      'cloudwatch.amazonaws.com',
      'events.amazonaws.com',
    ]);
    expect(services?.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(services?.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
    const account = keyStatements.find((s) => JSON.stringify(s.Principal).includes(':root'));
    expect(account?.Action).toEqual(
      expect.arrayContaining(['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:DescribeKey', 'kms:Decrypt']),
    );
  });

  test('lets the tamper rules and the detector alarms publish, each scoped by its source', () => {
    const policy = props(resources.AlertTopicPolicy);
    const byService = (service: string, from = policy) =>
      statements(from.PolicyDocument).find((s) => (s.Principal as JsonObject).Service === service);
    const tamperRules = Object.keys(template.Resources).filter((id) => /^Tamper\w+Rule$/.test(id));
    // Assess
    expect(policy.Topics).toEqual([{ Ref: 'AlertTopic' }]);
    expect(tamperRules).toHaveLength(12);
    expect(byService('events.amazonaws.com')).toMatchObject({
      Action: 'sns:Publish',
      Resource: { Ref: 'AlertTopic' },
      Condition: {
        ArnEquals: {
          'aws:SourceArn': tamperRules.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })),
        },
      },
    });
    // The exceptions rule exists only with an exceptions parameter; so does its entry (no dangling GetAtt).
    const withoutParameter = props(resourcesWith({ HasExceptionsParameter: false }).AlertTopicPolicy);
    expect(byService('events.amazonaws.com', withoutParameter)?.Condition).toEqual({
      ArnEquals: {
        'aws:SourceArn': tamperRules
          .filter((id) => id !== 'TamperExceptionsRule')
          .map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })),
      },
    });
    expect(byService('cloudwatch.amazonaws.com')).toMatchObject({
      Action: 'sns:Publish',
      Resource: { Ref: 'AlertTopic' },
      Condition: {
        ArnLike: {
          'aws:SourceArn': {
            'Fn::Sub': `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${PREFIX}-*`,
          },
        },
      },
    });
  });

  test('subscribes alertEmail when given, and nothing otherwise', () => {
    // Assess
    expect(props(resources.AlertEmailSubscription)).toEqual({
      TopicArn: { Ref: 'AlertTopic' },
      Protocol: 'email',
      Endpoint: 'secops@example.com',
    });
    expect(resourcesWith({ HasAlertEmail: false }).AlertEmailSubscription).toBeUndefined();
  });
});

describe('alarms', () => {
  const alarmIds = [
    'RuleDeadLetterQueueAlarm',
    'IngestFailureQueueAlarm',
    'IngestErrorsAlarm',
    'EvaluateErrorsAlarm',
    'EvaluatorStoppedAlarm',
    'NoEventsIngestedAlarm',
    'AlertPublishFailuresAlarm',
  ];

  test('all notify the alert topic and carry the stage prefix that the topic policy allows', () => {
    const all = Object.entries(resourcesWith({ IngestQueueEnabled: true })).filter(
      ([, r]) => r.Type === 'AWS::CloudWatch::Alarm',
    );
    // Assess
    expect(all.map(([id]) => id).sort()).toEqual([...alarmIds, 'IngestBufferDeadLetterQueueAlarm'].sort());
    for (const [, alarm] of all) {
      expect(props(alarm).AlarmActions).toEqual([{ Ref: 'AlertTopic' }]);
      expect(String(props(alarm).AlarmName)).toMatch(new RegExp(`^${PREFIX}-`));
    }
  });

  test('watch both dead-letter queues for any message', () => {
    for (const [alarm, queue] of [
      ['RuleDeadLetterQueueAlarm', 'RuleDeadLetterQueue'],
      ['IngestFailureQueueAlarm', 'IngestFailureQueue'],
    ] as const) {
      // Assess
      expect(props(resources[alarm])).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
  });

  test("watch the evaluator's publish failures under the namespace and service name the code uses", () => {
    // Prepare
    const handler = readFileSync(join(REPO_ROOT, 'functions', 'evaluate', 'handler.ts'), 'utf8');
    const runtime = readFileSync(join(REPO_ROOT, 'lib', 'usecases', 'evaluate.ts'), 'utf8');
    const alarm = props(resources.AlertPublishFailuresAlarm);
    // Assess
    expect(alarm.Namespace).toBe(NAMESPACE);
    expect(runtime).toContain(`'${String(alarm.MetricName)}'`);
    const [dimension] = alarm.Dimensions as JsonObject[];
    expect(dimension?.Name).toBe('service');
    expect(handler).toContain(`createTelemetry('${String(dimension?.Value)}'`);
  });

  test("watch each function's errors", () => {
    for (const [alarm, fn] of [
      ['IngestErrorsAlarm', 'IngestLambdaFunction'],
      ['EvaluateErrorsAlarm', 'EvaluateLambdaFunction'],
    ] as const) {
      // Assess
      expect(props(resources[alarm])).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  test('fire when the evaluator stops running or no event is ingested for noEventsHours, missing data breaching', () => {
    // Assess
    const stopped = props(resources.EvaluatorStoppedAlarm);
    expect(stopped).toMatchObject({
      MetricName: 'Invocations',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'EvaluateLambdaFunction' } }],
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    expect([numeric(stopped.EvaluationPeriods), numeric(stopped.DatapointsToAlarm)]).toEqual([3, 3]);
    const silent = props(resources.NoEventsIngestedAlarm);
    expect(silent).toMatchObject({
      MetricName: 'Invocations',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'IngestLambdaFunction' } }],
      Period: 3600,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    expect([numeric(silent.EvaluationPeriods), numeric(silent.DatapointsToAlarm)]).toEqual([12, 12]);
  });
});

describe('tamper rules', () => {
  interface TamperCase {
    expect: string | null;
    record: Record<string, unknown>;
  }
  /** The tamper rules on the default bus, where the fixtures' events arrive. */
  const tamperIds = [
    'TamperRulesRule',
    'TamperTargetsRule',
    'TamperTrailRule',
    'TamperSelectorsRule',
    'TamperConfigRule',
    'TamperExceptionsRule',
    'TamperTableRule',
    'TamperTopicRule',
    'TamperSubscriptionsRule',
    'TamperKeyRule',
    'TamperAlarmsRule',
  ];
  /** And the one on the central bus, for trail calls forwarded from the trail's home Region or account. */
  const allTamperIds = [...tamperIds, 'TamperTrailCentralRule'];
  /** Synthetic CloudTrail records, each naming the one tamper rule it must reach (or null for a near miss). */
  const tamperCases = (): TamperCase[] =>
    ['tamper-events.json', 'tamper-config-events.json', 'tamper-key-alarm-events.json'].flatMap(
      (file) => readFixture<{ records: TamperCase[] }>('deploy', file).records,
    );
  const matchingRules = (event: unknown, from = resources): string[] =>
    tamperIds.filter(
      (id) => from[id] !== undefined && matchesPattern(concretePattern(props(from[id]).EventPattern), event),
    );

  test('are plain ENABLED rules sending a Chatbot notification (httpsFormat chatbot) or a sentence to the topic', () => {
    for (const chatbot of [true, false]) {
      for (const id of allTamperIds) {
        const rule = props(resourcesWith({ TamperChatbotFormat: chatbot })[id]);
        const [target] = asList(rule.Targets) as JsonObject[];
        const transformer = target?.InputTransformer as JsonObject;
        const paths = Object.keys(transformer.InputPathsMap as JsonObject);
        const template = String(transformer.InputTemplate);
        // Prepare: what EventBridge would send, with a value for every placeholder.
        const placeholders = [...template.matchAll(/<([A-Za-z]+)>/g)].map((m) => m[1] as string);
        const rendered = template.replace(/<([A-Za-z]+)>/g, (_, name: string) => `value-of-${name}`);
        // Assess
        expect(rule.State).toBe('ENABLED');
        expect(target?.Arn).toEqual({ Ref: 'AlertTopic' });
        expect(placeholders.filter((name) => !paths.includes(name))).toEqual([]);
        const message = JSON.parse(rendered) as unknown;
        if (chatbot) {
          expect(message).toMatchObject({
            version: '1.0',
            source: 'custom',
            content: {
              textType: 'client-markdown',
              title: expect.stringMatching(/^Tamper signal for .*value-of-api/),
              description: expect.stringContaining('value-of-actor'),
            },
            metadata: { threadId: `${PREFIX}-tamper` },
          });
        } else {
          expect(message).toEqual(expect.stringMatching(/^Tamper signal for .*value-of-api.*value-of-actor/));
        }
      }
    }
    expect(conditions.TamperChatbotFormat).toBe(false);
    expect(resourcesWith({}).TamperRulesRule).toBeDefined();
  });

  test("match changes to the detector's rules, trails, functions, parameter, table, topic, subscriptions, key and alarms, and nothing else in the fixtures", () => {
    // Prepare
    const cases = tamperCases();
    expect(new Set(cases.map((c) => c.expect))).toEqual(new Set([...tamperIds, null]));
    for (const c of cases) {
      const event = cloudTrailEnvelope(c.record);
      // Act
      const matched = matchingRules(event);
      // Assess
      expect({ eventID: c.record.eventID, matched }).toEqual({
        eventID: c.record.eventID,
        matched: c.expect ? [c.expect] : [],
      });
      if (c.expect) {
        // Every placeholder the message uses is present in the event it is made from.
        const [target] = asList(props(resources[c.expect]).Targets) as JsonObject[];
        const paths = ((target?.InputTransformer as JsonObject | undefined)?.InputPathsMap ?? {}) as Record<
          string,
          string
        >;
        for (const [name, path] of Object.entries(paths)) {
          expect({ name, value: typeof jsonPath(event, path) }).toEqual({ name, value: 'string' });
        }
      }
    }
  });

  test("watch the names of all of the detector's rules, the tamper rules included", () => {
    const names = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Events::Rule')
      .map((r) => props(r).Name);
    const watched = (props(resources.TamperRulesRule).EventPattern as JsonObject).detail as JsonObject;
    const watchedTargets = (props(resources.TamperTargetsRule).EventPattern as JsonObject).detail as JsonObject;
    // Assess
    expect([...((watched.requestParameters as JsonObject).name as string[])].sort()).toEqual([...names].sort());
    expect((watchedTargets.requestParameters as JsonObject).rule).toEqual(
      (watched.requestParameters as JsonObject).name,
    );
  });

  /** The Lambda calls the configuration rule watches, as CloudTrail names them: bare and with each API version suffix. */
  const CONFIG_CALLS = [
    'UpdateFunctionConfiguration',
    'UpdateFunctionConfiguration20150331',
    'UpdateFunctionConfiguration20150331v2',
    'UpdateFunctionCode',
    'UpdateFunctionCode20150331',
    'UpdateFunctionCode20150331v2',
    'PutFunctionConcurrency',
    'PutFunctionConcurrency20171031',
    'DeleteFunctionConcurrency20171031',
    'DeleteFunction',
    'DeleteFunction20150331',
    'DeleteFunctionEventInvokeConfig',
    'PutFunctionEventInvokeConfig',
    'UpdateFunctionEventInvokeConfig',
    'RemovePermission',
    'RemovePermission20150331v2',
  ];
  const lambdaCall = (eventName: string, functionName: string): Record<string, unknown> =>
    cloudTrailEnvelope({
      eventVersion: '1.09',
      userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${ACCOUNT}:user/mallory`, accountId: ACCOUNT },
      eventTime: '2026-11-20T11:00:00Z',
      eventSource: 'lambda.amazonaws.com',
      eventName,
      awsRegion: 'us-east-1',
      sourceIPAddress: '198.51.100.23',
      requestParameters: { functionName },
      responseElements: null,
      eventID: `lambda-${eventName}-${functionName}`,
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: ACCOUNT,
    });
  /** Every way Lambda lets a caller name a function: name, ARN, partial ARN, each bare or qualified. */
  const functionNameForms = (name: string): string[] => [
    name,
    `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`,
    `${ACCOUNT}:function:${name}`,
    `${name}:$LATEST`,
    `${name}:3`,
    `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}:live`,
    `${ACCOUNT}:function:${name}:$LATEST`,
  ];

  test("the configuration rule watches exactly the stack's two functions, by name and in every ARN form", () => {
    // Prepare
    const functionNames = ['IngestLambdaFunction', 'EvaluateLambdaFunction'].map((id) =>
      String(props(resources[id]).FunctionName),
    );
    const detail = (props(resources.TamperConfigRule).EventPattern as JsonObject).detail as JsonObject;
    const alternatives = (detail.requestParameters as JsonObject).functionName as Json[];
    // Assess
    expect(detail.eventName).toEqual(
      [
        'UpdateFunctionConfiguration',
        'UpdateFunctionCode',
        'PutFunctionConcurrency',
        'DeleteFunction',
        'PutFunctionEventInvokeConfig',
        'UpdateFunctionEventInvokeConfig',
        'RemovePermission',
      ].map((prefix) => ({ prefix })),
    );
    expect(alternatives).toEqual(
      functionNames.flatMap((name) => [
        name,
        { suffix: `:${name}` },
        { prefix: `${name}:` },
        { wildcard: `*:${name}:*` },
      ]),
    );
  });

  test('the configuration rule matches every watched call on either function however functionName is written', () => {
    for (const name of [`${PREFIX}-ingest`, `${PREFIX}-evaluate`]) {
      for (const functionName of functionNameForms(name)) {
        for (const eventName of CONFIG_CALLS) {
          // Act
          const matched = matchingRules(lambdaCall(eventName, functionName));
          // Assess
          expect({ eventName, functionName, matched }).toEqual({
            eventName,
            functionName,
            matched: ['TamperConfigRule'],
          });
        }
      }
    }
  });

  test('the configuration rule ignores the same calls on other functions, and calls it does not watch', () => {
    // Prepare
    const others = [
      `${PREFIX}-ingestion`,
      `my-${PREFIX}-ingest`,
      `${PREFIX}-evaluate-v2`,
      'rapid-secret-retrieval-prod-ingest',
      'rapid-secret-retrieval-test',
    ].flatMap(functionNameForms);
    const unwatched = [
      'GetFunctionConfiguration20150331v2',
      'AddPermission20150331v2',
      'PublishVersion20150331',
      'GetFunctionEventInvokeConfig',
      'Invoke',
    ];
    // Act / Assess
    for (const functionName of others) {
      for (const eventName of CONFIG_CALLS) {
        expect({ eventName, functionName, matched: matchingRules(lambdaCall(eventName, functionName)) }).toEqual({
          eventName,
          functionName,
          matched: [],
        });
      }
    }
    for (const eventName of unwatched) {
      for (const functionName of functionNameForms(`${PREFIX}-ingest`)) {
        expect(matchingRules(lambdaCall(eventName, functionName))).toEqual([]);
      }
    }
  });

  test('the exceptions rule exists only with exceptionsParameter, and watches that parameter by name', () => {
    // Prepare
    const without = resourcesWith({ HasExceptionsParameter: false });
    const put = cloudTrailEnvelope({
      eventSource: 'ssm.amazonaws.com',
      eventName: 'PutParameter',
      userIdentity: { arn: `arn:aws:iam::${ACCOUNT}:user/mallory` },
      requestParameters: { name: '/rsr/exceptions', type: 'String', overwrite: true },
    });
    const detail = (props(resources.TamperExceptionsRule).EventPattern as JsonObject).detail as JsonObject;
    // Act / Assess
    expect(template.Resources.TamperExceptionsRule?.Condition).toBe('HasExceptionsParameter');
    expect(detail.requestParameters).toEqual({ name: ['/rsr/exceptions'] });
    expect(matchingRules(put)).toEqual(['TamperExceptionsRule']);
    expect(without.TamperExceptionsRule).toBeUndefined();
    expect(matchingRules(put, without)).toEqual([]);
    expect(without.TamperConfigRule).toBeDefined();
  });

  /** Set by AWS, never by the caller: what a notice may quote without matching it first. */
  const CALLER_PROOF_PATHS = [
    '$.detail.eventName',
    '$.detail.userIdentity.principalId',
    '$.detail.sourceIPAddress',
    '$.detail.eventTime',
    '$.detail.eventID',
    '$.account',
    '$.region',
  ];

  test('notices quote only what AWS sets, or a request parameter the rule matched against an exact list', () => {
    for (const id of allTamperIds) {
      const rule = props(resources[id]);
      const [target] = asList(rule.Targets) as JsonObject[];
      const transformer = (target?.InputTransformer ?? {}) as JsonObject;
      const paths = Object.values((transformer.InputPathsMap ?? {}) as Record<string, string>);
      expect({ id, paths: paths.length > 0 }).toEqual({ id, paths: true });
      const requestParameters = ((rule.EventPattern as JsonObject).detail as JsonObject).requestParameters as
        | JsonObject
        | undefined;
      for (const path of paths.filter((p) => !CALLER_PROOF_PATHS.includes(p))) {
        const key = /^\$\.detail\.requestParameters\.(\w+)$/.exec(path)?.[1];
        const matched = key === undefined ? undefined : requestParameters?.[key];
        // Exact alternatives only: plain strings or stack references, no prefix, suffix or wildcard.
        const exact =
          Array.isArray(matched) &&
          matched.every(
            (m) => typeof m === 'string' || (m !== null && typeof m === 'object' && ('Ref' in m || 'Fn::GetAtt' in m)),
          );
        // Assess
        expect({ id, path, exact }).toEqual({ id, path, exact: true });
      }
    }
  });

  test("the alarms rule watches exactly the detector's alarm names", () => {
    const names = Object.values(resourcesWith({ IngestQueueEnabled: true }))
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
      .map((r) => String(props(r).AlarmName));
    const detail = (props(resources.TamperAlarmsRule).EventPattern as JsonObject).detail as JsonObject;
    // Assess
    expect([...((detail.requestParameters as JsonObject).alarmNames as string[])].sort()).toEqual(names.sort());
  });

  test('the key rule watches the alert topic key by ID and ARN; the central trail rule lives on the central bus', () => {
    const key = (props(resources.TamperKeyRule).EventPattern as JsonObject).detail as JsonObject;
    const central = props(resources.TamperTrailCentralRule);
    const local = [resources.TamperTrailRule, resources.TamperSelectorsRule].flatMap(
      (r) => (((props(r).EventPattern as JsonObject).detail as JsonObject).eventName as string[]) ?? [],
    );
    // Assess
    expect(key.eventName).toEqual(['DisableKey', 'ScheduleKeyDeletion', 'PutKeyPolicy']);
    expect(key.requestParameters).toEqual({
      keyId: [{ Ref: 'AlertTopicKey' }, { 'Fn::GetAtt': ['AlertTopicKey', 'Arn'] }],
    });
    expect(central.EventBusName).toEqual({ Ref: 'CentralBus' });
    expect(((central.EventPattern as JsonObject).detail as JsonObject).eventName).toEqual(local);
    expect(local).not.toContain('PutAdvancedEventSelectors');
    expect(template.Resources.TamperTrailCentralRule?.Condition).toBe('CentralBusEnabled');
    expect(resourcesWith({ CentralBusEnabled: false }).TamperTrailCentralRule).toBeUndefined();
  });
});

describe('IAM', () => {
  interface DocRow {
    role: string;
    sid: string;
    actions: string[];
    when: string;
  }
  type ActionFile = Record<'ingest' | 'evaluate', Record<string, string[]>>;

  function docRows(): DocRow[] {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'IAM.md'), 'utf8');
    const block = doc.split('<!-- iam-actions:start')[1]?.split('<!-- iam-actions:end -->')[0] ?? '';
    return block
      .split('\n')
      .filter((line) => /^\| (ingest|evaluate) \|/.test(line))
      .map((line) => {
        const [role, sid, actions, , when] = line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim());
        return {
          role: role ?? '',
          sid: sid ?? '',
          actions: [...(actions ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] as string),
          when: when ?? '',
        };
      });
  }

  const WHEN_TO_CONDITION: Record<string, string | undefined> = {
    always: undefined,
    '`ingestQueue=true`': 'IngestQueueEnabled',
    '`exceptionsParameter` set': 'HasExceptionsParameter',
    '`securityHub=true`': 'SecurityHubEnabled',
    '`fastPath=true`': 'FastPathEnabled',
  };

  function roleStatements(all: Record<string, Resource>, roleId: string): Record<string, string[]> {
    const policies = asList(props(all[roleId]).Policies) as JsonObject[];
    const out: Record<string, string[]> = {};
    for (const policy of policies) {
      for (const s of statements(policy.PolicyDocument)) out[String(s.Sid)] = asList(s.Action) as string[];
    }
    return out;
  }

  test('docs/IAM.md lists exactly the actions kept in infra/iam-actions.json', () => {
    // Prepare
    const file = JSON.parse(readFileSync(join(REPO_ROOT, 'infra', 'iam-actions.json'), 'utf8')) as ActionFile;
    const fromDoc: Record<string, Record<string, string[]>> = {};
    for (const row of docRows()) {
      fromDoc[row.role] = { ...fromDoc[row.role], [row.sid]: row.actions };
      expect(Object.keys(WHEN_TO_CONDITION)).toContain(row.when);
    }
    // Assess
    expect(fromDoc).toEqual({ ingest: file.ingest, evaluate: file.evaluate });
  });

  test.each([
    ['IngestQueueEnabled', false],
    ['IngestQueueEnabled', true],
    ['HasExceptionsParameter', false],
    ['HasExceptionsParameter', true],
    ['SecurityHubEnabled', false],
    ['SecurityHubEnabled', true],
    ['FastPathEnabled', false],
    ['FastPathEnabled', true],
  ])('each role holds exactly the documented actions (%s=%s)', (condition, on) => {
    // Prepare
    const all = resourcesWith({ [condition]: on });
    const allConditions = evaluateConditions(template, { [condition]: on });
    for (const [role, roleId] of [
      ['ingest', 'IngestRole'],
      ['evaluate', 'EvaluateRole'],
    ] as const) {
      const expected: Record<string, string[]> = {};
      for (const row of docRows().filter((r) => r.role === role)) {
        const needs = WHEN_TO_CONDITION[row.when];
        if (needs === undefined || allConditions[needs]) expected[row.sid] = row.actions;
      }
      // Assess
      expect(roleStatements(all, roleId)).toEqual(expected);
    }
  });

  test('scopes each role statement to the resources its function uses', () => {
    // Prepare
    const all = resourcesWith({ IngestQueueEnabled: true });
    const resourceOf = (roleId: string, sid: string) => {
      const policies = asList(props(all[roleId]).Policies) as JsonObject[];
      return statements(policies[0]?.PolicyDocument).find((s) => s.Sid === sid)?.Resource;
    };
    const table = [{ 'Fn::GetAtt': ['WindowTable', 'Arn'] }, { 'Fn::Sub': '${WindowTable.Arn}/index/*' }];
    const parameter = {
      'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/rsr/exceptions',
    };
    const logGroup = (fn: string) => ({
      'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${PREFIX}-${fn}:*`,
    });
    // Assess
    expect(resourceOf('IngestRole', 'WindowTable')).toEqual(table[0]);
    expect(resourceOf('EvaluateRole', 'WindowTable')).toEqual(table);
    expect(resourceOf('IngestRole', 'OwnLogGroup')).toEqual(logGroup('ingest'));
    expect(resourceOf('EvaluateRole', 'OwnLogGroup')).toEqual(logGroup('evaluate'));
    expect(resourceOf('IngestRole', 'OnFailureQueue')).toEqual({ 'Fn::GetAtt': ['IngestFailureQueue', 'Arn'] });
    expect(resourceOf('IngestRole', 'BufferQueue')).toEqual({ 'Fn::GetAtt': ['IngestBufferQueue', 'Arn'] });
    expect(resourceOf('IngestRole', 'ExceptionsParameter')).toEqual(parameter);
    expect(resourceOf('EvaluateRole', 'ExceptionsParameter')).toBeUndefined();
    expect(resourceOf('EvaluateRole', 'AlertTopic')).toEqual({ Ref: 'AlertTopic' });
    expect(resourceOf('EvaluateRole', 'AlertTopicKey')).toEqual({ 'Fn::GetAtt': ['AlertTopicKey', 'Arn'] });
    expect(resourceOf('IngestRole', 'FastPathTable')).toEqual(table[0]);
    expect(resourceOf('IngestRole', 'FastPathTopic')).toEqual({ Ref: 'AlertTopic' });
    expect(resourceOf('IngestRole', 'FastPathTopicKey')).toEqual({ 'Fn::GetAtt': ['AlertTopicKey', 'Arn'] });
  });

  test('no policy anywhere grants a secretsmanager action or a wildcard action; Resource "*" only in the key policy', () => {
    // Prepare: every policy document in every shape of the template.
    const all = resourcesWith({ IngestQueueEnabled: true });
    const documents: { where: string; statement: JsonObject }[] = [];
    for (const [id, r] of Object.entries(all)) {
      const p = props(r);
      const docs: [string, Json | undefined][] = [
        ['KeyPolicy', p.KeyPolicy],
        ['PolicyDocument', p.PolicyDocument],
        ['AssumeRolePolicyDocument', p.AssumeRolePolicyDocument],
        ['Statement', p.Statement === undefined ? undefined : { Statement: p.Statement }],
        ...(asList(p.Policies) as JsonObject[]).map((x): [string, Json | undefined] => ['Policies', x.PolicyDocument]),
      ];
      for (const [kind, doc] of docs) {
        for (const statement of statements(doc)) documents.push({ where: `${id}.${kind}`, statement });
      }
    }
    // Assess
    expect(documents.length).toBeGreaterThan(10);
    for (const { where, statement } of documents) {
      if (statement.Effect === 'Deny') {
        // The framework's deployment bucket policy: deny any S3 call without TLS. A deny grants nothing.
        expect({ where, condition: statement.Condition }).toEqual({
          where: 'ServerlessDeploymentBucketPolicy.PolicyDocument',
          condition: { Bool: { 'aws:SecureTransport': false } },
        });
        continue;
      }
      expect(statement.Effect).toBe('Allow');
      for (const action of asList(statement.Action ?? statement.NotAction) as string[]) {
        expect({ where, action, secretsmanager: action.toLowerCase().startsWith('secretsmanager:') }).toMatchObject({
          secretsmanager: false,
        });
        expect({ where, action, wildcard: action === '*' || action.endsWith(':*') }).toMatchObject({
          wildcard: false,
        });
      }
      expect(statement.NotAction).toBeUndefined();
      expect(statement.NotResource).toBeUndefined();
      if (asList(statement.Resource).includes('*')) expect(where).toBe('AlertTopicKey.KeyPolicy');
      if (statement.Principal === '*') {
        expect(where).toBe('CentralBusPolicy.Statement');
        expect(statement.Condition).toEqual({ StringEquals: { 'aws:PrincipalOrgID': 'o-abcd123456' } });
      }
    }
  });
});

describe('securityHub (optional Security Hub import)', () => {
  const PRODUCT =
    'arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:product/${AWS::AccountId}/default';
  let on: Packaged;
  let onResources: Record<string, Resource>;

  beforeAll(async () => {
    // Prepare / Act: a second packaging run, defaults plus the switch, so that --param itself is what turns it on.
    on = await packageService({ securityHub: 'true' }, STAGE);
    onResources = activeResources(on.template, evaluateConditions(on.template));
  }, 240_000);

  afterAll(() => on?.cleanup());

  function evaluateStatements(all: Record<string, Resource>): JsonObject[] {
    return (asList(props(all.EvaluateRole).Policies) as JsonObject[]).flatMap((p) => statements(p.PolicyDocument));
  }

  function variables(all: Record<string, Resource>, id: string): Record<string, Json> {
    return (props(all[id]).Environment as JsonObject).Variables as Record<string, Json>;
  }

  test('is off by default: no import statement and no SECURITY_HUB in either function', () => {
    // Assess (the main packaging run does not pass securityHub)
    expect(conditions.SecurityHubEnabled).toBe(false);
    expect(evaluateStatements(resources).map((st) => st.Sid)).not.toContain('SecurityHubImport');
    expect(JSON.stringify(resources.IngestRole)).not.toContain('securityhub');
    expect(variables(resources, 'EvaluateLambdaFunction')[ENV.securityHub]).toBeUndefined();
    expect(variables(resources, 'IngestLambdaFunction')[ENV.securityHub]).toBeUndefined();
    expect(loadConfig({ ...stringValues(variables(resources, 'EvaluateLambdaFunction')) }).securityHub).toBe(false);
  });

  test('with --param securityHub=true, grants the evaluator BatchImportFindings on its own default product only', () => {
    // Prepare
    const statement = evaluateStatements(onResources).find((st) => st.Sid === 'SecurityHubImport');
    const documented = readFileSync(join(REPO_ROOT, 'docs', 'IAM.md'), 'utf8')
      .split('\n')
      .find((line) => line.startsWith('| evaluate | SecurityHubImport |'));
    // Assess
    expect(on.template.Conditions?.SecurityHubEnabled).toEqual({ 'Fn::Equals': ['true', 'true'] });
    expect(statement).toEqual({
      Sid: 'SecurityHubImport',
      Effect: 'Allow',
      Action: ['securityhub:BatchImportFindings'],
      Resource: { 'Fn::Sub': PRODUCT },
    });
    expect(documented).toContain('`securityhub:BatchImportFindings`');
    expect(documented).toContain('`product/ACCOUNT/default`');
    expect(documented).toMatch(/\| `securityHub=true` \|$/);
    expect(JSON.stringify(onResources.IngestRole)).not.toContain('securityhub');
  });

  test('with --param securityHub=true, sets SECURITY_HUB=true in the evaluator only, and its bundle loads with it', () => {
    // Prepare
    const evaluateEnv = variables(onResources, 'EvaluateLambdaFunction');
    const code = readZip(join(on.outputDir, 'evaluate.zip')).get('functions/evaluate/handler.js')?.toString('utf8');
    const dir = mkdtempSync(join(tmpdir(), 'rsr-evaluate-securityhub-'));
    mkdirSync(join(dir, 'functions', 'evaluate'), { recursive: true });
    writeFileSync(join(dir, 'functions', 'evaluate', 'handler.js'), code ?? '');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      ...stringValues(evaluateEnv),
      [ENV.tableName]: `${PREFIX}-WindowTable-ABC123`,
      [ENV.topicArn]: `arn:aws:sns:us-east-1:111122223333:${PREFIX}-alerts`,
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_EC2_METADATA_DISABLED: 'true',
      // This machine's Node 20 draws an SDK deprecation warning (Lambda runs Node 24); only real errors count here.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    // Act: load the bundled handler as Lambda would, with Security Hub on (constructing its client makes no call).
    const loaded = spawnSync(
      process.execPath,
      [
        '-e',
        'process.stdout.write(typeof require(process.argv[1]).handler)',
        join(dir, 'functions', 'evaluate', 'handler.js'),
      ],
      { cwd: dir, env, encoding: 'utf8' },
    );
    rmSync(dir, { recursive: true, force: true });
    // Assess
    expect(evaluateEnv[ENV.securityHub]).toBe('true');
    expect(variables(onResources, 'IngestLambdaFunction')[ENV.securityHub]).toBeUndefined();
    expect(loadConfig(stringValues(evaluateEnv)).securityHub).toBe(true);
    // The fast path publishes to SNS only, so with the import on it is off: every alert becomes a finding.
    expect(on.template.Conditions?.FastPathEnabled).toEqual({ 'Fn::Equals': ['false', 'true'] });
    expect(variables(onResources, 'IngestLambdaFunction')[ENV.fastPath]).toBe('false');
    expect(variables(onResources, 'IngestLambdaFunction')[ENV.topicArn]).toBeUndefined();
    expect(JSON.stringify(onResources.IngestRole)).not.toContain('sns:Publish');
    expect(code).toContain('/findings/import');
    expect({ handler: loaded.stdout, error: loaded.stderr.slice(-600) }).toEqual({ handler: 'function', error: '' });
    expect(on.zipSizes['evaluate.zip']).toBeLessThan(1024 * 1024);
  });
});

describe('template integrity', () => {
  const combinations = Array.from({ length: 2 ** SWITCHES.length }, (_, n) =>
    Object.fromEntries(SWITCHES.map((name, bit) => [name, Boolean(n & (1 << bit))])),
  );

  test('in every combination of the switches, every reference resolves and there is no dependency cycle', () => {
    const pseudo = new Set([
      'AWS::AccountId',
      'AWS::Partition',
      'AWS::Region',
      'AWS::StackName',
      'AWS::StackId',
      'AWS::URLSuffix',
    ]);
    for (const overrides of combinations) {
      // Prepare
      const all = activeResources(template, evaluateConditions(template, overrides));
      const edges = new Map<string, Set<string>>();
      for (const [id, r] of Object.entries(all)) {
        const refs = referencedIds(r as unknown as Json);
        for (const d of asList(r.DependsOn) as string[]) refs.add(d);
        const unresolved = [...refs].filter((ref) => !(ref in all) && !pseudo.has(ref));
        // Assess
        expect({ overrides, id, unresolved }).toEqual({ overrides, id, unresolved: [] });
        edges.set(id, new Set([...refs].filter((ref) => ref in all)));
      }
      for (const [name, output] of Object.entries(template.Outputs ?? {})) {
        if (typeof output.Condition === 'string' && !evaluateConditions(template, overrides)[output.Condition])
          continue;
        const refs = [...referencedIds(resolveIfs(output, evaluateConditions(template, overrides)))];
        expect({ name, unresolved: refs.filter((ref) => !(ref in all) && !pseudo.has(ref)) }).toEqual({
          name,
          unresolved: [],
        });
      }
      // Depth-first search for a cycle.
      const state = new Map<string, 'open' | 'done'>();
      const visit = (id: string, path: string[]): void => {
        if (state.get(id) === 'done') return;
        if (state.get(id) === 'open') throw new Error(`dependency cycle: ${[...path, id].join(' -> ')}`);
        state.set(id, 'open');
        for (const next of edges.get(id) ?? []) visit(next, [...path, id]);
        state.set(id, 'done');
      };
      for (const id of edges.keys()) visit(id, []);
    }
  });

  test('leaves no unresolved framework variable in the template', () => {
    // Assess
    expect(JSON.stringify(template)).not.toMatch(/\$\{(param|self|sls|opt|file|env):/);
  });
});
