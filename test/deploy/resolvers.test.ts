/**
 * infra/resolvers.js: the package-time computations serverless.yml reads through the framework's file variable
 * source. Called here the way the framework calls them (a context with options, resolveVariable and
 * resolveConfigurationProperty), with parameters from serverless.yml's defaults plus overrides.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TABLE_DEFINITION, TTL_ATTRIBUTE } from '../../lib/adapters/store/table';
import { parseCloudFormationYaml } from '../support/cloudformation';
import { REPO_ROOT } from './package-service';

interface ResolverContext {
  readonly options: { readonly stage?: string; readonly param?: readonly string[] };
  resolveVariable(variable: string): Promise<unknown>;
  resolveConfigurationProperty(path: readonly string[]): Promise<unknown>;
}
type Resolver = (context: ResolverContext) => Promise<unknown> | unknown;

const resolvers = require(join(REPO_ROOT, 'infra', 'resolvers.js')) as Record<string, Resolver>;

function resolver(name: string): Resolver {
  const fn = resolvers[name];
  if (fn === undefined) throw new Error(`infra/resolvers.js exports no ${name}`);
  return fn;
}

const defaults = (
  parseCloudFormationYaml(readFileSync(join(REPO_ROOT, 'serverless.yml'), 'utf8')) as unknown as {
    params: { default: Record<string, string> };
  }
).params.default;

/** A context as the framework builds it for `serverless package --param k=v ...`. */
function context(overrides: Readonly<Record<string, string>> = {}): ResolverContext {
  const params: Record<string, string> = { ...defaults, ...overrides };
  return {
    options: { stage: 'test', param: Object.entries(overrides).map(([k, v]) => `${k}=${v}`) },
    resolveVariable: async (variable) => {
      if (!variable.startsWith('param:')) throw new Error(`unexpected variable ${variable}`);
      return params[variable.slice('param:'.length)] ?? null;
    },
    resolveConfigurationProperty: async (path) =>
      path.join('.') === 'params.default' ? defaults : path.join('.') === 'provider.stage' ? 'test' : undefined,
  };
}

describe('acceptFailedCalls', () => {
  test.each([
    [{}, 'false'],
    [{ includeFailedCalls: 'true' }, 'true'],
    [{ preset: 'recommended' }, 'true'],
    [{ signals: 'access-denied' }, 'true'],
    [{ signals: 'batch-calls,batch-regions' }, 'false'],
    [{ preset: 'recommended', signals: 'none' }, 'false'],
  ])('with %o the rules deliver failed calls: %s', async (overrides, expected) => {
    // Act
    const accepted = await resolver('acceptFailedCalls')(context(overrides));
    // Assess
    expect(accepted).toBe(expected);
  });
});

describe('detectionSettings', () => {
  test('summarises the settings the functions will run with', async () => {
    // Act
    const summary = (await resolver('detectionSettings')(
      context({ threshold: '25', preset: 'elastic-2025' }),
    )) as Record<string, unknown>;
    // Assess
    expect(summary).toMatchObject({ preset: 'elastic-2025', threshold: 25, eventNames: 'GetSecretValue' });
    expect(summary.tableName).toBeUndefined();
  });

  test('fails packaging on a value the runtime would reject, with the loader message', async () => {
    // Act / Assess
    await expect(resolver('detectionSettings')(context({ threshold: 'twenty' }))).rejects.toThrow(
      /invalid deploy parameter: --param threshold="twenty"/,
    );
  });

  test('fails packaging on a misspelt parameter name', async () => {
    // Act / Assess
    await expect(resolver('detectionSettings')(context({ treshold: '5' }))).rejects.toThrow(
      /unknown deploy parameter\(s\): --param treshold/,
    );
  });

  test('checks stack parameters against AWS limits and formats: one line per problem, each naming --param', async () => {
    // Prepare
    const bad = {
      alertEmail: 'not-an-email',
      ruleMaxRetryAttempts: '500',
      noEventsHours: '200',
      ingestBatchWindowSeconds: '0',
      logRetentionDays: '31',
      evaluateSchedule: 'every minute',
      orgId: 'org-1',
      threshold: 'abc',
    };
    // Act
    const error = await Promise.resolve(resolver('detectionSettings')(context(bad))).then(
      () => undefined,
      (e: Error) => e,
    );
    // Assess
    const lines = String(error?.message).split('\n');
    expect(lines).toHaveLength(Object.keys(bad).length);
    for (const name of Object.keys(bad)) {
      expect(lines.filter((l) => l.startsWith(`invalid deploy parameter: --param ${name}=`))).toHaveLength(1);
    }
    expect(String(error?.message)).toContain('an integer from 0 to 185');
    expect(String(error?.message)).toContain('an integer from 1 to 168');
  });

  test('accepts good stack parameters (batch window 0 is fine with a batch of 10)', async () => {
    const good = {
      alertEmail: 'soc@example.com',
      ingestBatchSize: '10',
      ingestBatchWindowSeconds: '0',
      orgId: 'o-abcdef1234',
      evaluateSchedule: 'rate(5 minutes)',
      logRetentionDays: '365',
    };
    await expect(resolver('detectionSettings')(context(good))).resolves.toBeDefined();
  });

  test('fails packaging when inline exceptions would overflow the 4 KB Lambda environment', async () => {
    // Prepare
    const entries = Array.from({ length: 60 }, (_, i) => ({ arn: `arn:aws:iam::111122223333:role/ci-runner-${i}-*` }));
    // Act / Assess
    await expect(resolver('detectionSettings')(context({ exceptions: JSON.stringify(entries) }))).rejects.toThrow(
      /exceptionsParameter/,
    );
  });
});

describe('httpsFormat', () => {
  test.each([
    [{}, 'chatbot'],
    [{ httpsFormat: 'alert-json' }, 'alert-json'],
  ])('with %o the tamper messages use the %s format', async (overrides, expected) => {
    // Act / Assess
    expect(await resolver('httpsFormat')(context(overrides))).toBe(expected);
  });
});

describe('securityHub', () => {
  test.each([
    [{}, 'false'],
    [{ securityHub: 'true' }, 'true'],
    // Parsed as the evaluator parses SECURITY_HUB, so the role statement and the runtime cannot disagree.
    [{ securityHub: ' TRUE ' }, 'true'],
    [{ securityHub: 'false' }, 'false'],
  ])('with %o the evaluator imports findings: %s', async (overrides, expected) => {
    // Act / Assess
    expect(await resolver('securityHub')(context(overrides))).toBe(expected);
  });

  test('fails packaging on a value the evaluator would reject, naming SECURITY_HUB', async () => {
    // Act / Assess
    await expect(resolver('securityHub')(context({ securityHub: 'yes' }))).rejects.toThrow(
      /invalid deploy parameter: --param securityHub="yes".*true or false/,
    );
    await expect(resolver('detectionSettings')(context({ securityHub: 'yes' }))).rejects.toThrow(/--param securityHub/);
  });

  test('is part of the effective settings shown by serverless print', async () => {
    // Act
    const summary = (await resolver('detectionSettings')(context({ securityHub: 'true' }))) as Record<string, unknown>;
    // Assess
    expect(summary.securityHub).toBe(true);
  });
});

describe('fastPath', () => {
  test.each([
    [{}, 'true'],
    [{ fastPath: 'false' }, 'false'],
    [{ fastPath: ' FALSE ' }, 'false'],
    // The fast path publishes to SNS only: with the Security Hub import on, every alert comes from the evaluator.
    [{ securityHub: 'true' }, 'false'],
  ])('with %o ingest runs the fast path: %s', async (overrides, expected) => {
    // Act / Assess
    expect(await resolver('fastPath')(context(overrides))).toBe(expected);
  });

  test('fails packaging on a value ingest would reject, naming FAST_PATH', async () => {
    // Act / Assess
    await expect(resolver('fastPath')(context({ fastPath: 'yes' }))).rejects.toThrow(
      /invalid deploy parameter: --param fastPath="yes".*true or false/,
    );
  });
});

describe('exceptionsParameterArnPath', () => {
  test.each([
    ['/rsr/exceptions', '/rsr/exceptions'],
    ['rsr-exceptions', '/rsr-exceptions'],
    ['', '/-'],
  ])('maps the parameter name %p to the ARN suffix %p', async (name, suffix) => {
    // Act / Assess
    expect(await resolver('exceptionsParameterArnPath')(context({ exceptionsParameter: name }))).toBe(suffix);
  });
});

describe('table definition', () => {
  test("comes from the store's own module", async () => {
    // Act / Assess
    expect(await resolver('tableKeySchema')(context())).toEqual(TABLE_DEFINITION.KeySchema);
    expect(await resolver('tableAttributeDefinitions')(context())).toEqual(TABLE_DEFINITION.AttributeDefinitions);
    expect(await resolver('tableGlobalSecondaryIndexes')(context())).toEqual(TABLE_DEFINITION.GlobalSecondaryIndexes);
    expect(await resolver('tableTtlAttribute')(context())).toBe(TTL_ATTRIBUTE);
  });
});
