/**
 * Turns environment variables and CLI flags into the engine's settings (lib/engine/settings.ts). The entry points
 * (Lambda handlers, CLI commands) pass `process.env` in; nothing below them reads it. (The CLI also looks at the AWS
 * SDK's own variables — Region, endpoints — to say what is missing before it calls AWS.)
 * Precedence: CLI flag > environment variable > preset > built-in default. Every value is validated once, and an
 * invalid one fails loudly with a ConfigError naming the variable, the value and what is accepted.
 */
import { parseExceptions } from '../engine/exceptions';
import {
  BROWSER_EXCLUSIONS,
  COUNT_MODES,
  DEFAULTS,
  GROUP_BY_MODES,
  HTTPS_FORMATS,
  LOG_LEVELS,
  PRESET_DEFAULTS,
  PRESETS,
  READ_API_NAMES,
  type RuntimeConfig,
  SIGNALS,
} from '../engine/settings';

export type {
  BrowserExclusion,
  CountMode,
  DetectionConfig,
  GroupBy,
  HttpsFormat,
  LogLevel,
  Preset,
  RuntimeConfig,
  Signal,
} from '../engine/settings';
export {
  BROWSER_EXCLUSIONS,
  COUNT_MODES,
  DEFAULTS,
  GROUP_BY_MODES,
  HTTPS_FORMATS,
  LOG_LEVELS,
  PRESET_DEFAULTS,
  PRESETS,
  READ_API_NAMES,
  SIGNALS,
} from '../engine/settings';

import { ConfigError } from '../engine/errors';

/** Environment variable names, one per setting. CLI flags use the same keys (camelCase) as overrides. */
export const ENV = {
  preset: 'RSR_PRESET',
  threshold: 'THRESHOLD',
  windowMinutes: 'WINDOW_MINUTES',
  latenessMinutes: 'LATENESS_MINUTES',
  suppressionMinutes: 'SUPPRESSION_MINUTES',
  maxAlertsPerRun: 'MAX_ALERTS_PER_RUN',
  count: 'COUNT',
  groupBy: 'GROUP_BY',
  browserNames: 'BROWSER_NAMES',
  exceptions: 'EXCEPTIONS',
  saturationFactor: 'SATURATION_FACTOR',
  eventNames: 'EVENT_NAMES',
  browserExclusion: 'BROWSER_EXCLUSION',
  excludeAwsServiceCallers: 'EXCLUDE_AWS_SERVICE_CALLERS',
  excludedSourceAddresses: 'EXCLUDED_SOURCE_ADDRESSES',
  normaliseSecretIds: 'NORMALISE_SECRET_IDS',
  signals: 'SIGNALS',
  batchCallsThreshold: 'BATCH_CALLS_THRESHOLD',
  batchRegionsThreshold: 'BATCH_REGIONS_THRESHOLD',
  accessDeniedThreshold: 'ACCESS_DENIED_THRESHOLD',
  tableName: 'TABLE_NAME',
  topicArn: 'TOPIC_ARN',
  exceptionsParameter: 'EXCEPTIONS_PARAMETER',
  httpsFormat: 'HTTPS_FORMAT',
  logLevel: 'LOG_LEVEL',
  alertLeaseSeconds: 'ALERT_LEASE_SECONDS',
  securityHub: 'SECURITY_HUB',
  fastPath: 'FAST_PATH',
} as const satisfies Record<keyof RuntimeConfig, string>;

export type SettingName = keyof typeof ENV;
/** Raw string overrides, e.g. from CLI flags; `source` names them in errors (e.g. `--threshold`). */
export type Overrides = Partial<Record<SettingName, { readonly value: string; readonly source: string }>>;

function integer(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw.trim());
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(name, raw, `an integer from ${min} to ${max}`);
  }
  return n;
}

function oneOf<T extends string>(name: string, raw: string, accepted: readonly T[]): T {
  const v = raw.trim();
  if (!(accepted as readonly string[]).includes(v)) throw new ConfigError(name, raw, `one of ${accepted.join(', ')}`);
  return v as T;
}

function nameList(name: string, raw: string): readonly string[] {
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length === 0 && raw.trim() !== '') throw new ConfigError(name, raw, 'a comma-separated list of names');
  return Object.freeze(names);
}

function boolean(name: string, raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new ConfigError(name, raw, 'true or false');
}

function subsetOf<T extends string>(
  name: string,
  raw: string,
  accepted: readonly T[],
  allowEmpty: boolean,
): readonly T[] {
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0 && s.toLowerCase() !== 'none');
  const bad = names.filter((n) => !(accepted as readonly string[]).includes(n));
  if (bad.length > 0 || (!allowEmpty && names.length === 0)) {
    throw new ConfigError(
      name,
      raw,
      `a comma-separated list of ${accepted.join(', ')}${allowEmpty ? ' (or none)' : ''}`,
    );
  }
  return Object.freeze([...new Set(names)] as T[]);
}

/**
 * Builds the frozen configuration. `env` is usually `process.env`; `overrides` come from CLI flags.
 * Empty environment variables count as unset (CloudFormation passes "" for blank parameters).
 */
export function loadConfig(env: NodeJS.ProcessEnv = {}, overrides: Overrides = {}): RuntimeConfig {
  const raw = (key: SettingName): { value: string; source: string } | undefined => {
    const flag = overrides[key];
    if (flag !== undefined) return flag;
    const value = env[ENV[key]];
    if (value === undefined || value === '') return undefined;
    return { value, source: ENV[key] };
  };
  const presetRaw = raw('preset');
  const preset = presetRaw ? oneOf(presetRaw.source, presetRaw.value, PRESETS) : DEFAULTS.preset;
  const base: RuntimeConfig = { ...DEFAULTS, ...PRESET_DEFAULTS[preset], preset };

  const pick = <K extends SettingName>(key: K, parse: (source: string, value: string) => RuntimeConfig[K]) => {
    const r = raw(key);
    return r === undefined ? base[key] : parse(r.source, r.value);
  };

  const config: RuntimeConfig = {
    preset,
    threshold: pick('threshold', (s, v) => integer(s, v, 1, 1_000_000)),
    windowMinutes: pick('windowMinutes', (s, v) => integer(s, v, 1, 1440)),
    latenessMinutes: pick('latenessMinutes', (s, v) => integer(s, v, 0, 1440)),
    suppressionMinutes: pick('suppressionMinutes', (s, v) => integer(s, v, 1, 10080)),
    maxAlertsPerRun: pick('maxAlertsPerRun', (s, v) => integer(s, v, 1, 10_000)),
    count: pick('count', (s, v) => oneOf(s, v, COUNT_MODES)),
    groupBy: pick('groupBy', (s, v) => oneOf(s, v, GROUP_BY_MODES)),
    browserNames: pick('browserNames', (s, v) => nameList(s, v)),
    exceptions: pick('exceptions', (s, v) => parseExceptions(v, s)),
    saturationFactor: pick('saturationFactor', (s, v) => integer(s, v, 2, 1000)),
    eventNames: pick('eventNames', (s, v) => subsetOf(s, v, READ_API_NAMES, false)),
    browserExclusion: pick('browserExclusion', (s, v) => oneOf(s, v, BROWSER_EXCLUSIONS)),
    excludeAwsServiceCallers: pick('excludeAwsServiceCallers', boolean),
    excludedSourceAddresses: pick('excludedSourceAddresses', (s, v) =>
      v.trim().toLowerCase() === 'none' ? [] : nameList(s, v),
    ),
    normaliseSecretIds: pick('normaliseSecretIds', boolean),
    signals: pick('signals', (s, v) => subsetOf(s, v, SIGNALS, true)),
    batchCallsThreshold: pick('batchCallsThreshold', (s, v) => integer(s, v, 1, 100_000)),
    batchRegionsThreshold: pick('batchRegionsThreshold', (s, v) => integer(s, v, 2, 100)),
    accessDeniedThreshold: pick('accessDeniedThreshold', (s, v) => integer(s, v, 1, 1_000_000)),
    tableName: pick('tableName', (s, v) => {
      if (!/^[A-Za-z0-9_.-]{3,255}$/.test(v))
        throw new ConfigError(s, v, 'a DynamoDB table name ([A-Za-z0-9_.-], 3-255)');
      return v;
    }),
    topicArn: pick('topicArn', (s, v) => {
      if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+(\.fifo)?$/.test(v)) {
        throw new ConfigError(s, v, 'an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)');
      }
      return v;
    }),
    exceptionsParameter: pick('exceptionsParameter', (_s, v) => v),
    httpsFormat: pick('httpsFormat', (s, v) => oneOf(s, v, HTTPS_FORMATS)),
    logLevel: pick('logLevel', (s, v) => oneOf(s, v.toUpperCase(), LOG_LEVELS)),
    alertLeaseSeconds: pick('alertLeaseSeconds', (s, v) => integer(s, v, 10, 3600)),
    securityHub: pick('securityHub', boolean),
    fastPath: pick('fastPath', boolean),
  };
  if (raw('exceptions') !== undefined && raw('exceptionsParameter') !== undefined) {
    throw new ConfigError(
      ENV.exceptionsParameter,
      config.exceptionsParameter,
      `unset when ${ENV.exceptions} is set (use one)`,
    );
  }
  return Object.freeze(config);
}

/** Partition, Region and account of an SNS topic ARN (`arn:PARTITION:sns:REGION:ACCOUNT:NAME`). */
export interface TopicTarget {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
}

/** The topic ARN's parts; `variable` names the setting in the error (a validated ARN always has them). */
export function topicTarget(topicArn: string, variable: string = ENV.topicArn): TopicTarget {
  const [arn, partition, service, region, accountId] = topicArn.split(':');
  if (arn !== 'arn' || service !== 'sns' || !partition || !region || !accountId) {
    throw new ConfigError(variable, topicArn, 'an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)');
  }
  return { partition, region, accountId };
}

/**
 * The evaluator's settings: TOPIC_ARN is required (it has nowhere else to send alerts), and its parts give the
 * Security Hub target (findings go to the detector's own account and Region, which are the topic's).
 */
export function loadEvaluatorConfig(
  env: NodeJS.ProcessEnv,
): RuntimeConfig & { readonly topicArn: string; readonly topic: TopicTarget } {
  const config = loadConfig(env);
  if (config.topicArn === undefined) throw new ConfigError(ENV.topicArn, undefined, 'the ARN of the alert SNS topic');
  return Object.freeze({ ...config, topicArn: config.topicArn, topic: topicTarget(config.topicArn) });
}
