/**
 * Fast path for CloudTrail S3 log files: find the records that can concern Secrets Manager by a byte search on the
 * decompressed document, parse only those, and count the others without parsing them.
 *
 * Invariant (proven against the full parse in test/io/prefilter.property.test.ts): for a document that is valid
 * JSON, `prefilterDocument` either returns undefined ("not sure": the caller parses the whole document) or returns
 *   - `records`: every record of `Records` that is not an `other-service` record per the checks below, parsed, in
 *     document order — a superset of the records whose eventSource is Secrets Manager;
 *   - `otherService`: the number of remaining records, each of which the full path would skip as `other-service`
 *     (an object with a valid eventTime, a non-empty eventName string, a userIdentity object, and an eventSource
 *     that is not Secrets Manager).
 * So records read and every skip count are those of the full parse.
 *
 * Why the byte search is sound:
 *  - The document must be CloudTrail's own layout: `{"Records":[` then records each starting `{"eventVersion":"`,
 *    separated by `,`, then `]}` (trailing whitespace allowed). In valid
 *    JSON, the bytes `{"eventVersion":"` always open an object (a `"` right after `{` cannot be inside a string),
 *    so they cut the array into its records unless a record nests such an object; a cut in the wrong place leaves
 *    a piece that is not one object, which the checks below or JSON.parse reject (then the caller parses it all).
 *  - A record whose eventSource is `secretsmanager.amazonaws.com` contains those bytes, unless the name is written
 *    with `\u` escapes: a piece containing those bytes or `\u` is always parsed.
 *  - A piece counted as `other-service` must show, as its first keys and without whitespace, `eventVersion`,
 *    `userIdentity` (an object at most three levels deep), `eventTime` (a valid time), `eventSource` and `eventName`
 *    (non-empty), with no escape in any string of these, and neither eventTime, eventName, userIdentity nor Records
 *    may occur again later in the piece (JSON.parse keeps the last of duplicate keys). Anything else is parsed alone.
 *
 * Known limit (counts only, never detection): a record that nests, inside its own values, an object which itself
 * passes these checks (a forged record header) is counted as two `other-service` records instead of one.
 */
import { parseEventTime } from '../../engine/records';

export interface Prefiltered {
  /** Records that were parsed (candidates and pieces the checks could not vouch for), in document order. */
  readonly records: unknown[];
  /** Records counted as `other-service` without parsing. */
  readonly otherService: number;
}

const HEAD = '{"Records":[';
const OPEN = '{"eventVersion":"';
const MARKER = 'secretsmanager.amazonaws.com';
const ESCAPE = '\\u';
/**
 * The first members of a record as CloudTrail writes them: eventVersion, userIdentity (an object nested at most three
 * levels, strings without escapes), eventTime (captured), eventSource, eventName (non-empty). Each character of the
 * object is taken by exactly one alternative, so a failing match backtracks linearly, never exponentially.
 */
const HEADER =
  /\{"eventVersion":"[^"\\]*","userIdentity":\{(?:[^{}"\\]|"[^"\\]*"|\{(?:[^{}"\\]|"[^"\\]*"|\{(?:[^{}"\\]|"[^"\\]*")*\})*\})*\},"eventTime":"([^"\\]*)","eventSource":"[^"\\]*","eventName":"[^"\\]+"/y;
/**
 * Keys whose later duplicate would change the full path's verdict (JSON.parse keeps the last): a different
 * eventTime, eventName or userIdentity. (A later eventSource could only matter if it named Secrets Manager, which
 * makes the piece a candidate anyway.) Also `Records`: a second top-level Records key, which would replace the whole
 * array, can only follow the first array's end, so it lies in a piece after a header (a candidate piece holding it
 * is not one object and fails JSON.parse). Nested keys of these names also match: the piece is then simply parsed.
 */
const LATER_KEY = /"(?:eventTime|eventName|userIdentity|Records)"\s*:/g;

const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/** "YYYY-MM-DDTHH" of the last time parseEventTime accepted in the `…:MM:SSZ` form (NUL: none yet). */
let acceptedHour = '\0';

function isDigitBelow60(text: string, at: number): boolean {
  const tens = text.charCodeAt(at) - 0x30;
  const units = text.charCodeAt(at + 1) - 0x30;
  return tens >= 0 && tens <= 5 && units >= 0 && units <= 9;
}

/**
 * parseEventTime(time) !== undefined, faster for the usual case: records of a file share the hour, and within an
 * hour parseEventTime accepts `HH:MM:SSZ` exactly when minutes and seconds are two digits below 60.
 */
function validTime(time: string): boolean {
  if (
    time.length === 20 &&
    time.startsWith(acceptedHour) &&
    time.charCodeAt(13) === 0x3a &&
    time.charCodeAt(16) === 0x3a &&
    time.charCodeAt(19) === 0x5a &&
    isDigitBelow60(time, 14) &&
    isDigitBelow60(time, 17)
  ) {
    return true;
  }
  if (parseEventTime(time) === undefined) return false;
  if (time.length === 20 && time.charCodeAt(19) === 0x5a) acceptedHour = time.slice(0, 13);
  return true;
}

/**
 * True when the piece text[start, end) is certainly a record the full path skips as `other-service` (see the file
 * comment). The caller has already checked that it contains neither the event source bytes nor `\u`.
 */
function isOtherService(text: string, start: number, end: number): boolean {
  HEADER.lastIndex = start;
  const header = HEADER.exec(text);
  if (header === null || HEADER.lastIndex > end) return false;
  if (!validTime(header[1] as string)) return false;
  LATER_KEY.lastIndex = HEADER.lastIndex;
  const later = LATER_KEY.exec(text);
  return later === null || later.index >= end;
}

/** Next index of `needle` at or after `from`, or Infinity when there is none (so comparisons need no -1 case). */
function nextAt(text: string, needle: string, from: number): number {
  const at = text.indexOf(needle, from);
  return at === -1 ? Number.POSITIVE_INFINITY : at;
}

/**
 * The candidate records of one decompressed CloudTrail document and the count of the others, or undefined when the
 * fast path cannot be sure (the caller then parses the whole document). Never throws.
 */
export function prefilterDocument(data: Buffer): Prefiltered | undefined {
  // One byte per character: indexes in `text` are byte offsets in `data`, and ASCII markers match ASCII bytes only.
  const text = data.toString('latin1');
  if (!text.startsWith(HEAD + OPEN)) return undefined;
  let end = text.length;
  while (end > 0 && isSpace(text.charCodeAt(end - 1))) end--;
  if (text.charCodeAt(end - 1) !== CLOSE_BRACE || text.charCodeAt(end - 2) !== CLOSE_BRACKET) return undefined;
  const bodyEnd = end - 2;
  if (text.charCodeAt(bodyEnd - 1) !== CLOSE_BRACE) return undefined;

  const records: unknown[] = [];
  let otherService = 0;
  let marker = nextAt(text, MARKER, 0);
  let escaped = nextAt(text, ESCAPE, 0);
  let start = HEAD.length;
  while (start < bodyEnd) {
    const next = nextAt(text, OPEN, start + 1);
    let pieceEnd = bodyEnd;
    if (next < bodyEnd) {
      // Records are separated by exactly "," after the closing brace.
      if (text.charCodeAt(next - 1) !== COMMA || text.charCodeAt(next - 2) !== CLOSE_BRACE) return undefined;
      pieceEnd = next - 1;
    }
    if (marker < start) marker = nextAt(text, MARKER, start);
    if (escaped < start) escaped = nextAt(text, ESCAPE, start);
    if (marker >= pieceEnd && escaped >= pieceEnd && isOtherService(text, start, pieceEnd)) {
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
