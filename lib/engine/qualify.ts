/**
 * Which events count. A qualifier answers, for one normalised event, either `undefined` (it counts towards the
 * threshold) or the single reason it was skipped. Checks run in a fixed order and the first failing one names the
 * reason, so every skipped event is counted under exactly one reason:
 *
 *   1. other-service  — eventSource is not Secrets Manager
 *   2. other-api      — not one of `config.eventNames` (GetSecretValue / BatchGetSecretValue by default)
 *   3. failed-call    — errorCode or errorMessage present (the reference rule's definition of an unsuccessful call)
 *   4. browser-agent  — the user agent's uap-core browser family is one of `config.browserNames` (with
 *                       `browserExclusion: console-session`, only when the call came from a console session, so a
 *                       browser agent set on an access-key call still counts)
 *   5. aws-service-caller — a source address in `excludedSourceAddresses`, or, with `excludeAwsServiceCallers`,
 *                       a call an AWS service made (userIdentity.invokedBy, or a service name as source address);
 *                       never a batch entry (below)
 *   6. exception      — an operator-declared exception entry matches
 *
 * A batch entry is a GetSecretValue record that Secrets Manager writes for each secret a BatchGetSecretValue call
 * returns. It is the caller's own read (the caller's identity, the caller's batch call), so no preset skips it as an
 * AWS-service call, whatever it carries as invoker, source address or user agent: otherwise a batch dump would vanish
 * exactly under the preset that excludes service callers. Secrets Manager is the only service that reads a secret as
 * Secrets Manager for a principal, so a GetSecretValue naming it as caller can only be such an entry.
 *
 * Everything derived from the configuration (name set, compiled exceptions) is built once in makeQualifier.
 */

import { type AccessEvent, SECRETS_MANAGER_SOURCE, type SkipReason } from './event';
import { compileExceptions } from './exceptions';
import type { DetectionConfig } from './settings';
import { browserFamily } from './user-agent';

export type Qualifier = (event: AccessEvent) => SkipReason | undefined;
/** One step of qualification: the reason to skip, or undefined to pass the event on to the next step. */
export type QualifierCheck = (event: AccessEvent) => SkipReason | undefined;

const otherService: QualifierCheck = (event) =>
  event.eventSource === SECRETS_MANAGER_SOURCE ? undefined : 'other-service';

function otherApiCheck(config: DetectionConfig): QualifierCheck {
  const apis: ReadonlySet<string> = new Set(config.eventNames);
  return (event) => (apis.has(event.eventName) ? undefined : 'other-api');
}

const failedCall: QualifierCheck = (event) =>
  event.errorCode !== '' || event.errorMessage !== '' ? 'failed-call' : undefined;

function browserAgentCheck(config: DetectionConfig): QualifierCheck | undefined {
  // Names are compared exactly as configured (case-sensitive), as the reference rule's query does.
  const names: ReadonlySet<string> = new Set(config.browserNames);
  if (names.size === 0) return undefined;
  const consoleOnly = config.browserExclusion === 'console-session';
  return (event) => {
    if (consoleOnly && !event.identity.fromConsole) return undefined;
    const family = browserFamily(event.userAgent);
    return family !== undefined && names.has(family) ? 'browser-agent' : undefined;
  };
}

/** A source address that names a service (`kafka.amazonaws.com`) instead of an IP: an AWS service made the call. */
const SERVICE_ADDRESS = /^[a-z0-9.-]+\.amazonaws\.com$/;

/** A per-secret GetSecretValue entry Secrets Manager wrote for the caller's BatchGetSecretValue (see above). */
export const isBatchEntry = (event: AccessEvent): boolean =>
  event.eventName === 'GetSecretValue' &&
  (event.identity.invokedBy === SECRETS_MANAGER_SOURCE ||
    event.sourceIp === SECRETS_MANAGER_SOURCE ||
    event.userAgent === SECRETS_MANAGER_SOURCE);

function awsServiceCheck(config: DetectionConfig): QualifierCheck | undefined {
  const excluded: ReadonlySet<string> = new Set(config.excludedSourceAddresses);
  if (!config.excludeAwsServiceCallers && excluded.size === 0) return undefined;
  const all = config.excludeAwsServiceCallers;
  return (event) => {
    if (isBatchEntry(event)) return undefined;
    if (excluded.has(event.sourceIp)) return 'aws-service-caller';
    if (all && (event.identity.invokedBy !== '' || SERVICE_ADDRESS.test(event.sourceIp))) return 'aws-service-caller';
    return undefined;
  };
}

function exceptionCheck(config: DetectionConfig): QualifierCheck | undefined {
  if (config.exceptions.length === 0) return undefined;
  const matches = compileExceptions(config.exceptions);
  return (event) => (matches(event) ? 'exception' : undefined);
}

/** The ordered checks for a configuration (exposed so callers and tests can see what runs). */
export function qualifierChecks(config: DetectionConfig, options: QualifierOptions = {}): readonly QualifierCheck[] {
  const optional = (check: QualifierCheck | undefined): QualifierCheck[] => (check === undefined ? [] : [check]);
  return [
    otherService,
    otherApiCheck(config),
    ...(options.ignoreFailure ? [] : [failedCall]),
    ...optional(browserAgentCheck(config)),
    ...optional(awsServiceCheck(config)),
    ...optional(exceptionCheck(config)),
  ];
}

export interface QualifierOptions {
  /** Leave out the success check (the access-denied signal counts failed calls that pass every other check). */
  readonly ignoreFailure?: boolean;
}

/** Builds the qualifier for a configuration. Throws ConfigError if an exception entry is invalid. */
export function makeQualifier(config: DetectionConfig, options: QualifierOptions = {}): Qualifier {
  const checks = qualifierChecks(config, options);
  return (event) => {
    for (const check of checks) {
      const reason = check(event);
      if (reason !== undefined) return reason;
    }
    return undefined;
  };
}
