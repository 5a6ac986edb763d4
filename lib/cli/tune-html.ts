/**
 * The `rsr tune --html` page: one self-contained file (inline CSS, inline SVG, no script, nothing loaded from
 * elsewhere), produced by string generation alone so it needs no browser. Identities, user agents and addresses
 * come from CloudTrail and are attacker-controlled: every one goes through `text()` (control characters and bidi
 * overrides made visible, then HTML-escaped), which is safe both in HTML and in inline SVG text and attributes.
 */
import { type KeyReport, type ThresholdRow, TIMELINE_KEYS, type TuneReport } from '../usecases/tune';
import { inert } from './format';

/** Bars drawn at most; the chart says how many keys it leaves out. */
export const CHART_KEYS = 100;
/** Draw the count axis on a log scale when the largest value is at least this many times the smallest peak. */
const LOG_SCALE_RATIO = 20;

const WIDTH = 960;
const HEIGHT = 470;
/** Room under the plot for each bar's identity label (rotated) and the axis title. */
const MARGIN = { top: 20, right: 230, bottom: 134, left: 56 } as const;
/** A bar gets its identity written under it when its slot is at least this wide; narrower, the loudest LABELLED_KEYS. */
const LABEL_MIN_SLOT = 9;
const LABELLED_KEYS = 30;
const LABEL_GAP = 13;

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes for HTML text and quoted attributes (and SVG, parsed by the same HTML parser). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** Untrusted text for the page: made inert (see format.ts), shortened to `max`, escaped. */
const text = (s: string, max = 300): string => escapeHtml(inert(s, max));

const JSON_UNSAFE = /[\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON with C1 controls, bidi overrides and line separators written as \u escapes (JSON.stringify escapes only
 * C0): the same value, but nothing in it can steer a terminal or disguise text when printed.
 */
export function safeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    JSON_UNSAFE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

const num = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

interface Scale {
  readonly log: boolean;
  /** y coordinate of a count. */
  y(v: number): number;
  readonly ticks: readonly number[];
}

function makeScale(maxValue: number, minPeak: number): Scale {
  const top = MARGIN.top;
  const bottom = HEIGHT - MARGIN.bottom;
  const log = maxValue / Math.max(1, minPeak) >= LOG_SCALE_RATIO;
  if (log) {
    // From 0.5 so that a peak of 1 still shows as a bar; headroom above the largest value for its label.
    const lo = Math.log10(0.5);
    const hi = Math.log10(maxValue * 1.3);
    const y = (v: number) => bottom - ((Math.log10(Math.max(v, 0.5)) - lo) / (hi - lo)) * (bottom - top);
    const ticks: number[] = [];
    for (let p = 1; p <= maxValue * 1.3; p *= 10)
      for (const m of [1, 2, 5]) if (p * m <= maxValue * 1.3) ticks.push(p * m);
    return { log, y, ticks };
  }
  const hi = Math.max(1, maxValue * 1.15);
  const y = (v: number) => bottom - (v / hi) * (bottom - top);
  const rough = hi / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? rough;
  const ticks: number[] = [];
  for (let v = 0; v <= hi; v += step) ticks.push(v);
  return { log, y, ticks };
}

function keyTitle(k: KeyReport, rank: number): string {
  const who = k.userName ? ` (${k.userName})` : '';
  return `#${rank} ${k.key}${who}: peak ${k.peakIsLowerBound ? 'at least ' : ''}${k.peak}, ${k.events} events`;
}

/** What a person recognises of a key: the user or role name, else the last part of the key, cut to `max`. */
export function shortKey(k: Pick<KeyReport, 'key' | 'userName'>, max = 22): string {
  const raw = k.userName || k.key.split(/[/:]/).pop() || k.key;
  return raw.length > max ? `${raw.slice(0, max - 1)}…` : raw;
}

function thresholdLabel(r: ThresholdRow): string {
  return `≥ ${r.threshold}${r.current ? ' (current)' : ''}: ${plural(r.keys, 'key')}, ${plural(r.alerts, 'alert')}`;
}

/** The per-key peak chart: keys loudest first as bars, one labelled horizontal line per threshold. */
export function renderChart(report: TuneReport): string {
  const charted = report.keys.slice(0, CHART_KEYS);
  const thresholds = report.thresholds;
  const maxValue = Math.max(1, ...charted.map((k) => k.peak), ...thresholds.map((r) => r.threshold));
  const minPeak = charted.length > 0 ? Math.min(...charted.map((k) => k.peak)) : 1;
  const scale = makeScale(maxValue, minPeak);
  const left = MARGIN.left;
  const right = WIDTH - MARGIN.right;
  const bottom = HEIGHT - MARGIN.bottom;
  const slot = charted.length > 0 ? (right - left) / charted.length : 0;
  const barWidth = Math.max(1, slot * 0.8);
  const current = report.config.threshold;
  const out: string[] = [];

  const summary = `Peak ${report.config.count === 'events' ? 'events' : 'distinct secrets'} per key in any ${report.config.windowBuckets}-minute window, ${charted.length} of ${report.keys.length} keys, ${scale.log ? 'log' : 'linear'} scale`;
  out.push(
    `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeHtml(summary)}">`,
  );
  out.push(`<title>${escapeHtml(summary)}</title>`);
  out.push(
    `<rect class="plot" x="${left}" y="${MARGIN.top}" width="${right - left}" height="${bottom - MARGIN.top}"/>`,
  );
  for (const t of scale.ticks) {
    const y = num(scale.y(t));
    out.push(`<line class="grid" x1="${left}" x2="${right}" y1="${y}" y2="${y}"/>`);
    out.push(`<text class="tick" x="${left - 6}" y="${y}" dy="0.32em" text-anchor="end">${num(t)}</text>`);
  }
  charted.forEach((k, i) => {
    const y = scale.y(k.peak);
    const x = left + i * slot + (slot - barWidth) / 2;
    const cls = k.peak >= current ? 'bar over' : 'bar';
    out.push(
      `<rect class="${cls}" x="${num(x)}" y="${num(y)}" width="${num(barWidth)}" height="${num(Math.max(1, bottom - y))}"><title>${text(keyTitle(k, i + 1), 600)}</title></rect>`,
    );
    if (slot >= LABEL_MIN_SLOT || i < LABELLED_KEYS) {
      const cx = num(x + barWidth / 2);
      out.push(
        `<text class="bar-label" x="${cx}" y="${bottom + 8}" transform="rotate(-55 ${cx} ${bottom + 8})" text-anchor="end">${escapeHtml(shortKey(k))}</text>`,
      );
    }
  });
  if (charted.length === 0) {
    out.push(
      `<text class="empty" x="${(left + right) / 2}" y="${(MARGIN.top + bottom) / 2}" text-anchor="middle">no qualifying events</text>`,
    );
  }
  // Labels right of the plot, in line with their threshold, pushed apart when thresholds are close.
  const rows = thresholds.map((r) => ({ r, y: scale.y(r.threshold) })).sort((a, b) => a.y - b.y);
  let lastLabelY = Number.NEGATIVE_INFINITY;
  for (const { r, y } of rows) {
    const labelY = Math.max(y, lastLabelY + LABEL_GAP);
    lastLabelY = labelY;
    const cls = r.current ? 'threshold current' : 'threshold';
    out.push(
      `<g class="${cls}"><line class="threshold-line" x1="${left}" x2="${right}" y1="${num(y)}" y2="${num(y)}"/>` +
        `<text class="threshold-label" x="${right + 8}" y="${num(labelY)}" dy="0.32em">${escapeHtml(thresholdLabel(r))}</text></g>`,
    );
  }
  out.push(
    `<text class="axis" x="${(left + right) / 2}" y="${HEIGHT - 12}" text-anchor="middle">keys, loudest first (${charted.length} of ${report.keys.length}${slot >= LABEL_MIN_SLOT || charted.length <= LABELLED_KEYS ? '' : `; the first ${LABELLED_KEYS} labelled`}; hover a bar for the full key)</text>`,
  );
  out.push(
    `<text class="axis" transform="translate(14 ${(MARGIN.top + bottom) / 2}) rotate(-90)" text-anchor="middle">peak${scale.log ? ' (log scale)' : ''}</text>`,
  );
  out.push('</svg>');
  return out.join('\n');
}

const TIMELINE_WIDTH = 960;
const TIMELINE_HEIGHT = 120;
const TIMELINE_MARGIN = { top: 14, right: 16, bottom: 26, left: 56 } as const;

/**
 * One key's calls per minute over the report's whole period: a thin bar per active minute, so a reader sees when and
 * how bursty it was (a burst is a tall cluster; a steady job a low even comb). The busiest minute is marked.
 */
export function renderTimeline(k: KeyReport, rank: number, from: string, to: string): string {
  const minutes = k.timeline ?? [];
  const start = Math.floor(Date.parse(from) / 60_000);
  const end = Math.max(start + 1, Math.floor(Date.parse(to) / 60_000) + 1);
  const left = TIMELINE_MARGIN.left;
  const right = TIMELINE_WIDTH - TIMELINE_MARGIN.right;
  const top = TIMELINE_MARGIN.top;
  const bottom = TIMELINE_HEIGHT - TIMELINE_MARGIN.bottom;
  const max = Math.max(1, ...minutes.map((m) => m.events));
  const busiest = minutes.reduce<{ minute: string; events: number } | undefined>(
    (best, m) => (best === undefined || m.events > best.events ? m : best),
    undefined,
  );
  const x = (minute: number) => left + ((minute - start) / (end - start)) * (right - left);
  const w = Math.max(1, (right - left) / (end - start));
  const title = `#${rank} ${shortKey(k, 60)}: events per minute, ${from} → ${to}${busiest ? `; busiest minute ${busiest.minute} (${busiest.events})` : ''}`;
  const out = [
    `<svg class="timeline" viewBox="0 0 ${TIMELINE_WIDTH} ${TIMELINE_HEIGHT}" width="${TIMELINE_WIDTH}" height="${TIMELINE_HEIGHT}" role="img" aria-label="${escapeHtml(title)}">`,
    `<title>${escapeHtml(title)}</title>`,
    `<rect class="plot" x="${left}" y="${top}" width="${right - left}" height="${bottom - top}"/>`,
    `<text class="tick" x="${left - 6}" y="${top}" dy="0.32em" text-anchor="end">${max}</text>`,
    `<text class="tick" x="${left - 6}" y="${bottom}" dy="0.32em" text-anchor="end">0</text>`,
  ];
  for (const m of minutes) {
    const minute = Math.floor(Date.parse(m.minute) / 60_000);
    const h = Math.max(1, ((bottom - top) * m.events) / max);
    const cls = m === busiest ? 'tick-bar peak' : 'tick-bar';
    out.push(
      `<rect class="${cls}" x="${num(x(minute))}" y="${num(bottom - h)}" width="${num(w)}" height="${num(h)}"><title>${escapeHtml(`${m.minute}: ${m.events}`)}</title></rect>`,
    );
  }
  out.push(
    `<text class="axis" x="${left}" y="${TIMELINE_HEIGHT - 8}">${escapeHtml(from)}</text>`,
    `<text class="axis" x="${right}" y="${TIMELINE_HEIGHT - 8}" text-anchor="end">${escapeHtml(to)}</text>`,
    '</svg>',
  );
  return out.join('\n');
}

function timelines(report: TuneReport): string {
  const withTimeline = report.keys.filter((k) => k.timeline !== undefined);
  const from = report.totals.firstEvent;
  const to = report.totals.lastEvent;
  if (withTimeline.length === 0 || !from || !to) return '<p>No qualifying events.</p>';
  return withTimeline
    .map(
      (k, i) =>
        `<h3>#${i + 1} ${escapeHtml(shortKey(k, 80))} <span class="muted">peak ${k.peakIsLowerBound ? 'at least ' : ''}${k.peak}, ${plural(k.events, 'event')} in ${plural(k.activeMinutes, 'minute')}</span></h3>\n<p class="mono muted">${text(k.key, 300)}</p>\n${renderTimeline(k, i + 1, from, to)}`,
    )
    .join('\n');
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1200px; padding: 0 16px; color: #1d2329; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border-bottom: 1px solid #dde2e6; padding: 4px 10px; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.current td { font-weight: 600; background: #fff6e0; }
code, pre, .mono { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12.5px; word-break: break-all; }
pre { background: #f4f6f8; padding: 12px; overflow-x: auto; white-space: pre-wrap; }
.muted { color: #66717c; }
svg.chart { max-width: 100%; height: auto; font-size: 11px; }
svg .plot { fill: #fbfcfd; stroke: #c9d0d6; }
svg .grid { stroke: #e6eaee; }
svg .tick, svg .axis { fill: #4a545e; }
svg .bar { fill: #7f9cb5; }
svg .bar.over { fill: #c8553d; }
svg .bar-label { fill: #33404d; font-size: 10px; }
svg.timeline { max-width: 100%; height: auto; font-size: 11px; }
svg .tick-bar { fill: #7f9cb5; }
svg .tick-bar.peak { fill: #c8553d; }
svg .threshold-line { stroke: #33404d; stroke-dasharray: 5 4; }
svg .threshold.current .threshold-line { stroke: #c8553d; stroke-dasharray: none; stroke-width: 1.5; }
svg .threshold-label { fill: #33404d; }
svg .threshold.current .threshold-label { fill: #c8553d; font-weight: 600; }
`;

function thresholdsTable(report: TuneReport): string {
  const rows = report.thresholds.map((r) => {
    const ids = r.identities.slice(0, 10).map((id) => `<code>${text(id, 200)}</code>`);
    const more = r.identities.length > 10 ? ` <span class="muted">+${r.identities.length - 10} more</span>` : '';
    return `<tr${r.current ? ' class="current"' : ''}><td class="n">${r.threshold}${r.current ? ' (current)' : ''}</td><td class="n">${r.keys}</td><td class="n">${r.alerts}</td><td>${ids.join(', ')}${more}</td></tr>`;
  });
  return `<table class="thresholds"><thead><tr><th class="n">threshold</th><th class="n">keys</th><th class="n">alerts</th><th>identities</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function histogramTable(report: TuneReport): string {
  const rows = report.histogram.map((b) => `<tr><td>${escapeHtml(b.label)}</td><td class="n">${b.keys}</td></tr>`);
  return `<table class="histogram"><thead><tr><th>peak</th><th class="n">keys</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function keysTable(report: TuneReport, top: number): string {
  const rows = report.keys.slice(0, top).map((k, i) => {
    const pairs = k.topPairs
      .map(
        (p) =>
          `<div><span class="n">${p.approximate ? '≥' : ''}${p.events}</span> <span class="mono">${text(p.userAgent || '(no user agent)', 1100)}</span> @ <span class="mono">${text(p.sourceIp || '(no source)', 100)}</span></div>`,
      )
      .join('');
    const who = [k.userName, k.identityType, k.accountId].filter((s) => s !== '').map((s) => text(s, 100));
    return (
      `<tr><td class="n">${i + 1}</td><td class="n">${k.peakIsLowerBound ? '≥' : ''}${k.peak}</td>` +
      `<td class="mono">${escapeHtml(k.peakWindowStart)} → ${escapeHtml(k.peakWindowEnd)}</td>` +
      `<td class="n">${k.events}</td><td class="n">${k.activeMinutes}</td>` +
      `<td><code>${text(k.key, 2100)}</code><div class="muted">${who.join(', ')}</div></td><td>${pairs}</td></tr>`
    );
  });
  return `<table class="keys"><thead><tr><th class="n">#</th><th class="n">peak</th><th>peak window (UTC, end exclusive)</th><th class="n">events</th><th class="n">minutes</th><th>key</th><th>top user agent @ source</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

/** The whole page. `top` limits the keys table (the chart shows up to CHART_KEYS keys). */
export function renderTuneHtml(report: TuneReport, options: { top?: number } = {}): string {
  const top = options.top ?? 20;
  const c = report.config;
  const t = report.totals;
  const span = t.firstEvent && t.lastEvent ? `, ${escapeHtml(t.firstEvent)} → ${escapeHtml(t.lastEvent)}` : '';
  const suggestions =
    report.suggestions.length === 0
      ? `<p>None: no key reached the threshold of ${c.threshold}.</p>`
      : `<p>Allow-list entries for the loudest keys at or above the current threshold. Each one is a blind spot:
review it, and keep identity, user agent and address together in one entry (docs/EXCEPTIONS.md).</p>
<pre>${escapeHtml(safeJson(report.suggestions, 2))}</pre>`;
  // The CSP forbids scripts and every external load, as a second line behind the escaping.
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rsr tune report</title>
<style>${STYLE}</style>
</head>
<body>
<h1>rsr tune: rapid secret retrieval, per-key peaks</h1>
<p>Threshold ${c.threshold} in ${c.windowMinutes} minutes (windows of ${c.windowBuckets} one-minute buckets), count ${escapeHtml(c.count)}, group by ${escapeHtml(c.groupBy)}, preset ${escapeHtml(c.preset)}, suppression ${c.suppressionMinutes} minutes.<br>
${t.records} records, ${t.qualifying} qualifying events, ${plural(t.keys, 'key')}${span}.</p>
<figure>
${renderChart(report)}
<figcaption class="muted">A bar per key (its largest count in any window); a dashed line per threshold, labelled with the keys whose peak reaches it and the alerts they would raise with suppression.</figcaption>
</figure>
<h2>When the loudest keys were busy</h2>
<p class="muted">Calls per minute over the whole period for the ${Math.min(report.keys.length, TIMELINE_KEYS)} loudest keys; the busiest minute in red.</p>
${timelines(report)}
<h2>Thresholds</h2>
${thresholdsTable(report)}
<h2>Peaks</h2>
${histogramTable(report)}
<h2>Loudest keys</h2>
${keysTable(report, top)}
<h2>Suggested exceptions</h2>
${suggestions}
</body>
</html>
`;
}
