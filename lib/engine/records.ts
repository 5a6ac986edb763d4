/**
 * Raw JSON -> AccessEvent, pure (no I/O, no clock).
 *
 * `unwrapDocument` finds the CloudTrail records in one parsed JSON document (S3 log file, EventBridge envelope, array,
 * bare record); `toAccessEvent` turns one record into an AccessEvent or a named skip reason. Both accept any value and
 * never throw: input comes from files and queues we do not control. Fields are read defensively (wrong type -> '' or
 * []), and strings are capped so that a record with a huge field cannot make a retained AccessEvent huge.
 */
import { createHash } from 'node:crypto';
import type { AccessEvent, EventIdentity, Parsed, SkipReason } from './event';

/** CloudTrail truncates `userAgent` at 1 KB; we cap at the same length (in UTF-16 code units). */
export const USER_AGENT_MAX_CHARS = 1024;
/** Every other string field. Secret ids and ARNs are at most 2048 characters in AWS. */
export const STRING_MAX_CHARS = 2048;
/** AWS accepts 20 ids per BatchGetSecretValue; more than twice that is not a real record, the rest are dropped. */
export const SECRET_IDS_MAX = 40;
/** AWS accepts 10 filters of 10 values each; twice that is kept, the rest are dropped. */
export const FILTERS_MAX = 20;
export const FILTER_VALUES_MAX = 20;
/** The EventBridge `detail-type` of CloudTrail API call events. */
export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';
/** Nesting beyond this depth is not descended into when digesting a record without an eventID (CloudTrail nests ~5). */
const DIGEST_MAX_DEPTH = 64;

type JsonObject = Readonly<Record<string, unknown>>;
type Filter = AccessEvent['filters'][number];

const EMPTY_OBJECT: JsonObject = Object.freeze({});

function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

/** A string field, or '' when it is not a string; capped at `max` code units. */
function text(value: unknown, max: number = STRING_MAX_CHARS): string {
  if (typeof value !== 'string') return '';
  return value.length <= max ? value : capped(value, max);
}

function capped(value: string, max: number): string {
  // Do not split a surrogate pair at the cut.
  const code = value.charCodeAt(max - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  // V8 keeps a slice pointing into its parent, so a plain slice would keep the whole 1 MB field alive; the JSON
  // round trip makes an independent copy (lone surrogates survive it as \u escapes).
  return JSON.parse(JSON.stringify(value.slice(0, end))) as string;
}

/** "true"/"false" as CloudTrail logs them (booleans accepted too); anything else is unknown. */
function flag(value: unknown): boolean | undefined {
  if (value === 'true' || value === true) return true;
  if (value === 'false' || value === false) return false;
  return undefined;
}

// Strict ISO 8601 date-time as CloudTrail writes it ("2024-07-31T12:36:52Z"), optionally with fractional seconds or
// a numeric offset. Date.parse alone accepts "1", "March 7" and other loose forms, which must not become times.
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-](\d{2}):(\d{2}))$/;
const ISO_MAX_LENGTH = 35;

/** Epoch milliseconds, or undefined when `value` is not a valid ISO 8601 UTC/offset date-time in years 2000-9999. */
export function parseEventTime(value: string): number | undefined {
  if (value.length > ISO_MAX_LENGTH) return undefined;
  const m = ISO_DATE_TIME.exec(value);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (year < 2000 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  // Day 0 of the next month is the last day of this one.
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  let offsetMinutes = 0;
  if (m[8] !== 'Z') {
    const offsetHours = Number(m[9]);
    const offsetMins = Number(m[10]);
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (offsetHours * 60 + offsetMins) * (m[8]?.startsWith('-') ? -1 : 1);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
}

/**
 * JSON with object keys sorted, so equal records give equal text whatever their key order. Values JSON cannot hold
 * are written as JSON.stringify would (undefined/functions dropped or null, non-finite numbers null); bigints as
 * strings; cycles and nesting deeper than DIGEST_MAX_DEPTH as a marker string. Only reachable with non-JSON input.
 */
function canonicalJson(value: unknown, depth: number, ancestors: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'object': {
      if (value === null) return 'null';
      if (depth >= DIGEST_MAX_DEPTH) return '"[too deep]"';
      if (ancestors.has(value)) return '"[circular]"';
      ancestors.add(value);
      let out: string;
      if (Array.isArray(value)) {
        const items: string[] = [];
        for (const item of value) items.push(isOmitted(item) ? 'null' : canonicalJson(item, depth + 1, ancestors));
        out = `[${items.join(',')}]`;
      } else {
        const entries: string[] = [];
        const object = value as JsonObject;
        for (const key of Object.keys(object).sort()) {
          const item = object[key];
          if (!isOmitted(item)) entries.push(`${JSON.stringify(key)}:${canonicalJson(item, depth + 1, ancestors)}`);
        }
        out = `{${entries.join(',')}}`;
      }
      ancestors.delete(value);
      return out;
    }
    default:
      return 'null';
  }
}

function isOmitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

function sha256Hex(data: string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** 'sha256:' + hex digest of the record's canonical JSON: stable across key order, so redelivery still dedupes. */
export function recordDigest(record: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(record, 0, new Set()))}`;
}

function eventIdOf(record: JsonObject): string {
  const id = record.eventID;
  if (typeof id !== 'string' || id === '') return recordDigest(record);
  // Capping an over-long id could make two ids equal; a digest keeps them apart.
  return id.length <= STRING_MAX_CHARS ? id : `sha256:${sha256Hex(id)}`;
}

function identityOf(userIdentity: JsonObject, record: JsonObject): EventIdentity {
  const sessionContext = asObject(userIdentity.sessionContext) ?? EMPTY_OBJECT;
  const sessionIssuer = asObject(sessionContext.sessionIssuer) ?? EMPTY_OBJECT;
  const attributes = asObject(sessionContext.attributes) ?? EMPTY_OBJECT;
  const type = text(userIdentity.type);
  const issuerName = text(sessionIssuer.userName);
  return {
    type,
    principalId: text(userIdentity.principalId),
    arn: text(userIdentity.arn),
    accountId: text(userIdentity.accountId),
    // Assumed-role records carry the role name only in the session issuer (and Elastic uses it for user.name).
    userName: type === 'AssumedRole' && issuerName !== '' ? issuerName : text(userIdentity.userName),
    accessKeyId: text(userIdentity.accessKeyId),
    sessionIssuerArn: text(sessionIssuer.arn),
    mfaAuthenticated: flag(attributes.mfaAuthenticated),
    // CloudTrail puts it at the top level of the record; some exporters move it into the session context.
    fromConsole:
      flag(record.sessionCredentialFromConsole) === true || flag(sessionContext.sessionCredentialFromConsole) === true,
    invokedBy: text(userIdentity.invokedBy),
    sourceIdentity: text(sessionContext.sourceIdentity),
  };
}

/** The logged filters with a valid shape: `key` a non-empty string, `values` an array (non-string values dropped). */
function filtersOf(value: unknown): Filter[] {
  if (!Array.isArray(value)) return [];
  const filters: Filter[] = [];
  for (const entry of value) {
    if (filters.length >= FILTERS_MAX) break;
    const object = asObject(entry);
    if (object === undefined || typeof object.key !== 'string' || object.key === '') continue;
    const rawValues = object.values;
    if (!Array.isArray(rawValues)) continue;
    const values: string[] = [];
    for (const item of rawValues) {
      if (values.length >= FILTER_VALUES_MAX) break;
      if (typeof item === 'string') values.push(text(item));
    }
    filters.push({ key: text(object.key), values });
  }
  return filters;
}

/**
 * The one secret-id value a filter call contributes: 'filters:' + JSON of the filters with entries, keys and values
 * sorted (and duplicates removed), so the same filter always gives the same text. Over-long text becomes a digest.
 */
export const FILTER_PREFIX = 'filters:';

export function filterToken(filters: readonly Filter[]): string {
  const entries = new Set<string>();
  for (const filter of filters) {
    const values = [...new Set(filter.values)].sort();
    entries.add(JSON.stringify({ key: filter.key, values }));
  }
  const json = `[${[...entries].sort().join(',')}]`;
  return json.length <= STRING_MAX_CHARS ? `${FILTER_PREFIX}${json}` : `${FILTER_PREFIX}sha256:${sha256Hex(json)}`;
}

function secretIdsOf(eventName: string, requestParameters: JsonObject, filters: readonly Filter[]): string[] {
  if (eventName === 'GetSecretValue') {
    const id = text(requestParameters.secretId);
    return id === '' ? [] : [id];
  }
  if (eventName !== 'BatchGetSecretValue') return [];
  const ids: string[] = [];
  const list = requestParameters.secretIdList;
  if (Array.isArray(list)) {
    for (const item of list) {
      if (ids.length >= SECRET_IDS_MAX) break;
      const id = text(item);
      if (id !== '') ids.push(id);
    }
  }
  // AWS accepts either a list or filters; a record with both (crafted) keeps both.
  const rawFilters = requestParameters.filters;
  if (rawFilters !== undefined && rawFilters !== null) ids.push(filterToken(filters));
  return ids;
}

function build(raw: unknown): Parsed<AccessEvent> {
  const record = asObject(raw);
  if (record === undefined) return { ok: false, reason: 'not-an-object' };
  const rawTime = record.eventTime;
  if (typeof rawTime !== 'string' || rawTime === '') return { ok: false, reason: 'missing-eventTime' };
  const eventTime = parseEventTime(rawTime);
  if (eventTime === undefined) return { ok: false, reason: 'invalid-eventTime' };
  const eventName = text(record.eventName);
  if (eventName === '') return { ok: false, reason: 'missing-eventName' };
  const userIdentity = asObject(record.userIdentity);
  if (userIdentity === undefined) return { ok: false, reason: 'missing-userIdentity' };

  const requestParameters = asObject(record.requestParameters) ?? EMPTY_OBJECT;
  const filters = eventName === 'BatchGetSecretValue' ? filtersOf(requestParameters.filters) : [];
  return {
    ok: true,
    value: {
      eventId: eventIdOf(record),
      eventTime,
      eventName,
      eventSource: text(record.eventSource),
      awsRegion: text(record.awsRegion),
      sourceIp: text(record.sourceIPAddress),
      userAgent: text(record.userAgent, USER_AGENT_MAX_CHARS),
      errorCode: text(record.errorCode),
      errorMessage: text(record.errorMessage),
      vpcEndpointId: text(record.vpcEndpointId),
      recipientAccountId: text(record.recipientAccountId),
      identity: identityOf(userIdentity, record),
      secretIds: secretIdsOf(eventName, requestParameters, filters),
      filters,
    },
  };
}

/** Turns one bare CloudTrail record into an AccessEvent, or a named skip reason. Never throws. */
export function toAccessEvent(raw: unknown): Parsed<AccessEvent> {
  try {
    return build(raw);
  } catch {
    // Only values JSON.parse cannot produce get here (proxies, throwing getters): not a plain JSON object.
    return { ok: false, reason: 'not-an-object' };
  }
}

export interface UnwrappedDocument {
  /** Bare CloudTrail records (not yet validated: toAccessEvent names what is wrong with them). */
  readonly records: unknown[];
  /** Parts of the document that hold no CloudTrail record, one reason each. */
  readonly skipped: SkipReason[];
}

/**
 * The CloudTrail records in one parsed JSON document: an S3 log file `{"Records": [...]}`, an EventBridge envelope
 * (`detail` of an "AWS API Call via CloudTrail" event), a bare record, or an array of any of these (one level).
 * Anything else is returned as a record so that toAccessEvent names its reason. Never throws.
 */
export function unwrapDocument(doc: unknown): UnwrappedDocument {
  const records: unknown[] = [];
  const skipped: SkipReason[] = [];
  collectRecords(doc, records, skipped);
  return { records, skipped };
}

/** unwrapDocument appending to the caller's arrays (readers use it to batch many documents without copying). */
export function collectRecords(doc: unknown, records: unknown[], skipped: SkipReason[]): void {
  try {
    if (Array.isArray(doc)) {
      for (const item of doc) unwrapOne(item, records, skipped);
    } else {
      unwrapOne(doc, records, skipped);
    }
  } catch {
    // Only reachable with non-JSON values (proxies, throwing getters): count the rest of the document as one bad record.
    skipped.push('not-an-object');
  }
}
function unwrapOne(item: unknown, records: unknown[], skipped: SkipReason[]): void {
  const object = asObject(item);
  if (object === undefined) {
    records.push(item);
    return;
  }
  const logRecords = object.Records;
  if (Array.isArray(logRecords)) {
    for (const record of logRecords) records.push(record);
    return;
  }
  if ('detail-type' in object) {
    const detail = asObject(object.detail);
    if (object['detail-type'] === CLOUDTRAIL_DETAIL_TYPE && detail !== undefined) records.push(detail);
    else skipped.push('not-a-cloudtrail-envelope');
    return;
  }
  // A bare record (eventName/eventTime/userIdentity), or something else that toAccessEvent will reject by name.
  records.push(object);
}
