/** `rsr replay PATH...`: the detector over CloudTrail files, in simulated time, with the in-memory store. */
import type { Command } from 'commander';
import type { Notification } from '../engine/alert';
import { replay } from '../usecases/replay';
import { EXIT } from './exit';
import { formatHeader, formatNotification, formatSummary } from './format';
import { addInputFlags } from './inputs';
import { readMutesFile } from './mutes';
import { addDetectionFlags, detectionConfig } from './options';
import { addSourceFlags, openSource } from './sources';

export function registerReplay(program: Command): void {
  addSourceFlags(
    addDetectionFlags(
      addInputFlags(
        program
          .command('replay')
          .description(
            'run the detector over CloudTrail log files (.json, .json.gz, JSON Lines, EventBridge events; - for stdin)',
          )
          .argument('[paths...]', 'files or directories (recursive), or - for stdin'),
      ),
    ),
  )
    .option(
      '--json',
      'print one JSON object per alert, burst summary (kind "summary") or overflow summary on stdout; run summary on stderr',
    )
    .option('--mutes <file>', 'apply these analyst mutes (JSON array, as `rsr mutes --json` prints) in simulated time')
    .action(async (paths: string[], opts: Record<string, unknown>) => {
      const config = await detectionConfig(process.env, opts);
      const json = opts.json === true;
      const mutes = typeof opts.mutes === 'string' ? readMutesFile(opts.mutes) : [];
      const inputs = await openSource(paths, config, opts);
      const out: string[] = [];
      const print = (n: Notification) => {
        if (json) process.stdout.write(`${JSON.stringify(n)}\n`);
        else out.push(formatNotification(n));
      };
      const result = await replay(inputs.items, config, { onNotification: print, mutes });
      inputs.done(result.stats.received);
      const alerts = result.notifications.filter((n) => n.kind === 'alert').length;
      const overflows = result.notifications.filter((n) => n.kind === 'overflow').length;
      const bursts = result.notifications.filter((n) => n.kind === 'summary').length;
      const summary = formatSummary(result.stats, alerts, overflows, inputs.errors.length, bursts, result.muted);
      if (json) process.stderr.write(`${summary}\n`);
      else {
        const header = formatHeader('replay', config);
        process.stdout.write([header, '', ...out.flatMap((b) => [b, '']), summary, ''].join('\n'));
      }
      if (inputs.errors.length > 0) process.exitCode = EXIT.input;
      else if (result.stats.received === 0)
        process.exitCode = EXIT.noRecords; // the skip reporter has said what was searched
      else process.exitCode = EXIT.ok;
    });
}
