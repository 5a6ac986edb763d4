/**
 * Turns environment variables and CLI flags into the engine's settings (lib/engine/settings.ts). The entry points
 * (Lambda handlers, CLI commands) pass `process.env` in; nothing below them reads it. (The CLI also looks at the AWS
 * SDK's own variables — Region, endpoints — to say what is missing before it calls AWS.)
 * Precedence: CLI flag > environment variable > preset > built-in default. Every value is validated once, and an
 * invalid one fails loudly with a ConfigError naming the variable, the value and what is accepted.
 */
import { DEFAULTS, PRESET_DEFAULTS, type RuntimeConfig } from '../engine/settings';

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
import { ENV, SETTING_NAMES, SETTINGS, type SettingName, type SettingSpec } from './settings';

export { ENV, type SettingName } from './settings';

/** Raw string overrides, e.g. from CLI flags; `source` names them in errors (e.g. `--threshold`). */
export type Overrides = Partial<Record<SettingName, { readonly value: string; readonly source: string }>>;

/**
 * Builds the frozen configuration from the settings table (./settings.ts). `env` is usually `process.env`;
 * `overrides` come from CLI flags (or deploy parameters at package time). Empty environment variables count as unset
 * (CloudFormation passes "" for blank parameters).
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
  const preset = presetRaw ? SETTINGS.preset.parse(presetRaw.source, presetRaw.value) : DEFAULTS.preset;
  const base: RuntimeConfig = { ...DEFAULTS, ...PRESET_DEFAULTS[preset], preset };
  const config: Record<string, unknown> = {};
  for (const key of SETTING_NAMES) {
    const r = raw(key);
    const spec = SETTINGS[key] as SettingSpec;
    config[key] = r === undefined ? base[key] : spec.parse(r.source, r.value);
  }
  if (raw('exceptions') !== undefined && raw('exceptionsParameter') !== undefined) {
    throw new ConfigError(
      raw('exceptionsParameter')?.source ?? ENV.exceptionsParameter,
      config.exceptionsParameter,
      `unset when ${raw('exceptions')?.source ?? ENV.exceptions} is set (use one)`,
    );
  }
  return Object.freeze(config as unknown as RuntimeConfig);
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
