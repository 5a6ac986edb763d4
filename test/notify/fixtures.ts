/** Loads the sample notifications in test/fixtures/alerts/. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Alert, OverflowSummary } from '../../lib/engine/alert';

const DIR = join(__dirname, '..', 'fixtures', 'alerts');

function load<T>(name: string): T {
  return JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as T;
}

/** IAM user with a long-term key, 20 GetSecretValue calls (shaped after the Stratus Red Team detonation). */
export const stratusAlert = (): Alert => load<Alert>('stratus-iam-user');
/** Assumed-role session, distinct-secrets mode, lower-bound count, continuation of an earlier burst. */
export const continuationAlert = (): Alert => load<Alert>('assumed-role-continuation');
/** Identity, IPs, user agents, secret ids and regions full of control characters and Slack markup. */
export const hostileAlert = (): Alert => load<Alert>('hostile-strings');
export const overflowSummary = (): OverflowSummary => load<OverflowSummary>('overflow');

/** Parses the MessageStructure "json" document of an SNS message. */
export function protocolBodies(message: string): Record<string, string> {
  return JSON.parse(message) as Record<string, string>;
}
