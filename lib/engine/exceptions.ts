/**
 * Exceptions: a JSON array of entries; an entry is a conjunction of optional conditions, and an event matching any
 * entry is skipped under reason `exception`. (STUB — full schema validation and matching land in this file.)
 */
import { ConfigError } from '../errors';
import type { AccessEvent } from './event';

export interface ExceptionEntry {
  /** Glob on `userIdentity.principalId`. */
  readonly principal?: string;
  /** Glob on `userIdentity.arn` or the session issuer ARN. */
  readonly arn?: string;
  /** Glob on the user agent. */
  readonly userAgent?: string;
  /** CIDR(s) (IPv4 or IPv6) that `sourceIPAddress` must fall in. */
  readonly sourceCidr?: string | readonly string[];
  /** Exact account id. */
  readonly accountId?: string;
  /** Free text for humans: why the exception exists. */
  readonly comment?: string;
}

/** Parses and validates the exceptions document; `variable` names where it came from for the error message. */
export function parseExceptions(json: string, variable: string): readonly ExceptionEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (cause) {
    throw new ConfigError(variable, json.slice(0, 80), 'a JSON array of exception entries', { cause });
  }
  if (!Array.isArray(doc)) throw new ConfigError(variable, json.slice(0, 80), 'a JSON array of exception entries');
  return doc as ExceptionEntry[];
}

export type ExceptionMatcher = (event: AccessEvent) => boolean;

/** Compiles the entries once into a predicate (globs and CIDRs pre-parsed). */
export function compileExceptions(entries: readonly ExceptionEntry[]): ExceptionMatcher {
  if (entries.length === 0) return () => false;
  return () => false;
}
