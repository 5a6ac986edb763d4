/**
 * Neutralises attacker-controlled text before it is shown to people (email text, Slack via AWS Chatbot).
 *
 * Identity names, user agents, secret ids and even "IP addresses" come from CloudTrail fields that the caller chooses
 * (a user agent is free text up to 1 KB; a role session name is picked by whoever assumes the role). Rendered raw,
 * such a value could ping a Slack channel (`<!channel>`), plant a clickable link (`<https://x|click>`, a bare URL),
 * forge extra lines in the alert (newlines), or hide/reorder text (bidi overrides, zero-width characters).
 *
 * The machine payloads (SNS `sqs`/`lambda`) keep the exact values; only human renderings go through here.
 */

/** Default cap for one displayed value: long enough for an ARN or a typical SDK user agent. */
export const DISPLAY_VALUE_MAX = 200;
export const ELLIPSIS = '…';

/**
 * Characters rendered as a visible `\uXXXX` escape instead of themselves: C0/C1 controls and DEL, format characters
 * (bidi embeddings/overrides/isolates, zero-width space/joiners, word joiner, BOM, soft hyphen, invisible tag
 * characters), line/paragraph separators, lone surrogates and the noncharacters U+FFFE/U+FFFF (which SQS rejects).
 */
const INVISIBLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\uFFFE\uFFFF]$/u;

/**
 * Slack broadcast keywords that some clients turn into mentions even without angle brackets. No word boundary on
 * purpose: `@herex` cut to length would otherwise end up as `@here…`.
 */
const BROADCAST = /@(channel|here|everyone|group)/giu;

function escapeCodePoint(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0xfffd;
  return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
}

/** One input code point as displayed. */
function displayChar(ch: string): string {
  if (INVISIBLE.test(ch)) return escapeCodePoint(ch);
  switch (ch) {
    // Angle brackets start every Slack control sequence (<!here>, <@U123>, <#C1>, <url|text>); lookalikes keep it readable.
    case '<':
      return '‹';
    case '>':
      return '›';
    // A backtick could close the code span the chat rendering wraps each value in.
    case '`':
      return "'";
    default:
      return ch;
  }
}

/**
 * Makes one attacker-controlled value safe to show: no control or invisible characters (shown as `\uXXXX`), no Slack
 * control sequences or broadcast keywords, no backticks, URL schemes defanged (`https[:]//`), at most `maxLength`
 * UTF-16 code units (cut on a character boundary and marked with an ellipsis).
 *
 * The result is meant to be shown inside a code span in chat (which also disables `*_~` formatting and auto-linking
 * there) and as plain text in email.
 */
export function neutralize(value: string, maxLength: number = DISPLAY_VALUE_MAX): string {
  const max = Math.max(1, Math.floor(maxLength));
  const prepared = String(value)
    .replace(/:\/\//g, '[:]//')
    .replace(BROADCAST, (_m, word: string) => `[at]${word}`);
  // Iterate by code point; a lone surrogate comes out as its own one-unit "code point".
  const parts: string[] = [];
  let total = 0;
  for (const ch of prepared) {
    const shown = displayChar(ch);
    parts.push(shown);
    total += shown.length;
  }
  if (total <= max) return parts.join('');
  let out = '';
  for (const shown of parts) {
    if (out.length + shown.length > max - ELLIPSIS.length) break;
    out += shown;
  }
  return out + ELLIPSIS;
}

/**
 * Printable ASCII only (for the email subject): accents are dropped (`été` -> `ete`), other characters become `?`,
 * angle brackets and backticks are replaced, URL schemes defanged, whitespace collapsed, and the result is cut to
 * `maxLength` with `...`.
 */
export function asciiOnly(value: string, maxLength: number): string {
  let out = '';
  const folded = String(value).normalize('NFKD').replace(/\p{M}/gu, '').replace(/:\/\//g, '[:]//');
  for (const ch of folded) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '<') out += '(';
    else if (ch === '>') out += ')';
    else if (ch === '`') out += "'";
    else out += cp >= 0x20 && cp <= 0x7e ? ch : '?';
  }
  out = out.replace(/\s+/g, ' ').trim();
  if (out.length <= maxLength) return out;
  return `${out.slice(0, Math.max(0, maxLength - 3))}...`;
}

/**
 * For machine fields that must stay (nearly) exact, such as SNS message attribute values: lone surrogates and
 * characters SQS refuses (controls other than tab/LF/CR, U+FFFE, U+FFFF) become U+FFFD; cut to `maxLength` code
 * units on a character boundary. Empty input gives `fallback`.
 */
export function wellFormed(value: string, maxLength: number, fallback: string): string {
  let out = '';
  for (const ch of String(value)) {
    const cp = ch.codePointAt(0) ?? 0xfffd;
    const ok =
      cp === 0x9 ||
      cp === 0xa ||
      cp === 0xd ||
      (cp >= 0x20 && cp <= 0xd7ff) ||
      (cp >= 0xe000 && cp <= 0xfffd) ||
      (cp >= 0x10000 && cp <= 0x10ffff);
    const shown = ok ? ch : '\uFFFD';
    if (out.length + shown.length > maxLength) break;
    out += shown;
  }
  return out.length > 0 ? out : fallback;
}

/**
 * Escapes, inside serialized JSON, the characters that are valid JSON but that SQS refuses in a message body
 * (U+FFFE, U+FFFF). JSON.stringify already escapes controls and lone surrogates, and these two can only occur inside
 * string literals, so the result decodes to exactly the same value.
 */
export function sqsSafeJson(json: string): string {
  return json.replace(/[\uFFFE\uFFFF]/g, (ch) => escapeCodePoint(ch));
}
