/** `rsr replay PATH...`: the detector over CloudTrail files, in simulated time, with the in-memory store. */
import type { Command } from 'commander';
import { loadConfig } from '../config/load';
import type { Notification } from '../engine/alert';
import { replay } from '../usecases/replay';
import { formatNotification, formatSummary } from './format';
import { addInputFlags, openInputs } from './inputs';
import { addDetectionFlags, overridesFrom } from './options';

export function registerReplay(program: Command): void {
  addDetectionFlags(
    addInputFlags(
      program
        .command('replay')
        .description(
          'run the detector over CloudTrail log files (.json, .json.gz, JSON Lines, EventBridge events; - for stdin)',
        )
        .argument('<paths...>', 'files or directories (recursive), or - for stdin'),
    ),
  )
    .option('--json', 'print one JSON object per alert or overflow summary on stdout; summary on stderr')
    .action(async (paths: string[], opts: Record<string, unknown>) => {
      const config = loadConfig(process.env, overridesFrom(opts));
      const json = opts.json === true;
      const inputs = await openInputs(paths, opts);
      const out: string[] = [];
      const print = (n: Notification) => {
        if (json) process.stdout.write(`${JSON.stringify(n)}\n`);
        else out.push(formatNotification(n));
      };
      const result = await replay(inputs.items, config, { onNotification: print });
      inputs.done();
      const alerts = result.notifications.filter((n) => n.kind === 'alert').length;
      const overflows = result.notifications.length - alerts;
      const summary = formatSummary(result.stats, alerts, overflows, inputs.errors.length);
      if (json) process.stderr.write(`${summary}\n`);
      else {
        const header = `rsr replay: threshold ${config.threshold} in ${config.windowMinutes} min, count ${config.count}, group by ${config.groupBy}, preset ${config.preset}`;
        process.stdout.write([header, '', ...out.flatMap((b) => [b, '']), summary, ''].join('\n'));
      }
      process.exitCode = inputs.errors.length > 0 ? 1 : 0;
    });
}
