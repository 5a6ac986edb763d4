/**
 * CloudTrail records as other tools hand them over, turned back into CloudTrail's own shape. Pure, never throws.
 *
 * Invariants:
 * 1. Every function here accepts any value; what it cannot use is returned unchanged (so that records.ts names the
 *    reason) or reported as one skip reason, never dropped silently.
 * 2. A record already in CloudTrail's camelCase shape is never modified: only objects with none of the camelCase
 *    key fields but with their lowercase spelling (`eventtime`, `eventsource`, `eventname`) are renamed.
 * 3. Renaming only touches the field names CloudTrail defines (KNOWN_FIELDS) in the record and its `userIdentity`
 *    tree; the contents of `requestParameters` and the other free-form fields keep their keys as logged.
 *
 * Shapes handled:
 * - `aws cloudtrail lookup-events` output: `{"Events": [{"CloudTrailEvent": "<record as JSON text>", ...}]}`.
 * - CloudTrail Lake `get-query-results` output: `{"QueryResultRows": [[{"column": value}, ...], ...]}`; values that
 *   hold JSON text (nested columns) are parsed.
 * - Athena and other SQL exports: lowercase column names (`eventsource`, `useridentity`), flattened nested names
 *   (`useridentity.principalid`), and free-form fields stored as JSON text (`requestparameters`).
 * - CloudTrail digest files (`digestStartTime`, `logFiles`): recognised so the reader can skip them by name.
 */

import type { SkipReason } from './event';

type JsonObject = Readonly<Record<string, unknown>>;

/** CloudTrail field names (record and userIdentity tree) whose lowercase spelling SQL engines produce. */
const KNOWN_FIELDS = [
  'eventVersion',
  'userIdentity',
  'type',
  'principalId',
  'arn',
  'accountId',
  'accessKeyId',
  'userName',
  'invokedBy',
  'onBehalfOf',
  'identityProvider',
  'credentialId',
  'sessionContext',
  'attributes',
  'mfaAuthenticated',
  'creationDate',
  'sessionIssuer',
  'webIdFederationData',
  'federatedProvider',
  'sourceIdentity',
  'ec2RoleDelivery',
  'assumedRoot',
  'sessionCredentialFromConsole',
  'eventTime',
  'eventSource',
  'eventName',
  'awsRegion',
  'sourceIPAddress',
  'userAgent',
  'errorCode',
  'errorMessage',
  'requestParameters',
  'responseElements',
  'additionalEventData',
  'serviceEventDetails',
  'requestID',
  'eventID',
  'readOnly',
  'resources',
  'eventType',
  'apiVersion',
  'managementEvent',
  'recipientAccountId',
  'sharedEventID',
  'vpcEndpointId',
  'vpcEndpointAccountId',
  'eventCategory',
  'tlsDetails',
  'tlsVersion',
  'cipherSuite',
  'clientProvidedHostHeader',
] as const;

const CAMEL_OF: ReadonlyMap<string, string> = new Map(KNOWN_FIELDS.map((name) => [name.toLowerCase(), name]));

/** Fields CloudTrail logs as JSON objects that SQL tables store as JSON text. */
const JSON_TEXT_FIELDS: ReadonlySet<string> = new Set([
  'requestParameters',
  'responseElements',
  'additionalEventData',
  'serviceEventDetails',
]);

/** Nested objects whose keys are CloudTrail field names (renamed); everything else keeps its keys. */
const RENAMED_TREES: ReadonlySet<string> = new Set([
  'userIdentity',
  'sessionContext',
  'attributes',
  'sessionIssuer',
  'webIdFederationData',
  'tlsDetails',
]);

function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

/** JSON text that holds an object or array, parsed; anything else unchanged. */
function parsedJsonText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const first = value.trimStart().charAt(0);
  if (first !== '{' && first !== '[') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** True for a CloudTrail digest file: integrity hashes of the log files delivered in an hour, no events. */
export function isDigestFile(object: JsonObject): boolean {
  return typeof object.digestStartTime === 'string' && 'logFiles' in object && !('Records' in object);
}

/** True when `object` is a record in lowercase column spelling (invariant 2). */
export function isLowercaseRecord(object: JsonObject): boolean {
  if ('eventTime' in object || 'eventSource' in object || 'eventName' in object) return false;
  for (const key of Object.keys(object)) {
    const top = key.split('.', 1)[0] as string;
    if (top === 'eventtime' || top === 'eventsource' || top === 'eventname') return true;
  }
  return false;
}

function renamed(key: string): string {
  return CAMEL_OF.get(key.toLowerCase()) ?? key;
}

/** One level of `object` with CloudTrail field names restored, descending into the trees of RENAMED_TREES. */
function renameTree(object: JsonObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    const name = renamed(key);
    const child = asObject(value);
    out[name] = child !== undefined && RENAMED_TREES.has(name) ? renameTree(child) : value;
  }
  return out;
}

/** Sets `path` (already split) in `target`, creating objects on the way; an existing non-object is left alone. */
function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (let i = 0; i < path.length - 1; i += 1) {
    const key = path[i] as string;
    const next = asObject(node[key]);
    if (next === undefined) {
      if (key in node && node[key] !== null && node[key] !== undefined) return;
      const created: Record<string, unknown> = {};
      node[key] = created;
      node = created;
    } else {
      node = next as Record<string, unknown>;
    }
  }
  node[path[path.length - 1] as string] = value;
}

/**
 * A lowercase or flattened SQL row as a CloudTrail record: names restored, dotted names nested, JSON text of
 * free-form fields parsed, and SQL nulls dropped (CloudTrail leaves absent fields out).
 */
export function fromSqlRow(row: JsonObject): Record<string, unknown> {
  const nested: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (value === null || value === undefined) continue;
    const path = key.split('.').map(renamed);
    // Nested columns may also arrive as JSON text (CloudTrail Lake, CSV exports).
    const top = path[0] as string;
    const parsed =
      path.length === 1 && (JSON_TEXT_FIELDS.has(top) || RENAMED_TREES.has(top)) ? parsedJsonText(value) : value;
    setPath(nested, path, parsed);
  }
  return renameTree(nested);
}

/** The records of `lookup-events` output: each `CloudTrailEvent` parsed; text that does not parse is a skip. */
export function fromLookupEvents(events: readonly unknown[], records: unknown[], skipped: SkipReason[]): void {
  for (const entry of events) {
    const text = asObject(entry)?.CloudTrailEvent;
    if (typeof text !== 'string') {
      records.push(entry);
      continue;
    }
    try {
      records.push(JSON.parse(text));
    } catch {
      skipped.push('unparsable-json');
    }
  }
}

/** The records of CloudTrail Lake query results: each row (a list of one-column objects) as one record. */
export function fromLakeRows(rows: readonly unknown[], records: unknown[]): void {
  for (const row of rows) {
    if (!Array.isArray(row)) {
      records.push(row);
      continue;
    }
    const merged: Record<string, unknown> = {};
    for (const cell of row) {
      const object = asObject(cell);
      if (object !== undefined) Object.assign(merged, object);
    }
    const lower = isLowercaseRecord(merged);
    if (lower) {
      records.push(fromSqlRow(merged));
      continue;
    }
    const record: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(merged)) {
      record[key] = JSON_TEXT_FIELDS.has(key) || RENAMED_TREES.has(key) ? parsedJsonText(value) : value;
    }
    records.push(record);
  }
}
