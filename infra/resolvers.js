/**
 * Values computed at package time for serverless.yml, read through the framework's file variable source
 * (`file(./infra/resolvers.js):name`). The framework's variables have no string functions and CloudFormation
 * conditions cannot inspect a string, so the little computing the template needs is done here, with the project's
 * own modules (lib/config/load.ts, lib/adapters/store/table.ts) so that the deployment cannot drift from the code.
 */
const path = require('node:path');
const Module = require('node:module');

const compiled = new Map();
/**
 * Loads a TypeScript module of the project. esbuild (a devDependency, already used for bundling) compiles it in
 * memory; npm packages stay external and load from node_modules as usual.
 */
function loadProjectModule(relativePath) {
  const entry = path.join(__dirname, '..', relativePath);
  if (compiled.has(entry)) return compiled.get(entry);
  const { buildSync } = require('esbuild');
  const result = buildSync({
    entryPoints: [entry],
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  const mod = { exports: {} };
  new Function('module', 'exports', 'require', result.outputFiles[0].text)(
    mod,
    mod.exports,
    Module.createRequire(entry),
  );
  compiled.set(entry, mod.exports);
  return mod.exports;
}

const RESOURCE_SETTINGS = new Set(['tableName', 'topicArn']);

/**
 * Stops packaging with one line per problem and no stack trace. Under the framework (osls) every variable that reads
 * a resolver would otherwise repeat the same rejection with its stack; elsewhere (tests) the problems are thrown.
 */
function fail(lines) {
  const framework = /[\\/](osls|serverless)[\\/]/.test(require.main?.filename ?? '');
  if (framework) {
    process.stderr.write(`${lines.map((line) => `Error: ${line}`).join('\n')}\n`);
    process.exit(1);
  }
  throw new Error(lines.join('\n'));
}

/** Deploy parameters named on the command line must be known: a misspelt `--param` would otherwise do nothing. */
async function checkParameterNames(options, resolveConfigurationProperty) {
  const stage = options.stage ?? (await resolveConfigurationProperty(['provider', 'stage'])) ?? 'dev';
  const known = new Set([
    ...Object.keys((await resolveConfigurationProperty(['params', 'default'])) ?? {}),
    ...Object.keys((await resolveConfigurationProperty(['params', stage])) ?? {}),
  ]);
  const given = [].concat(options.param ?? []).map((item) => String(item).split('=')[0]);
  const unknown = given.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    fail([
      `unknown deploy parameter(s): ${unknown.map((n) => `--param ${n}`).join(', ')}. Known: ${[...known].sort().join(', ')} (docs/DEPLOY.md)`,
    ]);
  }
}

/** Lambda's limit on all environment variables of a function together (names and values, in bytes). */
const LAMBDA_ENVIRONMENT_LIMIT = 4096;
/** Room left for TABLE_NAME and TOPIC_ARN, which CloudFormation fills in at deploy time. */
const RESOURCE_VARIABLES_ALLOWANCE = 400;

/**
 * The runtime configuration the functions will load, computed from the deploy parameters with the functions' own
 * settings table (lib/config/settings.ts) and loader (lib/config/load.ts). Every parameter, stack-only ones included,
 * is checked against its accepted range and format here, so that a bad value fails packaging with one line naming
 * `--param NAME`, instead of failing the deploy or every invocation after it.
 */
async function effectiveConfig({ options, resolveVariable, resolveConfigurationProperty }) {
  await checkParameterNames(options, resolveConfigurationProperty);
  const { SETTINGS, DEPLOY_PARAMETERS, deployParameterProblems } = loadProjectModule('lib/config/settings.ts');
  const { loadConfig } = loadProjectModule('lib/config/load.ts');
  const params = {};
  for (const name of [...Object.keys(SETTINGS), ...Object.keys(DEPLOY_PARAMETERS)]) {
    if (SETTINGS[name] && !SETTINGS[name].param) continue;
    params[name] = String((await resolveVariable(`param:${name}`)) ?? '');
  }
  const problems = deployParameterProblems(params);
  if (problems.length > 0) fail(problems.map((problem) => `invalid deploy parameter: ${problem}`));
  const overrides = {};
  let bytes = RESOURCE_VARIABLES_ALLOWANCE;
  for (const [name, spec] of Object.entries(SETTINGS)) {
    if (!spec.param) continue;
    bytes += Buffer.byteLength(spec.env) + Buffer.byteLength(params[name]);
    if (params[name] !== '') overrides[name] = { value: params[name], source: `--param ${name}` };
  }
  if (bytes > LAMBDA_ENVIRONMENT_LIMIT) {
    fail([
      `the settings need about ${bytes} bytes of environment; Lambda allows ${LAMBDA_ENVIRONMENT_LIMIT} ` +
        'in total. Move inline exceptions to an SSM parameter (--param exceptionsParameter).',
    ]);
  }
  try {
    return loadConfig({}, overrides);
  } catch (error) {
    fail([`invalid deploy parameter: ${error.message}`]);
  }
}

/** A readable summary of the effective detection settings (see it with `serverless print`). */
async function detectionSettings(context) {
  const config = await effectiveConfig(context);
  const summary = {};
  for (const [key, value] of Object.entries(config)) {
    if (RESOURCE_SETTINGS.has(key)) continue;
    summary[key] =
      key === 'exceptions' ? `${value.length} inline entries` : Array.isArray(value) ? value.join(',') : value;
  }
  return summary;
}

/**
 * Whether the secret-read rules also deliver failed calls: when `includeFailedCalls=true`, or when the effective
 * configuration uses the access-denied signal (it counts failed reads, which the rule would otherwise drop).
 */
async function acceptFailedCalls(context) {
  const config = await effectiveConfig(context);
  const forced = String((await context.resolveVariable('param:includeFailedCalls')) ?? '') === 'true';
  return forced || config.signals.includes('access-denied') ? 'true' : 'false';
}

/** The effective httpsFormat (chatbot or alert-json): the tamper messages follow it. */
async function httpsFormat(context) {
  return (await effectiveConfig(context)).httpsFormat;
}

/**
 * Whether the evaluator imports findings into Security Hub ('true' or 'false'), as lib/config/load.ts parses the
 * securityHub parameter: the role statement and SECURITY_HUB follow the same answer, and an invalid value fails here.
 */
async function securityHub(context) {
  return (await effectiveConfig(context)).securityHub ? 'true' : 'false';
}

/**
 * Whether ingest runs the fast path ('true' or 'false'), as lib/config/load.ts parses the fastPath parameter: its role
 * statements, FAST_PATH and TOPIC_ARN on ingest follow the same answer. Off with securityHub=true: the fast path
 * publishes to SNS only, and with the import on every alert must come from the evaluator to become a finding.
 */
async function fastPath(context) {
  const config = await effectiveConfig(context);
  return config.fastPath && !config.securityHub ? 'true' : 'false';
}

/**
 * The part of an SSM parameter ARN after `parameter`: SSM writes `/a/b` as `parameter/a/b` and `a` as `parameter/a`.
 * Returns `/-` when no parameter is set (the statement using it is then left out by a condition).
 */
async function exceptionsParameterArnPath({ resolveVariable }) {
  const name = String((await resolveVariable('param:exceptionsParameter')) ?? '');
  if (name === '') return '/-';
  return name.startsWith('/') ? name : `/${name}`;
}

// The window table as the store defines it (lib/adapters/store/table.ts).
const storeTable = () => loadProjectModule('lib/adapters/store/table.ts');
const tableAttributeDefinitions = () => structuredClone(storeTable().TABLE_DEFINITION.AttributeDefinitions);
const tableKeySchema = () => structuredClone(storeTable().TABLE_DEFINITION.KeySchema);
const tableGlobalSecondaryIndexes = () => structuredClone(storeTable().TABLE_DEFINITION.GlobalSecondaryIndexes ?? []);
const tableTtlAttribute = () => storeTable().TTL_ATTRIBUTE;

module.exports = {
  acceptFailedCalls,
  detectionSettings,
  exceptionsParameterArnPath,
  fastPath,
  httpsFormat,
  securityHub,
  tableAttributeDefinitions,
  tableGlobalSecondaryIndexes,
  tableKeySchema,
  tableTtlAttribute,
};
