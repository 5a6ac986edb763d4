/** `rsr tune` end to end: the real bundle, real files, exit codes, the JSON document and the HTML page. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseExceptions } from '../../lib/engine/exceptions';
import { ROOT, rsr } from '../support/cli';

const STRATUS = join(ROOT, 'test/fixtures/stratus-red-team');
const HOSTILE_FILE = join(ROOT, 'test/fixtures/tune/hostile-identities.json');
const HOSTILE = '<img src=x onerror=alert(1)>';
const SAMPLE = join(ROOT, 'sample');
/** ESC, BEL and the right-to-left override that the hostile fixture carries. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
const UNSAFE_CHARACTERS = /[\u001b\u0007\u202e]/;
/** The demo sample when present (one day, one attack burst), else the Stratus detonations. */
const HISTORY = existsSync(join(SAMPLE, 'AWSLogs')) ? SAMPLE : STRATUS;

interface Doc {
  version: number;
  config: { threshold: number; groupBy: string; count: string; windowBuckets: number };
  totals: { records: number; qualifying: number; keys: number; unreadableInputs: number };
  keys: { key: string; peak: number; peakWindowStart: string; peakWindowEnd: string; topPairs: unknown[] }[];
  histogram: { label: string; keys: number }[];
  thresholds: { threshold: number; current: boolean; keys: number; alerts: number; identities: string[] }[];
  suggestions: Record<string, unknown>[];
}

const tuneJson = (
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
): { code: number | null; doc: Doc; stderr: string } => {
  const r = rsr(['tune', ...args, '--json'], { env });
  return { code: r.code, doc: JSON.parse(r.stdout) as Doc, stderr: r.stderr };
};

/** Identities in `rsr replay --json` output (alerts and overflow summaries). */
const replayIdentities = (stdout: string): string[] =>
  stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .flatMap((l) => {
      const n = JSON.parse(l) as { kind: string; identity?: string; identities?: { identity: string }[] };
      return n.kind === 'alert' ? [n.identity as string] : (n.identities ?? []).map((i) => i.identity);
    });

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rsr-tune-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('rsr tune (human output)', () => {
  it('prints the loudest keys, the histogram, the thresholds and the suggestions, and exits 0', () => {
    // Act
    const r = rsr(['tune', STRATUS]);
    // Assess
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^rsr tune: threshold 20 in any 10-minute window \(WINDOW_MINUTES 9 \+ the current minute\)/,
    );
    expect(r.stdout).toContain('Loudest keys (2 of 2');
    expect(r.stdout).toMatch(/ {2}1 +20 +20 +\d+ +2024-\d\d-\d\d [\d:]+ → [\d:]+ +AIDA45XCCHPPLELFTIIM \(christophe\)/);
    expect(r.stdout).toContain('Peaks (keys per peak range)');
    expect(r.stdout).toMatch(/→ +20 +1 +1 +AIDA45XCCHPPLELFTIIM +\(current\)/);
    expect(r.stdout).toContain('"comment": "suggested by rsr tune: 20 of 20 events, peak 20"');
  });

  it('lists at most --top keys', () => {
    // Act
    const r = rsr(['tune', HOSTILE_FILE, '--top', '2']);
    // Assess
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Loudest keys (2 of 4');
    expect(r.stdout).not.toMatch(/^ {4}3 /m);
  });

  it('never writes a terminal escape or bidi override from the logs to the terminal', () => {
    // Act
    const r = rsr(['tune', HOSTILE_FILE]);
    // Assess
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(UNSAFE_CHARACTERS);
    expect(r.stdout).toContain('AIDA?[2J?EVIL');
  });
});

describe('rsr tune --json', () => {
  it('prints one JSON document with the documented top-level fields', () => {
    // Act
    const r = rsr(['tune', HISTORY, '--json']);
    // Assess
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const doc = JSON.parse(r.stdout) as Doc;
    expect(Object.keys(doc)).toEqual(['version', 'config', 'totals', 'keys', 'histogram', 'thresholds', 'suggestions']);
    expect(doc.version).toBe(1);
    expect(doc.config).toMatchObject({ threshold: 20, groupBy: 'principal', count: 'events', windowBuckets: 10 });
    expect(doc.totals.unreadableInputs).toBe(0);
    expect(doc.keys.length).toBe(doc.totals.keys);
    expect(doc.histogram.reduce((s, b) => s + b.keys, 0)).toBe(doc.totals.keys);
    expect(doc.thresholds.map((t) => t.threshold)).toEqual([5, 10, 20, 50, 100]);
    // Only the sample's README, passed over for its extension, is mentioned.
    expect(r.stderr).toMatch(/^rsr: not read by extension: 1 file \(\.md 1\), e\.g\. \S*sample\/README\.md; [^\n]*\n$/);
  });

  it('suggests exceptions that parseExceptions accepts and that silence the alerts when given back to replay', () => {
    // Prepare
    const { doc } = tuneJson([HISTORY]);
    const file = join(dir, 'suggested.json');
    writeFileSync(file, JSON.stringify(doc.suggestions));
    // Act
    const before = rsr(['replay', HISTORY, '--json']);
    const after = rsr(['replay', HISTORY, '--json', '--exceptions', file]);
    // Assess
    expect(doc.suggestions.length).toBeGreaterThan(0);
    expect(() => parseExceptions(JSON.stringify(doc.suggestions), 'EXCEPTIONS')).not.toThrow();
    expect(replayIdentities(before.stdout).length).toBeGreaterThan(0);
    expect(after.code).toBe(0);
    expect(replayIdentities(after.stdout)).toEqual([]);
  });

  it.each([5, 10, 20, 45, 46])('agrees with rsr replay on which identities alert at threshold %i', (threshold) => {
    // Act
    const { doc } = tuneJson([HISTORY, '--threshold', String(threshold)]);
    const replayed = rsr(['replay', HISTORY, '--json', '--threshold', String(threshold)]);
    // Assess
    const row = doc.thresholds.find((t) => t.current);
    expect(row?.threshold).toBe(threshold);
    expect([...(row?.identities ?? [])].sort()).toEqual([...new Set(replayIdentities(replayed.stdout))].sort());
    expect(row?.alerts).toBe(replayIdentities(replayed.stdout).length);
  });

  it('uses the detection flags and their environment variables like replay', () => {
    // Act
    const byActor = tuneJson([join(ROOT, 'test/fixtures/cases/role-sessions.json'), '--group-by', 'actor']);
    const fromEnv = tuneJson([STRATUS], { THRESHOLD: '7' });
    // Assess
    expect(byActor.doc.keys.map((k) => k.key)).toEqual(['arn:aws:iam::111122223333:role/app-role']);
    expect(byActor.doc.suggestions[0]).toHaveProperty('arn', 'arn:aws:iam::111122223333:role/app-role');
    expect(fromEnv.doc.config.threshold).toBe(7);
    expect(fromEnv.doc.thresholds.map((t) => t.threshold)).toEqual([5, 7, 10, 20, 50, 100]);
  });

  it('applies --exceptions before counting', () => {
    // Prepare
    const file = join(dir, 'stratus-exceptions.json');
    writeFileSync(file, JSON.stringify([{ userAgent: 'stratus-red-team_*', sourceCidr: '253.201.144.0/24' }]));
    // Act
    const { doc } = tuneJson([join(STRATUS, 'secretsmanager-retrieve-secrets.json'), '--exceptions', file]);
    // Assess
    expect(doc.totals.keys).toBe(0);
    expect(doc.suggestions).toEqual([]);
  });
});

describe('rsr tune exit codes', () => {
  it('reports a corrupt file, analyses the others, and exits 1', () => {
    // Prepare
    const bad = join(dir, 'corrupt.json.gz');
    writeFileSync(bad, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5]));
    const good = join(dir, 'good.json.gz');
    writeFileSync(good, gzipSync(readFileSync(join(STRATUS, 'secretsmanager-retrieve-secrets.json'))));
    // Act
    const r = rsr(['tune', bad, good, '--json']);
    // Assess
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('corrupt.json.gz');
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc.totals.unreadableInputs).toBe(1);
    expect(doc.keys[0]?.peak).toBe(20);
  });

  it.each([
    [['--threshold', '0'], '--threshold'],
    [['--count', 'secrets'], '--count'],
    [['--top', '0'], '--top'],
    [['--top', 'many'], '--top'],
    [['--html', '/nonexistent-dir/report.html'], '--html'],
  ])('exits 2 on %j, naming the option, before reading anything', (flags, option) => {
    // Act
    const r = rsr(['tune', STRATUS, ...flags]);
    // Assess
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(option);
    expect(r.stdout).toBe('');
  });

  it('exits 2 on an unknown option', () => {
    expect(rsr(['tune', STRATUS, '--bogus']).code).toBe(2);
  });
});

describe('rsr tune --html', () => {
  let html: string;
  let run: ReturnType<typeof rsr>;
  beforeAll(() => {
    const out = join(dir, 'html');
    mkdirSync(out);
    const file = join(out, 'report.html');
    run = rsr(['tune', HOSTILE_FILE, '--html', file]);
    html = readFileSync(file, 'utf8');
  });

  const svgOf = (page: string): string => page.slice(page.indexOf('<svg'), page.indexOf('</svg>') + '</svg>'.length);

  it('writes the page and still prints the human report', () => {
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Loudest keys');
    expect(run.stderr).toContain('report.html');
    expect(html.startsWith('<!doctype html>')).toBe(true);
  });

  it('holds one inline SVG with a viewBox and one bar per charted key', () => {
    // Act
    const svg = svgOf(html);
    // Assess
    expect(html.match(/<svg class="chart"/g)).toHaveLength(1);
    expect(svg).toMatch(/^<svg [^>]*viewBox="0 0 \d+ \d+"/);
    expect(svg.match(/<rect class="bar[ "]/g)).toHaveLength(4);
    expect(svg.match(/<rect class="bar over"/g)).toHaveLength(3);
  });

  it('draws one labelled line per threshold, the current one marked', () => {
    // Act
    const svg = svgOf(html);
    const labels = [...svg.matchAll(/<text class="threshold-label"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    // Assess
    expect(svg.match(/<line class="threshold-line"/g)).toHaveLength(5);
    expect(labels).toEqual([
      '≥ 100: 0 keys, 0 alerts',
      '≥ 50: 0 keys, 0 alerts',
      '≥ 20 (current): 3 keys, 3 alerts',
      '≥ 10: 3 keys, 3 alerts',
      '≥ 5: 3 keys, 3 alerts',
    ]);
    expect(svg.match(/<g class="threshold current">/g)).toHaveLength(1);
  });

  it('escapes hostile identities and agents everywhere and runs no script', () => {
    // Assess
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain(HOSTILE);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<svg onload/i);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('evil-agent/1.0 &quot;&gt;&lt;svg onload=alert(1)&gt;');
    expect(html).not.toMatch(UNSAFE_CHARACTERS);
    // Every element in the page is one the renderer writes itself.
    const tags = new Set([...html.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)/g)].map((m) => (m[1] as string).toLowerCase()));
    const allowed =
      'html head meta title style body h1 h2 h3 p br figure svg rect line text g figcaption table thead tbody tr th td code div span pre';
    expect([...tags].filter((t) => !allowed.split(' ').includes(t))).toEqual([]);
    // No event handler attribute on any element.
    expect(html).not.toMatch(/<[^>]*\son[a-z]+\s*=/i);
  });

  it('is a single file: nothing to fetch, no links', () => {
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<[^>]*\s(src|href|xlink:href)\s*=/i);
    expect(html).not.toMatch(/url\(/i);
    expect(html).not.toMatch(/@import/i);
    expect(html).toContain("default-src 'none'");
  });

  it('embeds the same suggestions as --json', () => {
    // Prepare
    const { doc } = tuneJson([HOSTILE_FILE]);
    const pre = html.slice(html.indexOf('<pre>') + 5, html.indexOf('</pre>'));
    const unescaped = pre
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&');
    // Assess
    expect(JSON.parse(unescaped)).toEqual(doc.suggestions);
  });

  it('draws a chart with no bars but every threshold line when nothing qualifies', () => {
    // Prepare
    const file = join(dir, 'empty.html');
    // Act
    const r = rsr(['tune', join(ROOT, 'test/fixtures/cases/browser-chrome.json'), '--html', file, '--json']);
    const page = readFileSync(file, 'utf8');
    // Assess
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).totals.keys).toBe(0);
    expect(svgOf(page).match(/<rect class="bar/g)).toBeNull();
    expect(svgOf(page).match(/<line class="threshold-line"/g)).toHaveLength(5);
    expect(page).toContain('no qualifying events');
  });
});

describe('rsr tune --html on the sample, as a reader sees it in a ticket', () => {
  let html: string;
  beforeAll(() => {
    const file = join(mkdtempSync(join(tmpdir(), 'rsr-tune-sample-')), 'report.html');
    const r = rsr(['tune', 'sample', '--html', file]);
    expect(r.code).toBe(0);
    html = readFileSync(file, 'utf8');
  });

  test('labels each bar with its identity under the chart, not only on hover', () => {
    const labels = [...html.matchAll(/<text class="bar-label"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(labels[0]).toBe('svc-reporting');
    expect(labels.length).toBeGreaterThanOrEqual(30);
  });

  test('draws a per-minute timeline for the loudest keys, with the busiest minute named', () => {
    expect(html).toContain('When the loudest keys were busy');
    const timelines = html.match(/<svg class="timeline"/g) ?? [];
    expect(timelines).toHaveLength(5);
    expect(html).toMatch(
      /#1 svc-reporting: events per minute, [^;]+; busiest minute 2026-11-25T14:\d\d:00\.000Z \(\d+\)/,
    );
  });
});
