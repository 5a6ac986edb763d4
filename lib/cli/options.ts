/**
 * CLI flags that map onto configuration settings, taken from the settings table (lib/config/settings.ts). The CLI reads the same environment variables as the Lambdas;
 * a flag overrides its variable (see lib/config/load.ts for precedence).
 */
import { readFileSync } from 'node:fs';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { Command } from 'commander';
import { ENV, loadConfig, type Overrides, type RuntimeConfig } from '../config/load';
import { withParameterExceptions } from '../config/resolve';
import { SETTING_NAMES, SETTINGS, type SettingName } from '../config/settings';
import { ConfigError } from '../engine/errors';

interface FlagSpec {
  readonly setting: SettingName;
  readonly flag: string;
  readonly description: string;
}

/** The detection flags: every setting of the table (lib/config/settings.ts) that has a flag, in table order. */
export const DETECTION_FLAGS: readonly FlagSpec[] = SETTING_NAMES.flatMap((setting) => {
  const spec = SETTINGS[setting];
  return spec.flag ? [{ setting, flag: spec.flag, description: `${spec.doc} (${spec.accepted})` }] : [];
});

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

/** SSM client of the CLI, built once and only when EXCEPTIONS_PARAMETER is set (region and endpoint from the AWS env). */
let ssmClient: Promise<SSMClient> | undefined;
const ssm = (): Promise<SSMClient> => {
  ssmClient ??= import('@aws-sdk/client-ssm').then(({ SSMClient }) => new SSMClient({}));
  return ssmClient;
};

/**
 * The configuration of the detection commands: environment and flags, plus the exceptions named by
 * EXCEPTIONS_PARAMETER, read from SSM as the Lambdas read them (lib/config/resolve.ts), so a backtest with the
 * function's environment runs with the production exceptions instead of silently without them.
 */
export async function detectionConfig(env: NodeJS.ProcessEnv, opts: Record<string, unknown>): Promise<RuntimeConfig> {
  const config = loadConfig(env, overridesFrom(opts));
  if (config.exceptionsParameter === undefined) return config;
  const client = await ssm();
  return withParameterExceptions(config, () => client);
}
