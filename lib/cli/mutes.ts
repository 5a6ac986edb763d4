/**
 * Analyst mutes: `rsr mute KEY --for DURATION --reason TEXT [--signal NAME]`, `rsr unmute KEY`, `rsr mutes`, and the
 * `--mutes FILE` of `rsr replay`. Mutes live in the window table (docs/MUTES.md); only this CLI writes them, with the
 * operator's credentials, and records who muted (the caller's ARN from STS GetCallerIdentity), why and until when.
 */
import { readFileSync } from 'node:fs';
import type { STSClient } from '@aws-sdk/client-sts';
import type { Command } from 'commander';
import type { DynamoDbWindowStore } from '../adapters/store/dynamodb';
import { ENV, loadConfig, type Overrides } from '../config/load';
import { ConfigError, StoreError } from '../engine/errors';
import type { Mute } from '../engine/ports';
import { SIGNALS } from '../engine/settings';
import { MAIN_REASON } from '../engine/signals';
import { inert } from './format';

/** What `--signal` accepts: the main threshold or one complementary signal. */
export const MUTABLE_REASONS: readonly string[] = [MAIN_REASON, ...SIGNALS];
/** Longest mute: a mute is a pause, not an exception (docs/EXCEPTIONS.md is for the permanent case). */
export const MAX_MUTE_MINUTES = 30 * 24 * 60;
export const MAX_REASON_LENGTH = 500;
const DURATION = /^(\d{1,6})([mhd])$/;
const UNIT_MINUTES = { m: 1, h: 60, d: 24 * 60 } as const;
const DURATION_ACCEPTED = 'a duration such as 30m, 12h or 7d, at most 30d';

/** `30m` / `12h` / `7d` -> minutes; a ConfigError naming `source` otherwise. */
export function parseDuration(source: string, raw: string): number {
  const m = DURATION.exec(raw.trim());
  const minutes = m ? Number(m[1]) * UNIT_MINUTES[m[2] as keyof typeof UNIT_MINUTES] : 0;
  if (!m || minutes < 1 || minutes > MAX_MUTE_MINUTES) throw new ConfigError(source, raw, DURATION_ACCEPTED);
  return minutes;
}

export function parseSignal(source: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!MUTABLE_REASONS.includes(raw)) throw new ConfigError(source, raw, MUTABLE_REASONS.join(', '));
  return raw;
}

export function parseReason(source: string, raw: string | undefined): string {
  const text = (raw ?? '').trim();
  if (text === '' || text.length > MAX_REASON_LENGTH) {
    throw new ConfigError(source, raw, `a reason of 1 to ${MAX_REASON_LENGTH} characters (who asked, which ticket)`);
  }
  return text;
}

export function parseKey(source: string, raw: string): string {
  if (raw.trim() === '' || raw !== raw.trim() || raw.length > 2048) {
    throw new ConfigError(
      source,
      raw,
      'the identity exactly as an alert shows it (its grouping key, no spaces around)',
    );
  }
  return raw;
}

/**
 * Mutes for `rsr replay --mutes FILE`: a JSON array of { key, until, reason, signal?, from?, by? } (times ISO 8601),
 * or what `rsr mutes --json` prints. Every problem is one line naming the file, the entry and the field.
 */
export function readMutesFile(file: string): Mute[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ConfigError('--mutes', file, 'a readable JSON file holding an array of mutes', { cause });
  }
  if (!Array.isArray(parsed)) throw new ConfigError('--mutes', file, 'a JSON array of mutes');
  return parsed.map((entry: unknown, i) => {
    const at = `--mutes ${file} entry ${i}`;
    const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    const text = (name: string) => (typeof e[name] === 'string' ? (e[name] as string) : undefined);
    const time = (name: string, required: boolean): number | undefined => {
      const v = e[name];
      if (v === undefined && !required) return undefined;
      const ms = typeof v === 'string' ? Date.parse(v) : typeof v === 'number' ? v : Number.NaN;
      if (!Number.isFinite(ms)) throw new ConfigError(`${at} ${name}`, String(v), 'an ISO 8601 time');
      return ms;
    };
    const key = parseKey(`${at} key`, text('key') ?? '');
    const signal = parseSignal(`${at} signal`, text('signal'));
    return {
      key,
      ...(signal ? { signal } : {}),
      until: time('until', true) as number,
      reason: parseReason(`${at} reason`, text('reason')),
      by: text('by') ?? `file ${file}`,
      createdAt: time('from', false) ?? time('createdAt', false) ?? 0,
    };
  });
}

/** A mute as a person reads it: one line. */
export function describeMute(m: Mute): string {
  const iso = (ms: number) => new Date(ms).toISOString();
  return `${inert(m.key)} ${m.signal ? `(${m.signal} only)` : '(all reasons)'} until ${iso(m.until)} by ${inert(m.by)} since ${iso(m.createdAt)}: ${inert(m.reason, 500)}`;
}

/** Who is calling: the ARN STS reports for the credentials in use. */
export async function callerArn(sts: STSClient): Promise<string> {
  try {
    const { GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
    const out = await sts.send(new GetCallerIdentityCommand({}));
    if (!out.Arn) throw new Error('GetCallerIdentity returned no Arn');
    return out.Arn;
  } catch (cause) {
    // Named after the step that failed: a mute without its author is not written.
    throw new StoreError('mute (sts GetCallerIdentity, to record who mutes)', { cause });
  }
}

function tableOverrides(opts: { tableName?: string }): Overrides {
  return opts.tableName ? { tableName: { value: opts.tableName, source: '--table-name' } } : {};
}

async function withStore<T>(opts: { tableName?: string }, fn: (store: DynamoDbWindowStore) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env, tableOverrides(opts));
  // Loaded here, not at the top: the SDK takes ~0.1 s to load, which every other command would pay (measured).
  const [{ DynamoDBClient }, { DynamoDbWindowStore }] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('../adapters/store/dynamodb'),
  ]);
  const client = new DynamoDBClient({});
  try {
    return await fn(new DynamoDbWindowStore(client, { tableName: config.tableName }));
  } finally {
    client.destroy();
  }
}

export function registerMutes(program: Command): void {
  const tableOption = `window table [env ${ENV.tableName}]`;
  program
    .command('mute')
    .description('silence one identity (exactly this key) for a while, recording who, why and until when')
    .argument('<key>', 'the identity as the alert shows it (its grouping key)')
    .requiredOption('--for <duration>', DURATION_ACCEPTED)
    .requiredOption('--reason <text>', 'why: who asked, which ticket')
    .option('--signal <name>', `only this reason: ${MUTABLE_REASONS.join(', ')}`)
    .option('--table-name <name>', tableOption)
    .action(async (raw: string, opts: { for: string; reason: string; signal?: string; tableName?: string }) => {
      const key = parseKey('KEY', raw);
      const minutes = parseDuration('--for', opts.for);
      const reason = parseReason('--reason', opts.reason);
      const signal = parseSignal('--signal', opts.signal);
      const { STSClient } = await import('@aws-sdk/client-sts');
      const sts = new STSClient({});
      try {
        const by = await callerArn(sts);
        const now = Date.now();
        const mute: Mute = {
          key,
          ...(signal ? { signal } : {}),
          until: now + minutes * 60_000,
          reason,
          by,
          createdAt: now,
        };
        await withStore(opts, (store) => store.putMute(mute, now));
        process.stdout.write(`muted ${describeMute(mute)}\n`);
      } finally {
        sts.destroy();
      }
    });

  program
    .command('unmute')
    .description('remove every mute of one identity')
    .argument('<key>', 'the identity as `rsr mutes` shows it')
    .option('--table-name <name>', tableOption)
    .action(async (raw: string, opts: { tableName?: string }) => {
      const key = parseKey('KEY', raw);
      const removed = await withStore(opts, (store) => store.deleteMutes(key, Date.now()));
      process.stdout.write(
        removed > 0 ? `unmuted ${inert(key)} (${removed} mute(s) removed)\n` : `no mute in force for ${inert(key)}\n`,
      );
    });

  program
    .command('mutes')
    .description('list the mutes in force')
    .option('--json', 'print them as a JSON array (the format `rsr replay --mutes FILE` reads)')
    .option('--table-name <name>', tableOption)
    .action(async (opts: { json?: boolean; tableName?: string }) => {
      const mutes = await withStore(opts, (store) => store.listMutes(Date.now()));
      if (opts.json) {
        const iso = (ms: number) => new Date(ms).toISOString();
        const out = mutes.map((m) => ({ ...m, until: iso(m.until), createdAt: iso(m.createdAt) }));
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      } else if (mutes.length === 0) process.stdout.write('no mutes in force\n');
      else process.stdout.write(`${mutes.map(describeMute).join('\n')}\n`);
    });
}
