/**
 * Exceptions: events the operator has declared expected. The document is a JSON array of entries; an entry is a
 * conjunction of optional conditions (at least one), and an event matching any entry is skipped under reason
 * `exception`. The schema is described for users in docs/EXCEPTIONS.md.
 *
 * Validation is strict on purpose: an exception widens a blind spot, so a misspelt field or a CIDR with host bits
 * set is rejected rather than silently matching something other than what was meant.
 */
import ipaddr from 'ipaddr.js';
import { ConfigError } from './errors';
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

export type ExceptionMatcher = (event: AccessEvent) => boolean;

const GLOB_FIELDS = ['principal', 'arn', 'userAgent'] as const;
const CONDITION_FIELDS = [...GLOB_FIELDS, 'sourceCidr', 'accountId'] as const;
const KNOWN_FIELDS: ReadonlySet<string> = new Set<string>([...CONDITION_FIELDS, 'comment']);
/** Longer than any CloudTrail field a glob is matched against (user agents are truncated at 1 KB). */
const MAX_GLOB_LENGTH = 2048;
const MAX_CIDRS_PER_ENTRY = 1000;
const ACCOUNT_ID = /^\d{12}$/;
const DOC_ACCEPTED = 'a JSON array of exception entries (see docs/EXCEPTIONS.md)';

// ---------------------------------------------------------------------------------------------------------------
// Globs. `*` matches any run of characters (including `/` and `:`, which ARNs and user agents are full of), `?`
// exactly one character, `\` makes the next character literal; everything else is literal. Matching is
// case-sensitive and covers the whole string. Implemented without regular expressions: the classic two-pointer
// wildcard match is O(pattern × text) in the worst case, whereas a translated regex backtracks exponentially on
// patterns with several stars against hostile user agents. (picomatch was not used: its `?` never matches `/`, and
// brackets, braces, parentheses and a leading `!` have glob meanings that collide with real user agents.)

const STAR = 0;
const ANY_ONE = 1;
/** A compiled glob: literal characters (strings of length 1) and the two wildcards. */
type GlobToken = string | typeof STAR | typeof ANY_ONE;

export interface CompiledGlob {
  readonly source: string;
  readonly test: (text: string) => boolean;
}

function tokenize(pattern: string): GlobToken[] {
  const tokens: GlobToken[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && i + 1 < pattern.length) {
      i++;
      tokens.push(pattern[i] as string);
    } else if (c === '*') {
      // Consecutive stars mean the same as one; collapsing them keeps the matcher's work bounded.
      if (tokens[tokens.length - 1] !== STAR) tokens.push(STAR);
    } else if (c === '?') {
      tokens.push(ANY_ONE);
    } else {
      tokens.push(c);
    }
  }
  return tokens;
}

function matchTokens(tokens: readonly GlobToken[], text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = -1;
  while (t < text.length) {
    const token = tokens[p];
    if (p < tokens.length && (token === ANY_ONE || token === text[t])) {
      p++;
      t++;
    } else if (p < tokens.length && token === STAR) {
      starP = p++;
      starT = t;
    } else if (starP >= 0) {
      // Let the last star absorb one more character and retry from just after it.
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (p < tokens.length && tokens[p] === STAR) p++;
  return p === tokens.length;
}

/** Compiles a glob once; literal patterns become a string comparison. */
export function compileGlob(pattern: string): CompiledGlob {
  const tokens = tokenize(pattern);
  if (tokens.every((token) => typeof token === 'string')) {
    const literal = tokens.join('');
    return { source: pattern, test: (text) => text === literal };
  }
  return { source: pattern, test: (text) => matchTokens(tokens, text) };
}

// ---------------------------------------------------------------------------------------------------------------
// CIDRs.

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Parses one CIDR (or a bare address, taken as a single-address range); undefined when invalid. */
function parseCidr(text: string): Cidr | 'host-bits' | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) {
    // Only dotted quads: ipaddr.js would also read "10" or "0x0a.1" as IPv4, which is never what was meant.
    ip = ipaddr.IPv4.parse(address);
  } else if (address.includes(':') && !address.includes('%') && ipaddr.IPv6.isValid(address)) {
    ip = ipaddr.IPv6.parse(address);
  } else {
    return undefined;
  }
  const max = ip.kind() === 'ipv4' ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return undefined;
  const network =
    ip.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(`${ip.toString()}/${prefix}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${ip.toString()}/${prefix}`);
  if (network.toNormalizedString() !== ip.toNormalizedString()) return 'host-bits';
  return [ip, prefix];
}

/**
 * The event's source address as an IP (IPv4-mapped IPv6 turned into IPv4), or undefined when `sourceIPAddress` is
 * not an address at all (AWS services log their own name there, e.g. `secretsmanager.amazonaws.com`).
 */
function parseSourceIp(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (!text.includes(':') || !ipaddr.IPv6.isValid(text)) return undefined;
  const ip = ipaddr.IPv6.parse(text);
  return ip.isIPv4MappedAddress() ? ip.toIPv4Address() : ip;
}

function inCidr(ip: ipaddr.IPv4 | ipaddr.IPv6, cidr: Cidr): boolean {
  const [range, bits] = cidr;
  if (ip.kind() === range.kind()) return ip.match(range, bits);
  // An IPv4 source can still fall in a range written in IPv4-mapped IPv6 form (::ffff:a.b.c.d/n).
  if (ip.kind() === 'ipv4' && range.kind() === 'ipv6')
    return (ip as ipaddr.IPv4).toIPv4MappedAddress().match(range, bits);
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// Validation.

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface CompiledEntry {
  readonly accountId?: string;
  readonly principal?: CompiledGlob;
  readonly arn?: CompiledGlob;
  readonly userAgent?: CompiledGlob;
  readonly cidrs?: readonly Cidr[];
}

function checkGlob(where: string, value: unknown): CompiledGlob {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_GLOB_LENGTH) {
    throw new ConfigError(where, value, `a non-empty glob string of at most ${MAX_GLOB_LENGTH} characters`);
  }
  if (/^\*+$/.test(value)) {
    // A lone star matches everything, the same as leaving the field out; as the only condition it would switch
    // the detector off, so it is almost certainly a mistake.
    throw new ConfigError(where, value, 'a glob narrower than "*" (leave the field out to match any value)');
  }
  return compileGlob(value);
}

function checkCidrs(where: string, value: unknown): Cidr[] {
  const accepted =
    'a CIDR (e.g. "10.0.0.0/8", "2001:db8::/32") or bare IP address, or a non-empty array of them; ' +
    'the address part must be the network address';
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (list.length === 0 || list.length > MAX_CIDRS_PER_ENTRY) {
    throw new ConfigError(where, value, `${accepted} (at most ${MAX_CIDRS_PER_ENTRY})`);
  }
  return list.map((item, i) => {
    const itemWhere = Array.isArray(value) ? `${where}[${i}]` : where;
    if (typeof item !== 'string') throw new ConfigError(itemWhere, item, accepted);
    const cidr = parseCidr(item.trim());
    if (cidr === 'host-bits') {
      throw new ConfigError(itemWhere, item, `${accepted} (host bits are set: did you mean a /32 or /128?)`);
    }
    if (cidr === undefined) throw new ConfigError(itemWhere, item, accepted);
    return cidr;
  });
}

/** Validates one entry and pre-compiles its conditions; `where` is e.g. `EXCEPTIONS[2]`. */
function compileEntry(where: string, raw: unknown): CompiledEntry {
  if (!isPlainObject(raw)) {
    throw new ConfigError(where, raw, `an object with one or more of ${CONDITION_FIELDS.join(', ')} (and comment)`);
  }
  for (const key of Object.keys(raw)) {
    if (!KNOWN_FIELDS.has(key)) {
      throw new ConfigError(`${where}.${key}`, raw[key], `no such field: use ${[...KNOWN_FIELDS].join(', ')}`);
    }
  }
  const present = CONDITION_FIELDS.filter((field) => raw[field] !== undefined);
  if (present.length === 0) {
    throw new ConfigError(where, raw, `at least one condition: ${CONDITION_FIELDS.join(', ')}`);
  }
  if (raw.comment !== undefined && typeof raw.comment !== 'string') {
    throw new ConfigError(`${where}.comment`, raw.comment, 'a string');
  }
  if (raw.accountId !== undefined && (typeof raw.accountId !== 'string' || !ACCOUNT_ID.test(raw.accountId))) {
    throw new ConfigError(`${where}.accountId`, raw.accountId, 'a 12-digit AWS account id as a string');
  }
  const entry: {
    accountId?: string;
    principal?: CompiledGlob;
    arn?: CompiledGlob;
    userAgent?: CompiledGlob;
    cidrs?: readonly Cidr[];
  } = {};
  if (typeof raw.accountId === 'string') entry.accountId = raw.accountId;
  for (const field of GLOB_FIELDS) {
    if (raw[field] !== undefined) entry[field] = checkGlob(`${where}.${field}`, raw[field]);
  }
  if (raw.sourceCidr !== undefined) entry.cidrs = checkCidrs(`${where}.sourceCidr`, raw.sourceCidr);
  return entry;
}

function parseDocument(doc: unknown, variable: string): CompiledEntry[] {
  if (!Array.isArray(doc)) throw new ConfigError(variable, doc, DOC_ACCEPTED);
  return doc.map((raw, i) => compileEntry(`${variable}[${i}]`, raw));
}

/** Parses and validates the exceptions document; `variable` names where it came from for the error message. */
export function parseExceptions(json: string, variable: string): readonly ExceptionEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ConfigError(variable, json.slice(0, 80), `${DOC_ACCEPTED}; JSON parse error: ${reason}`, { cause });
  }
  if (!Array.isArray(doc)) throw new ConfigError(variable, json.slice(0, 80), DOC_ACCEPTED);
  parseDocument(doc, variable);
  // Validated above, so the cast only narrows `unknown`; entries are frozen so a shared config cannot drift.
  return Object.freeze(
    (doc as ExceptionEntry[]).map((entry) =>
      Object.freeze(
        Array.isArray(entry.sourceCidr) ? { ...entry, sourceCidr: Object.freeze([...entry.sourceCidr]) } : entry,
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Matching.

function entryMatches(entry: CompiledEntry, event: AccessEvent, sourceIp: () => ipaddr.IPv4 | ipaddr.IPv6 | undefined) {
  // Cheapest conditions first; the address is parsed only when an entry gets as far as needing it.
  if (entry.accountId !== undefined && event.identity.accountId !== entry.accountId) return false;
  if (entry.principal !== undefined && !entry.principal.test(event.identity.principalId)) return false;
  if (entry.arn !== undefined) {
    const { arn, sessionIssuerArn } = event.identity;
    if (!entry.arn.test(arn) && !(sessionIssuerArn !== '' && entry.arn.test(sessionIssuerArn))) return false;
  }
  if (entry.userAgent !== undefined && !entry.userAgent.test(event.userAgent)) return false;
  if (entry.cidrs !== undefined) {
    const ip = sourceIp();
    if (ip === undefined || !entry.cidrs.some((cidr) => inCidr(ip, cidr))) return false;
  }
  return true;
}

/**
 * Compiles the entries once into a predicate (globs and CIDRs pre-parsed). Entries are validated again here, so
 * entries built in code get the same checks as a parsed document (errors name them `exceptions[i]`).
 */
export function compileExceptions(entries: readonly ExceptionEntry[]): ExceptionMatcher {
  const compiled = parseDocument(entries, 'exceptions');
  if (compiled.length === 0) return () => false;
  return (event) => {
    let parsed = false;
    let ip: ipaddr.IPv4 | ipaddr.IPv6 | undefined;
    const sourceIp = () => {
      if (!parsed) {
        ip = parseSourceIp(event.sourceIp);
        parsed = true;
      }
      return ip;
    };
    return compiled.some((entry) => entryMatches(entry, event, sourceIp));
  };
}
