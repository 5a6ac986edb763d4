/**
 * Browser family of a user-agent string, named the way uap-core names it.
 *
 * The reference rule drops events whose `user_agent.name` is a desktop browser. That field comes from
 * Elasticsearch's `user_agent` ingest processor, which uses uap-core's regular expressions. We parse with
 * ua-parser-js 1.x and translate its names where the two libraries disagree, so that a configured name such as
 * "Chrome" selects the same user agents it would in Elastic. The translations that matter for the default list are
 * the ones that keep mobile and automated browsers out of it: uap-core calls them "Chrome Mobile",
 * "Chrome Mobile iOS", "Edge Mobile", "Firefox Mobile", "Firefox iOS", "Opera Mobile" and "HeadlessChrome", while
 * ua-parser-js calls most of them plain "Chrome" / "Edge" / "Firefox" / "Opera".
 *
 * Anything that is not a browser (AWS SDKs and CLI, "AWS Internal", service names such as
 * `secretsmanager.amazonaws.com`, custom tool strings, the empty string) yields `undefined`. uap-core would give
 * those a non-browser family ("aws-cli", "Boto3", "Other", …); no such family is ever a browser name, so the
 * detector only needs to know "not a browser".
 *
 * Limits: families outside the mapping below keep ua-parser-js's name (for example "Vivaldi", "Samsung Internet",
 * "Electron"), which can differ from uap-core's spelling. Older Elasticsearch releases bundle older uap-core
 * tables (for example without the "Edge Mobile" rule, so Android Edge comes out as "Chrome Mobile"); none of those
 * differences move a user agent into or out of the six names of the reference rule.
 */
import UAParser from 'ua-parser-js';

/** CloudTrail truncates `userAgent` at 1 KB; longer input is cut there so parsing cost stays bounded. */
export const MAX_USER_AGENT_LENGTH = 1024;
/** Distinct user agents remembered; SDK agents repeat a lot, so a small cache absorbs most lookups. */
export const BROWSER_FAMILY_CACHE_LIMIT = 10_000;

const parser = new UAParser();

// uap-core's patterns for the families that ua-parser-js lumps together. Each is linear or close to it on a
// 1 KB input (no nested quantifiers).
const CHROME_WEBVIEW = /Version\/.+Chrome\/\d+\.\d+\.\d+\.\d+|; wv\).+Chrome\/\d+\.\d+\.\d+\.\d+/;
const CHROME_IOS = /CriOS\/\d+/;
const CHROME_MOBILE =
  /CrMo\/\d+\.\d+\.\d+\.\d+|Chrome\/\d+\.\d+\.\d+\.\d+ Mobile(?:[ /]|$)| Mobile .*Chrome\/\d+\.\d+\.\d+\.\d+/;
const EDGE_MOBILE = /(?:EdgiOS|EdgA)\/\d+|Windows Phone .*Edge\/\d+\.\d+/;
const FIREFOX_IOS = /FxiOS\/\d+\.\d+/;
const FIREFOX_MOBILE = /Fennec\/\d+\.\d+|(?:Mobile|Tablet);.*Firefox\/\d+\.\d+/;
const FIREFOX_ALPHA = /Firefox\/\d+\.\d+a\d/;
const FIREFOX_BETA = /Firefox\/\d+\.\d+b\d/;
const OPERA_MOBILE = /Opera Mobi|Mobile Safari.*OPR\/\d+\.\d+\.\d+/;
const IOS_DEVICE = /iPod|iPhone|iPad/;

/** ua-parser-js names that uap-core spells differently regardless of the rest of the string. */
const RENAMES: ReadonlyMap<string, string> = new Map([
  ['Chrome WebView', 'Chrome Mobile WebView'],
  ['Fennec', 'Firefox Mobile'],
  ['Yandex', 'Yandex Browser'],
  ['Silk', 'Amazon Silk'],
]);

function toUapFamily(name: string, ua: string): string {
  switch (name) {
    case 'Chrome':
    case 'Chrome Headless':
      // uap-core tests the mobile and WebView patterns before its HeadlessChrome and Chrome rules.
      if (CHROME_WEBVIEW.test(ua)) return 'Chrome Mobile WebView';
      if (CHROME_IOS.test(ua)) return 'Chrome Mobile iOS';
      if (CHROME_MOBILE.test(ua)) return 'Chrome Mobile';
      return name === 'Chrome' ? 'Chrome' : 'HeadlessChrome';
    case 'Edge':
      return EDGE_MOBILE.test(ua) ? 'Edge Mobile' : 'Edge';
    case 'Firefox':
      if (FIREFOX_MOBILE.test(ua)) return 'Firefox Mobile';
      if (FIREFOX_ALPHA.test(ua)) return 'Firefox Alpha';
      if (FIREFOX_BETA.test(ua)) return 'Firefox Beta';
      return FIREFOX_IOS.test(ua) ? 'Firefox iOS' : 'Firefox';
    case 'Opera':
      return OPERA_MOBILE.test(ua) ? 'Opera Mobile' : 'Opera';
    case 'Android Browser':
      // Android WebViews that still send `Version/4.0`: uap-core reports the Chrome WebView behind them.
      return CHROME_WEBVIEW.test(ua) ? 'Chrome Mobile WebView' : name;
    case 'WebKit':
      return IOS_DEVICE.test(ua) ? 'Mobile Safari UI/WKWebView' : name;
    default:
      // ua-parser-js keeps the matched token's case ("brave" for `brave/0.7.10`); uap-core says "Brave".
      if (name.toLowerCase() === 'brave') return 'Brave';
      return RENAMES.get(name) ?? name;
  }
}

/** The uncached computation: uap-core family name of a browser user agent, undefined for anything else. */
export function parseBrowserFamily(userAgent: string): string | undefined {
  const ua = userAgent.length > MAX_USER_AGENT_LENGTH ? userAgent.slice(0, MAX_USER_AGENT_LENGTH) : userAgent;
  // ua-parser-js falls back to the host's navigator for an empty string; an empty agent is simply not a browser.
  if (ua.trim() === '') return undefined;
  const name = parser.setUA(ua).getBrowser().name;
  return name === undefined || name === '' ? undefined : toUapFamily(name, ua);
}

// `null` marks a cached "not a browser", so that a miss (undefined from Map.get) is distinguishable.
const cache = new Map<string, string | null>();

/**
 * uap-core family name of a browser user agent (e.g. "Chrome", "Chrome Mobile", "Mobile Safari",
 * "HeadlessChrome"), or undefined when the string is not a browser's. Results are cached (at most
 * BROWSER_FAMILY_CACHE_LIMIT entries; the cache is emptied when full).
 */
export function browserFamily(userAgent: string): string | undefined {
  const key = userAgent.length > MAX_USER_AGENT_LENGTH ? userAgent.slice(0, MAX_USER_AGENT_LENGTH) : userAgent;
  const hit = cache.get(key);
  if (hit !== undefined) return hit ?? undefined;
  const family = parseBrowserFamily(key);
  if (cache.size >= BROWSER_FAMILY_CACHE_LIMIT) cache.clear();
  cache.set(key, family ?? null);
  return family;
}

/** Number of cached user agents (for tests and diagnostics). */
export function browserFamilyCacheSize(): number {
  return cache.size;
}
