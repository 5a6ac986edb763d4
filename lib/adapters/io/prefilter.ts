/**
 * Fast path for CloudTrail S3 log files: find the records that can concern Secrets Manager by a byte search on the
 * decompressed document, parse only those, and count the others without parsing them.
 *
 * Invariant (proven against the full parse in test/io/prefilter.property.test.ts): for a document that is valid
 * JSON in CloudTrail's layout — `{"Records":[...]}` whose elements are records each starting `{"eventVersion":"`, as
 * CloudTrail writes every file — `prefilterDocument` either returns undefined ("not sure": the caller parses the
 * whole document) or returns
 *   - `records`: every record of `Records` that is not an `other-service` record per the checks below, parsed, in
 *     document order — a superset of the records whose eventSource is Secrets Manager;
 *   - `otherService`: the number of remaining records, each of which the full path skips as `other-service`: the
 *     detector's first check (detector.ts, filteredBeforeShape) — an object whose eventSource is a non-empty string
 *     other than Secrets Manager — whatever else the record holds or lacks.
 * So records read and every skip count are those of the full parse.
 *
 * Why the byte search is sound:
 *  - The document must be CloudTrail's own layout: `{"Records":[` then records each starting `{"eventVersion":"`,
 *    separated by `,`, then `]}` (trailing whitespace allowed). In valid
 *    JSON, the bytes `{"eventVersion":"` always open an object (a `"` right after `{` cannot be inside a string),
 *    so they cut the array into its records (and in CloudTrail's layout nowhere else: see Known limits); a piece
 *    that is parsed must be one JSON value, or the caller parses the whole document.
 *  - A record whose eventSource is `secretsmanager.amazonaws.com` contains those bytes, unless the name is written
 *    with `\u` escapes: a piece containing those bytes or `\u` is always parsed.
 *  - A piece counted as `other-service` must show, as its first keys and without whitespace, `eventVersion`,
 *    `userIdentity` (an object at most three levels deep: this places what follows at the record's top level),
 *    `eventTime` and `eventSource` (non-empty), with no backslash in any of them, and neither `"eventSource"` nor `"Records"` may occur
 *    again later in the piece (JSON.parse keeps the last of duplicate keys; a second top-level Records key, which
 *    would replace the whole array, can only follow the first array's end). These are plain substring searches
 *    over the whole document, each pointer moving forward only, so every byte is looked at a bounded number of
 *    times. Anything else is parsed alone.
 *
 * Known limits, outside that layout (files CloudTrail does not write); counts can differ, a missed Secrets Manager
 * record cannot (any piece holding its name is parsed alone, and a piece that is not one JSON value sends the whole
 * file to the full parse):
 *  - Pieces are not walked to their closing brace (a byte-by-byte walk in JavaScript measured ~30 % slower reading).
 *    So an element of `Records` that does not start `{"eventVersion":"` (`{}`, `null`) is taken into the record
 *    before it, and a record that nests an object starting `{"eventVersion":"` is cut there: the pieces are then
 *    counted or parsed as records of their own. A nested object of that shape that is itself a whole Secrets Manager
 *    record would be read as one (more alerts than the full parse, never fewer).
 *  - A further top-level key after `Records` whose array holds such objects has them read as records, which the
 *    full parse ignores (a second `Records` key is detected and parsed in full).
 *  - Counted pieces are not validated as JSON: a file corrupted inside a counted record (a stray NUL byte, `NaN`) is
 *    counted as read where the full parse reports the file as not valid JSON.
 */
import { SECRETS_MANAGER_SOURCE } from '../../engine/event';

export interface Prefiltered {
  /** Records that were parsed (candidates and pieces the checks could not vouch for), in document order. */
  readonly records: unknown[];
  /** Records counted as `other-service` without parsing. */
  readonly otherService: number;
}

const HEAD = Buffer.from('{"Records":[{"eventVersion":"');
const OPEN = Buffer.from('{"eventVersion":"');
const MARKER = Buffer.from(SECRETS_MANAGER_SOURCE);
const ESCAPE = Buffer.from('\\u');
/**
 * Keys searched by their tail and checked for their head: `indexOf` first looks for the needle's first byte, and
 * `"` is the most frequent byte of JSON while `S` and `o` are not (measured about 2× faster on CloudTrail files).
 */
const SOURCE_KEY = { head: Buffer.from('"event'), tail: Buffer.from('Source"') };
const RECORDS_KEY = { head: Buffer.from('"Rec'), tail: Buffer.from('ords"') };
/** What follows eventVersion's value, userIdentity's object and eventTime's value in the header. */
const AFTER_VERSION = Buffer.from(',"userIdentity":{');
const AFTER_IDENTITY = Buffer.from(',"eventTime":"');
const AFTER_TIME = Buffer.from(',"eventSource":"');
/** userIdentity may nest objects this deep (sessionContext.sessionIssuer); deeper is parsed. */
const MAX_DEPTH = 3;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/** Next index of `needle` at or after `from`, or Infinity when there is none (so comparisons need no -1 case). */
function nextAt(data: Buffer, needle: Buffer, from: number): number {
  const at = data.indexOf(needle, from);
  return at === -1 ? Number.POSITIVE_INFINITY : at;
}

/** Next index at or after `from` of the key `head + tail` (see SOURCE_KEY), or Infinity. */
function nextKey(data: Buffer, key: { head: Buffer; tail: Buffer }, from: number): number {
  const h = key.head.length;
  for (let at = data.indexOf(key.tail, from + h); at !== -1; at = data.indexOf(key.tail, at + 1)) {
    if (matchesAt(data, at - h, key.head)) return at - h;
  }
  return Number.POSITIVE_INFINITY;
}

/** Whether data holds `literal` at `at` (short literals: a loop beats a native call). */
function matchesAt(data: Buffer, at: number, literal: Buffer): boolean {
  if (at < 0 || at + literal.length > data.length) return false;
  for (let i = 0; i < literal.length; i++) if (data[at + i] !== literal[i]) return false;
  return true;
}

/** Index of the quote closing a string whose text starts at `at`, or -1 if it has an escape or passes `end`. */
function stringEnd(data: Buffer, at: number, end: number): number {
  for (let i = at; i < end; i++) {
    const c = data[i];
    if (c === QUOTE) return i;
    if (c === BACKSLASH) return -1;
  }
  return -1;
}

/**
 * Index just past the closing brace of the object opening at `at - 1` (nesting at most MAX_DEPTH, strings without
 * escapes), or -1.
 */
function objectEnd(data: Buffer, at: number, end: number): number {
  let depth = 1;
  for (let i = at; i < end; i++) {
    const c = data[i];
    if (c === QUOTE) {
      i = stringEnd(data, i + 1, end);
      if (i === -1) return -1;
    } else if (c === OPEN_BRACE) {
      if (++depth > MAX_DEPTH) return -1;
    } else if (c === CLOSE_BRACE) {
      if (--depth === 0) return i + 1;
    } else if (c === BACKSLASH) {
      return -1;
    }
  }
  return -1;
}

/**
 * For a piece data[start, end) opening with OPEN: the index just past the closing quote of a non-empty eventSource
 * reached through the header eventVersion, userIdentity, eventTime, eventSource (see the file comment), or -1.
 */
function headerEnd(data: Buffer, start: number, end: number): number {
  let at = stringEnd(data, start + OPEN.length, end);
  if (at === -1 || !matchesAt(data, at + 1, AFTER_VERSION)) return -1;
  at = objectEnd(data, at + 1 + AFTER_VERSION.length, end);
  if (at === -1 || !matchesAt(data, at, AFTER_IDENTITY)) return -1;
  at = stringEnd(data, at + AFTER_IDENTITY.length, end);
  if (at === -1 || !matchesAt(data, at + 1, AFTER_TIME)) return -1;
  const value = at + 1 + AFTER_TIME.length;
  at = stringEnd(data, value, end);
  return at === -1 || at === value ? -1 : at + 1;
}

/**
 * The candidate records of one decompressed CloudTrail document and the count of the others, or undefined when the
 * fast path cannot be sure (the caller then parses the whole document). Never throws.
 *
 * Works on the bytes: a string of the whole document would be a multi-megabyte allocation per file, which made the
 * garbage collector the largest cost on two workers (measured).
 */
export function prefilterDocument(data: Buffer): Prefiltered | undefined {
  if (!matchesAt(data, 0, HEAD)) return undefined;
  let end = data.length;
  while (end > 0 && isSpace(data[end - 1] as number)) end--;
  if (data[end - 1] !== CLOSE_BRACE || data[end - 2] !== CLOSE_BRACKET) return undefined;
  const bodyEnd = end - 2;
  if (data[bodyEnd - 1] !== CLOSE_BRACE) return undefined;

  const records: unknown[] = [];
  let otherService = 0;
  // Each pointer is the next occurrence at or after the current piece's start (Infinity: none left).
  const first = HEAD.length - OPEN.length;
  let marker = nextAt(data, MARKER, first);
  let escaped = nextAt(data, ESCAPE, first);
  let recordsKey = nextKey(data, RECORDS_KEY, first);
  let sourceKey = 0;
  let start = first;
  while (start < bodyEnd) {
    const next = nextAt(data, OPEN, start + 1);
    let pieceEnd = bodyEnd;
    if (next < bodyEnd) {
      // Records are separated by exactly "," after the closing brace.
      if (data[next - 1] !== COMMA || data[next - 2] !== CLOSE_BRACE) return undefined;
      pieceEnd = next - 1;
    }
    if (marker < start) marker = nextAt(data, MARKER, start);
    if (escaped < start) escaped = nextAt(data, ESCAPE, start);
    if (recordsKey < start) recordsKey = nextKey(data, RECORDS_KEY, start);
    let other = false;
    if (marker >= pieceEnd && escaped >= pieceEnd && recordsKey >= pieceEnd) {
      const header = headerEnd(data, start, pieceEnd);
      if (header !== -1) {
        // The header's eventSource is the piece's first; no second one may follow it.
        if (sourceKey < header) sourceKey = nextKey(data, SOURCE_KEY, header);
        other = sourceKey >= pieceEnd;
      }
    }
    if (other) {
      otherService++;
    } else {
      try {
        records.push(JSON.parse(data.toString('utf8', start, pieceEnd)));
      } catch {
        return undefined;
      }
    }
    start = pieceEnd + 1;
  }
  return { records, otherService };
}
