/**
 * The engine's settings: the accepted values of each mode, the settings types, the built-in defaults and each
 * preset's defaults. The engine reads these types only; turning environment variables, flags and deploy parameters
 * into them is lib/config's job (precedence: flag > environment variable > preset > built-in default).
 */
import type { ExceptionEntry } from './exceptions';

export const PRESETS = ['elastic-2024', 'elastic-2025', 'recommended'] as const;
export type Preset = (typeof PRESETS)[number];
export const COUNT_MODES = ['events', 'distinct-secrets'] as const;
export type CountMode = (typeof COUNT_MODES)[number];
export const GROUP_BY_MODES = ['principal', 'actor'] as const;
export type GroupBy = (typeof GROUP_BY_MODES)[number];
export const HTTPS_FORMATS = ['chatbot', 'alert-json'] as const;
export type HttpsFormat = (typeof HTTPS_FORMATS)[number];
export const BROWSER_EXCLUSIONS = ['user-agent', 'console-session'] as const;
export type BrowserExclusion = (typeof BROWSER_EXCLUSIONS)[number];
/** Complementary signals: each a reason an alert can carry besides the main threshold. */
export const SIGNALS = ['batch-calls', 'catch-all-filter', 'batch-regions', 'access-denied'] as const;
export type Signal = (typeof SIGNALS)[number];
/** The Secrets Manager read APIs (the settings EVENT_NAMES picks from). */
export const READ_API_NAMES = ['GetSecretValue', 'BatchGetSecretValue'] as const;
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL', 'TRACE'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface DetectionConfig {
  readonly preset: Preset;
  /** Alert when a window holds at least this many qualifying events (or distinct secrets). */
  readonly threshold: number;
  /** Look-back in minutes; a window spans WINDOW_MINUTES + 1 minute buckets (see engine/window.ts). */
  readonly windowMinutes: number;
  /** How late (minutes after eventTime) an event may arrive and still alert. */
  readonly latenessMinutes: number;
  /** At most one alert per key per this many minutes. */
  readonly suppressionMinutes: number;
  /**
   * An alerted burst (its thread) ends once the identity has been quiet this long; its burst summary is then
   * published (at the latest when the suppression period of the thread's latest alert ends). See engine/thread.ts.
   */
  readonly quietMinutes: number;
  readonly maxAlertsPerRun: number;
  readonly count: CountMode;
  readonly groupBy: GroupBy;
  /** User-agent family names (uap-core naming) that are excluded as browsers. */
  readonly browserNames: readonly string[];
  readonly exceptions: readonly ExceptionEntry[];
  /** Per-bucket counts are exact up to threshold × this factor; above it they are lower bounds. */
  readonly saturationFactor: number;
  /** Secrets Manager read APIs that count. */
  readonly eventNames: readonly string[];
  /** `user-agent`: exclude browser agents (the reference); `console-session`: only with console-session evidence. */
  readonly browserExclusion: BrowserExclusion;
  /** Skip calls an AWS service made (userIdentity.invokedBy, or a service name as source address). */
  readonly excludeAwsServiceCallers: boolean;
  /** Source addresses (exact, e.g. kafka.amazonaws.com) whose calls are skipped as AWS-service callers. */
  readonly excludedSourceAddresses: readonly string[];
  /** Count a secret's name and its ARN (any version/stage) as one secret. */
  readonly normaliseSecretIds: boolean;
  /** Complementary signals that can raise an alert on their own (see docs/PRESETS.md). */
  readonly signals: readonly Signal[];
  readonly batchCallsThreshold: number;
  readonly batchRegionsThreshold: number;
  readonly accessDeniedThreshold: number;
}

export interface RuntimeConfig extends DetectionConfig {
  readonly tableName: string;
  readonly topicArn: string | undefined;
  readonly exceptionsParameter: string | undefined;
  readonly httpsFormat: HttpsFormat;
  readonly logLevel: LogLevel;
  /** How long an evaluator holds the claim on an alert it is publishing before another may take it over. */
  readonly alertLeaseSeconds: number;
  /** Also import each alert into Security Hub as a finding (evaluator only; best effort after SNS). */
  readonly securityHub: boolean;
  /**
   * Ingest also evaluates a key the moment its store writes show it cross, whichever containers wrote the rest of the
   * burst (lib/engine/fast-path.ts), when TOPIC_ARN is set; the scheduled evaluator stays the safety net. Ingest only.
   */
  readonly fastPath: boolean;
}

export const DEFAULTS: RuntimeConfig = Object.freeze({
  preset: 'elastic-2024',
  threshold: 20,
  windowMinutes: 9,
  latenessMinutes: 10,
  suppressionMinutes: 60,
  // Equal to the default lateness: CloudTrail usually delivers within minutes, so ten quiet minutes rarely cut a
  // burst short, and a responder gets the whole picture about ten minutes after the burst stops.
  quietMinutes: 10,
  maxAlertsPerRun: 100,
  count: 'events',
  groupBy: 'principal',
  browserNames: Object.freeze(['Chrome', 'Firefox', 'Safari', 'Edge', 'Brave', 'Opera']),
  exceptions: Object.freeze([]),
  saturationFactor: 10,
  eventNames: Object.freeze([...READ_API_NAMES]),
  browserExclusion: 'user-agent',
  excludeAwsServiceCallers: false,
  excludedSourceAddresses: Object.freeze([]),
  normaliseSecretIds: false,
  signals: Object.freeze([]),
  batchCallsThreshold: 5,
  batchRegionsThreshold: 3,
  accessDeniedThreshold: 20,
  tableName: 'rapid-secret-retrieval',
  topicArn: undefined,
  exceptionsParameter: undefined,
  httpsFormat: 'chatbot',
  logLevel: 'INFO',
  alertLeaseSeconds: 120,
  securityHub: false,
  fastPath: true,
} satisfies RuntimeConfig);

/** Preset defaults, applied under environment variables and flags. */
export const PRESET_DEFAULTS: Record<Preset, Partial<DetectionConfig>> = {
  // The seed: Elastic's rule as published 2024-06 to 2025-11.
  'elastic-2024': {},
  // Elastic's 2025 revision: GetSecretValue only, distinct secrets, two AWS-service sources excluded, 6-minute look-back.
  'elastic-2025': {
    eventNames: Object.freeze(['GetSecretValue']),
    count: 'distinct-secrets',
    excludedSourceAddresses: Object.freeze(['kafka.amazonaws.com', 'apidestinations.events.amazonaws.com']),
    windowMinutes: 6,
  },
  // Ours: stable actor across sessions, spoof-resistant browser exclusion, distinct normalised secrets, AWS-service
  // callers excluded, complementary signals on.
  recommended: {
    groupBy: 'actor',
    browserExclusion: 'console-session',
    count: 'distinct-secrets',
    normaliseSecretIds: true,
    excludeAwsServiceCallers: true,
    signals: Object.freeze([...SIGNALS]),
  },
};
