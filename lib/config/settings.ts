/**
 * The one table of settings. Each setting is declared once: its environment variable, its CLI flag (if the CLI
 * offers one), whether it is a deploy parameter (same name as the key), its parser with the accepted range, and one
 * line of documentation. Built-in defaults and each preset's defaults are the engine's (lib/engine/settings.ts).
 *
 * Derived from this table, never written again by hand:
 *  - `ENV` and `loadConfig` (lib/config/load.ts): environment variables and flags -> the frozen settings;
 *  - the CLI's detection flags (lib/cli/options.ts);
 *  - package-time validation of deploy parameters (infra/resolvers.js), with the stack-only parameters below;
 *  - the settings tables of README.md and docs/DEPLOY.md (checked by test/config/settings-docs.test.ts, which
 *    regenerates them with UPDATE_DOCS=1).
 *
 * A parser takes the raw text and the name the user typed (`--threshold`, `THRESHOLD`, `--param threshold`) and
 * returns the value or throws a ConfigError naming that name, the value and what is accepted.
 */

import { ConfigError } from '../engine/errors';
import { parseExceptions } from '../engine/exceptions';
import {
  BROWSER_EXCLUSIONS,
  COUNT_MODES,
  GROUP_BY_MODES,
  HTTPS_FORMATS,
  LOG_LEVELS,
  PRESETS,
  READ_API_NAMES,
  type RuntimeConfig,
  SIGNALS,
} from '../engine/settings';

export type SettingName = keyof RuntimeConfig;

type Parser<T> = (source: string, raw: string) => T;

export interface SettingSpec<K extends SettingName = SettingName> {
  /** Environment variable the Lambdas and the CLI read. */
  readonly env: string;
  /** CLI flag with its argument name, when the CLI offers one (`--threshold <n>`). */
  readonly flag?: string;
  /** A deploy parameter of the same name as the setting (`--param threshold=30`). */
  readonly param: boolean;
  /** What is accepted, in words (the docs tables). */
  readonly accepted: string;
  /** One line of documentation. */
  readonly doc: string;
  readonly parse: Parser<RuntimeConfig[K]>;
}

// ---- parsers -----------------------------------------------------------------------------------------------------

export const integer =
  (min: number, max: number): Parser<number> =>
  (source, raw) => {
    const n = Number(raw.trim());
    if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(source, raw, `an integer from ${min} to ${max}`);
    }
    return n;
  };

export const oneOf =
  <T extends string>(accepted: readonly T[], normalise: (s: string) => string = (s) => s): Parser<T> =>
  (source, raw) => {
    const v = normalise(raw.trim());
    if (!(accepted as readonly string[]).includes(v)) {
      throw new ConfigError(source, raw, `one of ${accepted.join(', ')}`);
    }
    return v as T;
  };

const names: Parser<readonly string[]> = (source, raw) => {
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (list.length === 0 && raw.trim() !== '') throw new ConfigError(source, raw, 'a comma-separated list of names');
  return Object.freeze(list);
};

export const boolean: Parser<boolean> = (source, raw) => {
  const v = raw.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new ConfigError(source, raw, 'true or false');
};

const subsetOf =
  <T extends string>(accepted: readonly T[], allowEmpty: boolean): Parser<readonly T[]> =>
  (source, raw) => {
    const list = raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0 && s.toLowerCase() !== 'none');
    const bad = list.filter((n) => !(accepted as readonly string[]).includes(n));
    if (bad.length > 0 || (!allowEmpty && list.length === 0)) {
      throw new ConfigError(
        source,
        raw,
        `a comma-separated list of ${accepted.join(', ')}${allowEmpty ? ' (or none)' : ''}`,
      );
    }
    return Object.freeze([...new Set(list)] as T[]);
  };

const matching =
  (pattern: RegExp, accepted: string): Parser<string> =>
  (source, raw) => {
    if (!pattern.test(raw)) throw new ConfigError(source, raw, accepted);
    return raw;
  };

// ---- the table ---------------------------------------------------------------------------------------------------

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+(\.fifo)?$/;

export const SETTINGS: { readonly [K in SettingName]: SettingSpec<K> } = {
  preset: {
    env: 'RSR_PRESET',
    flag: '--preset <name>',
    param: true,
    accepted: PRESETS.join(', '),
    doc: 'the set of defaults to start from (docs/PRESETS.md)',
    parse: oneOf(PRESETS),
  },
  threshold: {
    env: 'THRESHOLD',
    flag: '--threshold <n>',
    param: true,
    accepted: '1 to 1000000',
    doc: 'alert when a window holds at least this many qualifying events (or distinct secrets)',
    parse: integer(1, 1_000_000),
  },
  windowMinutes: {
    env: 'WINDOW_MINUTES',
    flag: '--window-minutes <m>',
    param: true,
    accepted: '1 to 1440',
    doc: 'look-back in minutes (a window is this many minutes plus one one-minute bucket)',
    parse: integer(1, 1440),
  },
  latenessMinutes: {
    env: 'LATENESS_MINUTES',
    flag: '--lateness-minutes <m>',
    param: true,
    accepted: '0 to 1440',
    doc: 'how late an event may arrive and still alert',
    parse: integer(0, 1440),
  },
  suppressionMinutes: {
    env: 'SUPPRESSION_MINUTES',
    flag: '--suppression-minutes <m>',
    param: true,
    accepted: '1 to 10080',
    doc: 'at most one alert per identity per this many minutes',
    parse: integer(1, 10080),
  },
  quietMinutes: {
    env: 'QUIET_MINUTES',
    flag: '--quiet-minutes <m>',
    param: true,
    accepted: '1 to 1440',
    doc: 'an alerted burst ends after this many quiet minutes; its summary follows (at the latest when suppression ends)',
    parse: integer(1, 1440),
  },
  maxAlertsPerRun: {
    env: 'MAX_ALERTS_PER_RUN',
    flag: '--max-alerts-per-run <n>',
    param: true,
    accepted: '1 to 10000',
    doc: 'alerts per evaluation; the rest go to one overflow summary',
    parse: integer(1, 10_000),
  },
  count: {
    env: 'COUNT',
    flag: '--count <mode>',
    param: true,
    accepted: COUNT_MODES.join(', '),
    doc: 'what a window counts',
    parse: oneOf(COUNT_MODES),
  },
  groupBy: {
    env: 'GROUP_BY',
    flag: '--group-by <key>',
    param: true,
    accepted: GROUP_BY_MODES.join(', '),
    doc: 'grouping key: `principal` (each role session apart) or `actor` (the source identity, the Identity Center user, else the role across sessions; docs/PRESETS.md)',
    parse: oneOf(GROUP_BY_MODES),
  },
  browserNames: {
    env: 'BROWSER_NAMES',
    flag: '--browser-names <list>',
    param: true,
    accepted: 'comma-separated uap-core family names',
    doc: 'browser families excluded (with `browserExclusion=user-agent`)',
    parse: names,
  },
  exceptions: {
    env: 'EXCEPTIONS',
    param: true,
    accepted: 'a JSON array of exception entries',
    doc: 'inline exception entries (docs/EXCEPTIONS.md); the CLI also takes `--exceptions FILE`',
    parse: (source, raw) => parseExceptions(raw, source),
  },
  saturationFactor: {
    env: 'SATURATION_FACTOR',
    param: true,
    accepted: '2 to 1000',
    doc: 'per-bucket counts are exact up to threshold × this, lower bounds above',
    parse: integer(2, 1000),
  },
  eventNames: {
    env: 'EVENT_NAMES',
    param: true,
    accepted: READ_API_NAMES.join(', '),
    doc: 'Secrets Manager read APIs that count',
    parse: subsetOf(READ_API_NAMES, false),
  },
  browserExclusion: {
    env: 'BROWSER_EXCLUSION',
    param: true,
    accepted: BROWSER_EXCLUSIONS.join(', '),
    doc: 'exclude browser agents (`user-agent`) or only calls with console-session evidence (`console-session`)',
    parse: oneOf(BROWSER_EXCLUSIONS),
  },
  excludeAwsServiceCallers: {
    env: 'EXCLUDE_AWS_SERVICE_CALLERS',
    param: true,
    accepted: 'true, false',
    doc: 'skip calls an AWS service made for the principal (not Secrets Manager expanding the caller’s own batch)',
    parse: boolean,
  },
  excludedSourceAddresses: {
    env: 'EXCLUDED_SOURCE_ADDRESSES',
    param: true,
    accepted: 'comma-separated source addresses, or none',
    doc: 'source addresses (exact) whose calls are skipped as AWS-service callers',
    parse: (source, raw) => (raw.trim().toLowerCase() === 'none' ? Object.freeze([]) : names(source, raw)),
  },
  normaliseSecretIds: {
    env: 'NORMALISE_SECRET_IDS',
    param: true,
    accepted: 'true, false',
    doc: 'a secret’s name and its ARN count as one secret',
    parse: boolean,
  },
  signals: {
    env: 'SIGNALS',
    param: true,
    accepted: `${SIGNALS.join(', ')} (or none)`,
    doc: 'complementary signals that can raise an alert on their own (docs/PRESETS.md)',
    parse: subsetOf(SIGNALS, true),
  },
  batchCallsThreshold: {
    env: 'BATCH_CALLS_THRESHOLD',
    param: true,
    accepted: '1 to 100000',
    doc: 'batch-calls signal: BatchGetSecretValue calls in a window',
    parse: integer(1, 100_000),
  },
  batchRegionsThreshold: {
    env: 'BATCH_REGIONS_THRESHOLD',
    param: true,
    accepted: '2 to 100',
    doc: 'batch-regions signal: Regions with batch reads in a window',
    parse: integer(2, 100),
  },
  accessDeniedThreshold: {
    env: 'ACCESS_DENIED_THRESHOLD',
    param: true,
    accepted: '1 to 1000000',
    doc: 'access-denied signal: denied reads in a window',
    parse: integer(1, 1_000_000),
  },
  tableName: {
    env: 'TABLE_NAME',
    param: false,
    accepted: 'a DynamoDB table name ([A-Za-z0-9_.-], 3-255)',
    doc: 'the window table (the stack fills it in)',
    parse: matching(TABLE_NAME, 'a DynamoDB table name ([A-Za-z0-9_.-], 3-255)'),
  },
  topicArn: {
    env: 'TOPIC_ARN',
    param: false,
    accepted: 'an SNS topic ARN',
    doc: 'the alert topic (the stack fills it in)',
    parse: matching(TOPIC_ARN, 'an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)'),
  },
  exceptionsParameter: {
    env: 'EXCEPTIONS_PARAMETER',
    param: true,
    accepted: 'an SSM parameter name',
    doc: 'SSM parameter holding the exception entries (read by ingest, and by the CLI)',
    parse: (_source, raw) => raw,
  },
  httpsFormat: {
    env: 'HTTPS_FORMAT',
    param: true,
    accepted: HTTPS_FORMATS.join(', '),
    doc: 'what https subscribers get',
    parse: oneOf(HTTPS_FORMATS),
  },
  logLevel: {
    env: 'LOG_LEVEL',
    param: true,
    accepted: LOG_LEVELS.join(', '),
    doc: 'function log level',
    parse: oneOf(LOG_LEVELS, (s) => s.toUpperCase()),
  },
  alertLeaseSeconds: {
    env: 'ALERT_LEASE_SECONDS',
    param: true,
    accepted: '10 to 3600',
    doc: 'how long an evaluator holds an alert it is publishing before another may take it over',
    parse: integer(10, 3600),
  },
  securityHub: {
    env: 'SECURITY_HUB',
    param: true,
    accepted: 'true, false',
    doc: 'also import each alert into Security Hub as a finding (evaluator only)',
    parse: boolean,
  },
  fastPath: {
    env: 'FAST_PATH',
    param: true,
    accepted: 'true, false',
    doc: 'ingest evaluates a key the moment it sees it cross (off with securityHub=true)',
    parse: boolean,
  },
};

export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

/** Environment variable of each setting. */
export const ENV = Object.freeze(
  Object.fromEntries(SETTING_NAMES.map((k) => [k, SETTINGS[k].env])) as { readonly [K in SettingName]: string },
);

// ---- stack-only deploy parameters --------------------------------------------------------------------------------

/** CloudWatch Logs retention values (days). */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const SCHEDULE = /^(rate\((1 (minute|hour|day)|([2-9]|[1-9]\d+) (minutes|hours|days))\)|cron\([^)]+\))$/;

export interface ParameterSpec {
  readonly default: string;
  readonly accepted: string;
  readonly doc: string;
  /** Validates the raw text (empty is checked too); throws a ConfigError naming `source`. */
  readonly check: (source: string, raw: string) => void;
}

const optional =
  (check: (source: string, raw: string) => unknown) =>
  (source: string, raw: string): void => {
    if (raw !== '') check(source, raw);
  };

/** Parameters of the stack that are not runtime settings (they shape the resources, not the code). */
export const DEPLOY_PARAMETERS: Readonly<Record<string, ParameterSpec>> = {
  alertEmail: {
    default: '',
    accepted: 'an email address, or empty',
    doc: 'email address subscribed to the topic',
    check: optional(matching(EMAIL, 'an email address (name@example.com)')),
  },
  evaluateSchedule: {
    default: 'rate(1 minute)',
    accepted: 'rate(N minutes|hours|days) or cron(...)',
    doc: 'evaluator schedule (an EventBridge schedule expression)',
    check: matching(SCHEDULE, 'an EventBridge schedule: rate(1 minute), rate(5 minutes), … or cron(…)'),
  },
  includeFailedCalls: {
    default: 'false',
    accepted: 'true, false',
    doc: 'also deliver failed reads; on automatically when `signals` contains `access-denied`',
    check: boolean,
  },
  ingestQueue: {
    default: 'false',
    accepted: 'true, false',
    doc: 'SQS buffer between the rules and ingest, for high-volume accounts',
    check: boolean,
  },
  ingestBatchSize: {
    default: '100',
    accepted: '1 to 10000',
    doc: 'messages per ingest invocation with the buffer (above 10 needs ingestBatchWindowSeconds ≥ 1)',
    check: integer(1, 10_000),
  },
  ingestBatchWindowSeconds: {
    // 1 s keeps an alert within ~1 s of its crossing event on the buffered path (docs/PERFORMANCE.md, figure 4);
    // longer windows mean fewer, fuller invocations for very busy accounts at the price of that delay.
    default: '1',
    accepted: '0 to 300',
    doc: 'how long the buffer gathers a batch (adds up to this much to alert latency)',
    check: integer(0, 300),
  },
  centralBus: {
    default: 'false',
    accepted: 'true, false',
    doc: 'create the central bus that other accounts and Regions forward to',
    check: boolean,
  },
  orgId: {
    default: '',
    accepted: 'an AWS Organizations id (o-…), or empty',
    doc: 'organization allowed to put events on the central bus; empty: this account only',
    check: optional(
      matching(/^o-[a-z0-9]{10,32}$/, 'an AWS Organizations id (o- then 10 to 32 lowercase letters or digits)'),
    ),
  },
  logRetentionDays: {
    default: '30',
    accepted: LOG_RETENTION_DAYS.join(', '),
    doc: 'log retention of both functions',
    check: (source, raw) => {
      if (!LOG_RETENTION_DAYS.some((d) => String(d) === raw.trim())) {
        throw new ConfigError(source, raw, `a CloudWatch Logs retention: one of ${LOG_RETENTION_DAYS.join(', ')}`);
      }
    },
  },
  noEventsHours: {
    default: '24',
    accepted: '1 to 168',
    doc: '"no event ingested" alarm after this many hours without any (one-hour periods; CloudWatch allows 7 days)',
    check: integer(1, 168),
  },
  evaluatorStoppedPeriods: {
    default: '3',
    accepted: '1 to 2016',
    doc: '"evaluator stopped" alarm after this many 5-minute periods without a run (7 days at most)',
    check: integer(1, 2016),
  },
  pointInTimeRecovery: {
    default: 'false',
    accepted: 'true, false',
    doc: 'DynamoDB point-in-time recovery (the table holds only short-lived state)',
    check: boolean,
  },
  ruleMaxRetryAttempts: {
    default: '185',
    accepted: '0 to 185',
    doc: 'EventBridge retry attempts towards ingest (or the buffer)',
    check: integer(0, 185),
  },
  ruleMaxEventAgeSeconds: {
    default: '86400',
    accepted: '60 to 86400',
    doc: 'EventBridge maximum event age towards ingest (or the buffer)',
    check: integer(60, 86_400),
  },
  ingestMemoryMb: {
    default: '256',
    accepted: '128 to 10240',
    doc: 'ingest function memory',
    check: integer(128, 10_240),
  },
  evaluateMemoryMb: {
    default: '512',
    accepted: '128 to 10240',
    doc: 'evaluate function memory',
    check: integer(128, 10_240),
  },
};

/**
 * Every problem with a set of deploy parameters, one line each, naming each parameter as the user types it
 * (`--param threshold`). `params` holds the effective values (defaults already merged); empty means unset.
 */
export function deployParameterProblems(params: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  const source = (name: string) => `--param ${name}`;
  const attempt = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      if (error instanceof ConfigError) problems.push(error.message);
      else throw error;
    }
  };
  for (const name of SETTING_NAMES) {
    const raw = params[name] ?? '';
    if (!SETTINGS[name].param || raw === '') continue;
    attempt(() => SETTINGS[name].parse(source(name), raw));
  }
  for (const [name, spec] of Object.entries(DEPLOY_PARAMETERS)) {
    attempt(() => spec.check(source(name), params[name] ?? spec.default));
  }
  const batch = Number(params.ingestBatchSize ?? DEPLOY_PARAMETERS.ingestBatchSize?.default);
  const window = Number(params.ingestBatchWindowSeconds ?? DEPLOY_PARAMETERS.ingestBatchWindowSeconds?.default);
  if (batch > 10 && window < 1) {
    problems.push(
      `--param ingestBatchWindowSeconds=${JSON.stringify(String(params.ingestBatchWindowSeconds))} is not valid: expected at least 1 when ingestBatchSize is above 10 (SQS event source mappings require a batching window)`,
    );
  }
  return problems;
}
