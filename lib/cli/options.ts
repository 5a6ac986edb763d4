/**
 * CLI flags that map onto configuration settings. The CLI reads the same environment variables as the Lambdas;
 * a flag overrides its variable (see lib/config/load.ts for precedence).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { COUNT_MODES, ENV, GROUP_BY_MODES, type Overrides, PRESETS, type SettingName } from '../config/load';
import { ConfigError } from '../engine/errors';

interface FlagSpec {
  readonly setting: SettingName;
  readonly flag: string;
  readonly description: string;
}

export const DETECTION_FLAGS: readonly FlagSpec[] = [
  { setting: 'preset', flag: '--preset <name>', description: `preset (${PRESETS.join(', ')})` },
  { setting: 'threshold', flag: '--threshold <n>', description: 'alert at this many events (or secrets) in a window' },
  { setting: 'windowMinutes', flag: '--window-minutes <m>', description: 'look-back in minutes' },
  { setting: 'count', flag: '--count <mode>', description: `what a window counts (${COUNT_MODES.join(', ')})` },
  { setting: 'groupBy', flag: '--group-by <key>', description: `grouping key (${GROUP_BY_MODES.join(', ')})` },
  {
    setting: 'suppressionMinutes',
    flag: '--suppression-minutes <m>',
    description: 'at most one alert per key per period',
  },
  {
    setting: 'latenessMinutes',
    flag: '--lateness-minutes <m>',
    description: 'how late an event may arrive and still alert',
  },
  {
    setting: 'maxAlertsPerRun',
    flag: '--max-alerts-per-run <n>',
    description: 'cap per evaluation; the rest go to an overflow summary',
  },
  { setting: 'browserNames', flag: '--browser-names <list>', description: 'comma-separated browser names to exclude' },
];

export function addDetectionFlags(cmd: Command): Command {
  for (const f of DETECTION_FLAGS) cmd.option(f.flag, `${f.description} [env ${ENV[f.setting]}]`);
  return cmd.option(
    '--exceptions <file>',
    `JSON file of exception entries (docs/EXCEPTIONS.md) [env ${ENV.exceptions}, inline JSON]`,
  );
}

const flagName = (spec: FlagSpec) => spec.flag.split(' ')[0] as string;

/** Commander's parsed options -> config overrides, naming each flag for error messages. */
export function overridesFrom(opts: Record<string, unknown>): Overrides {
  const out: Overrides = {};
  for (const f of DETECTION_FLAGS) {
    const v = opts[f.setting];
    if (typeof v === 'string') out[f.setting] = { value: v, source: flagName(f) };
  }
  if (typeof opts.exceptions === 'string') {
    let text: string;
    try {
      text = readFileSync(opts.exceptions, 'utf8');
    } catch (cause) {
      throw new ConfigError('--exceptions', opts.exceptions, 'a readable JSON file of exception entries', { cause });
    }
    out.exceptions = { value: text, source: `--exceptions ${opts.exceptions}` };
  }
  return out;
}
