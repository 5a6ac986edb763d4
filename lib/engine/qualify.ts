/**
 * Which events count. A qualifier answers, for one normalised event, either `undefined` (it counts towards the
 * threshold) or the single reason it was skipped. Checks run in a fixed order and the first failing one names the
 * reason, so every skipped event is counted under exactly one reason:
 *
 *   1. other-service  — eventSource is not Secrets Manager
 *   2. other-api      — not GetSecretValue / BatchGetSecretValue
 *   3. failed-call    — errorCode or errorMessage present (the reference rule's definition of an unsuccessful call)
 *   4. browser-agent  — the user agent's uap-core browser family is one of `config.browserNames`
 *   5. (preset checks, see PRESET_CHECKS)
 *   6. exception      — an operator-declared exception entry matches
 *
 * Everything derived from the configuration (name set, compiled exceptions) is built once in makeQualifier.
 */
import type { DetectionConfig, Preset } from '../config';
import { type AccessEvent, SECRET_READ_APIS, SECRETS_MANAGER_SOURCE, type SkipReason } from './event';
import { compileExceptions } from './exceptions';
import { browserFamily } from './user-agent';

export type Qualifier = (event: AccessEvent) => SkipReason | undefined;
/** One step of qualification: the reason to skip, or undefined to pass the event on to the next step. */
export type QualifierCheck = (event: AccessEvent) => SkipReason | undefined;

const READ_APIS: ReadonlySet<string> = new Set(SECRET_READ_APIS);

/**
 * Extra checks a preset adds after the reference rule's own filters and before the exceptions (reasons such as
 * `aws-service-caller` belong here). The reference preset adds none.
 */
export const PRESET_CHECKS: Record<Preset, (config: DetectionConfig) => readonly QualifierCheck[]> = {
  'elastic-2024': () => [],
};

const otherService: QualifierCheck = (event) =>
  event.eventSource === SECRETS_MANAGER_SOURCE ? undefined : 'other-service';

const otherApi: QualifierCheck = (event) => (READ_APIS.has(event.eventName) ? undefined : 'other-api');

const failedCall: QualifierCheck = (event) =>
  event.errorCode !== '' || event.errorMessage !== '' ? 'failed-call' : undefined;

function browserAgentCheck(config: DetectionConfig): QualifierCheck | undefined {
  // Names are compared exactly as configured (case-sensitive), as the reference rule's query does.
  const names: ReadonlySet<string> = new Set(config.browserNames);
  if (names.size === 0) return undefined;
  return (event) => {
    const family = browserFamily(event.userAgent);
    return family !== undefined && names.has(family) ? 'browser-agent' : undefined;
  };
}

function exceptionCheck(config: DetectionConfig): QualifierCheck | undefined {
  if (config.exceptions.length === 0) return undefined;
  const matches = compileExceptions(config.exceptions);
  return (event) => (matches(event) ? 'exception' : undefined);
}

/** The ordered checks for a configuration (exposed so callers and tests can see what runs). */
export function qualifierChecks(config: DetectionConfig): readonly QualifierCheck[] {
  const optional = (check: QualifierCheck | undefined): QualifierCheck[] => (check === undefined ? [] : [check]);
  return [
    otherService,
    otherApi,
    failedCall,
    ...optional(browserAgentCheck(config)),
    ...PRESET_CHECKS[config.preset](config),
    ...optional(exceptionCheck(config)),
  ];
}

/** Builds the qualifier for a configuration. Throws ConfigError if an exception entry is invalid. */
export function makeQualifier(config: DetectionConfig): Qualifier {
  const checks = qualifierChecks(config);
  return (event) => {
    for (const check of checks) {
      const reason = check(event);
      if (reason !== undefined) return reason;
    }
    return undefined;
  };
}
