/**
 * `rsr tune PATH...`: per-key peaks over the user's history, a histogram, what each threshold would have alerted,
 * and suggested exceptions for the loudest keys. Same inputs, flags and exit codes as `rsr replay`; the analysis is
 * lib/usecases/tune.ts, the HTML page lib/cli/tune-html.ts.
 */
import { accessSync, constants, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../engine/errors';
import { type KeyReport, type TuneReport, tune } from '../usecases/tune';
import { EXIT } from './exit';
import { inert, windowText } from './format';
import { addInputFlags } from './inputs';
import { addDetectionFlags, detectionConfig } from './options';
import { addSourceFlags, openSource } from './sources';
import { renderTuneHtml, safeJson } from './tune-html';

const DEFAULT_TOP = 20;
const MAX_TOP = 10_000;
const HISTOGRAM_WIDTH = 40;
/** Pair lines start under the peak-events column. */
const INDENT = 2 + 3 + 2 + 6 + 2 + 7 + 2 + 7 + 2;

/** The `--json` document: the report plus what only the command knows. */
export type TuneDocument = TuneReport & {
  readonly totals: TuneReport['totals'] & { readonly unreadableInputs: number };
};

function parseTop(raw: unknown): number {
  if (raw === undefined) return DEFAULT_TOP;
  const n = Number(String(raw).trim());
  if (String(raw).trim() === '' || !Number.isInteger(n) || n < 1 || n > MAX_TOP) {
    throw new ConfigError('--top', raw, `an integer from 1 to ${MAX_TOP}`);
  }
  return n;
}

/** Fails before a long run rather than after it when the HTML report cannot be written. */
function checkWritable(file: string): void {
  const path = resolve(file);
  try {
    let existing: ReturnType<typeof statSync> | undefined;
    try {
      existing = statSync(path);
    } catch {
      existing = undefined;
    }
    if (existing !== undefined) {
      if (!existing.isFile()) throw new Error('not a regular file');
      accessSync(path, constants.W_OK);
    } else {
      if (!statSync(dirname(path)).isDirectory()) throw new Error('parent is not a directory');
      accessSync(dirname(path), constants.W_OK);
    }
  } catch (cause) {
    throw new ConfigError('--html', file, 'a file path in an existing, writable directory', { cause });
  }
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

/** `2026-11-25 14:37:02 → 14:41:34`, with the end's date only when it differs. */
function spanText(startIso: string, endIso: string): string {
  const start = `${startIso.slice(0, 10)} ${startIso.slice(11, 19)}`;
  const end =
    startIso.slice(0, 10) === endIso.slice(0, 10)
      ? endIso.slice(11, 19)
      : `${endIso.slice(0, 10)} ${endIso.slice(11, 19)}`;
  return `${start} → ${end}`;
}

function keyLabel(k: KeyReport): string {
  const name = k.userName && !k.key.includes(k.userName) ? ` (${k.userName})` : '';
  return inert(`${k.key}${name}`, 100);
}

const sourceText = (ip: string) => (ip === '' ? '(no source)' : ip);
const agentText = (ua: string) => (ua === '' ? '(no user agent)' : ua);

/** The human report: loudest keys, histogram, thresholds, suggestions. */
export function formatTune(report: TuneReport, top = DEFAULT_TOP, unreadableInputs = 0): string {
  const c = report.config;
  const t = report.totals;
  const lines: string[] = [];
  lines.push(
    `rsr tune: threshold ${c.threshold} in any ${windowText(c.windowMinutes)} (WINDOW_MINUTES ${c.windowMinutes} + the current minute), count ${c.count}, group by ${c.groupBy}, preset ${c.preset}`,
  );
  const skipped = Object.entries(t.skipped)
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  lines.push(
    `${t.records} records, ${t.qualifying} qualifying (duplicates ${t.duplicates}), ${t.keys} keys` +
      (t.firstEvent && t.lastEvent ? `, ${t.firstEvent} → ${t.lastEvent}` : ''),
  );
  lines.push(`skipped ${skipped || 'none'}`);
  if (unreadableInputs > 0) lines.push(`unreadable inputs ${unreadableInputs}`);
  if (c.signalsNotAnalysed.length > 0) {
    lines.push(`note: complementary signals (${c.signalsNotAnalysed.join(', ')}) are not analysed here`);
  }

  const shown = report.keys.slice(0, top);
  lines.push(
    '',
    `Loudest keys (${shown.length} of ${t.keys}, by peak ${c.count === 'events' ? 'events' : 'distinct secrets'} in ${c.windowBuckets} minutes)`,
  );
  if (shown.length === 0) lines.push('  (no qualifying events)');
  else {
    lines.push(
      `  ${pad('#', 3)}  ${pad('peak', 6)}  ${pad('events', 7)}  ${pad('minutes', 7)}  peak events (UTC)                    key`,
    );
    shown.forEach((k, i) => {
      const peak = `${k.peakIsLowerBound ? '≥' : ''}${k.peak}`;
      lines.push(
        `  ${pad(i + 1, 3)}  ${pad(peak, 6)}  ${pad(k.events, 7)}  ${pad(k.activeMinutes, 7)}  ${spanText(k.peakFirstEvent, k.peakLastEvent).padEnd(35)}  ${keyLabel(k)}`,
      );
      for (const p of k.topPairs.slice(0, 2)) {
        lines.push(
          `${' '.repeat(INDENT)}${p.approximate ? '≥' : ''}${p.events} × ${inert(agentText(p.userAgent), 70)} @ ${inert(sourceText(p.sourceIp), 45)}`,
        );
      }
    });
  }

  lines.push('', 'Peaks (keys per peak range)');
  const most = Math.max(1, ...report.histogram.map((b) => b.keys));
  for (const b of report.histogram) {
    const bar = '#'.repeat(b.keys === 0 ? 0 : Math.max(1, Math.round((b.keys / most) * HISTOGRAM_WIDTH)));
    lines.push(`  ${b.label.padEnd(9)} ${pad(b.keys, 6)}  ${bar}`);
  }

  lines.push('', 'Thresholds (a key alerts when its peak reaches the threshold; alerts include suppression)');
  lines.push(`    ${pad('threshold', 9)}  ${pad('keys', 6)}  ${pad('alerts', 6)}  identities`);
  for (const r of report.thresholds) {
    const ids = r.identities.slice(0, 3).map((id) => inert(id, 40));
    const more = r.identities.length > 3 ? `, +${r.identities.length - 3} more` : '';
    lines.push(
      `  ${r.current ? '→' : ' '} ${pad(r.threshold, 9)}  ${pad(r.keys, 6)}  ${pad(r.alerts, 6)}  ${ids.join(', ')}${more}${r.current ? '  (current)' : ''}`,
    );
  }

  lines.push('');
  if (report.suggestions.length === 0) {
    lines.push(`Suggested exceptions: none (no key reached the threshold of ${c.threshold})`);
  } else {
    lines.push(
      `Suggested exceptions for keys with peak ≥ ${c.threshold} (allow-list entries: review each one, see docs/TUNING.md)`,
    );
    lines.push(safeJson(report.suggestions, 2));
  }
  return `${lines.map((l) => l.trimEnd()).join('\n')}\n`;
}

export function registerTune(program: Command): void {
  addSourceFlags(
    addDetectionFlags(
      addInputFlags(
        program
          .command('tune')
          .description(
            'show how loud each identity has been in CloudTrail history: peaks, alerts per threshold, suggested exceptions',
          )
          .argument('[paths...]', 'files or directories (recursive), or - for stdin'),
      ),
    ),
  )
    .option('--json', 'print one JSON document (schema in docs/TUNING.md) on stdout instead of the tables')
    .option('--html <file>', 'also write a self-contained HTML report with a chart of per-key peaks')
    .option('--top <n>', `keys listed in the tables (default ${DEFAULT_TOP})`)
    .action(async (paths: string[], opts: Record<string, unknown>) => {
      const config = await detectionConfig(process.env, opts);
      const top = parseTop(opts.top);
      const html = typeof opts.html === 'string' ? opts.html : undefined;
      if (html !== undefined) checkWritable(html);
      const inputs = await openSource(paths, config, opts);
      const report = await tune(inputs.items, config);
      inputs.done(report.totals.records);

      if (html !== undefined) {
        writeFileSync(html, renderTuneHtml(report, { top }));
        process.stderr.write(`rsr: wrote ${html}\n`);
      }
      if (opts.json === true) {
        const doc: TuneDocument = { ...report, totals: { ...report.totals, unreadableInputs: inputs.errors.length } };
        process.stdout.write(`${safeJson(doc)}\n`);
      } else {
        process.stdout.write(formatTune(report, top, inputs.errors.length));
      }
      if (inputs.errors.length > 0) process.exitCode = EXIT.input;
      else if (report.totals.records === 0)
        process.exitCode = EXIT.noRecords; // the skip reporter has said what was searched
      else process.exitCode = EXIT.ok;
    });
}
