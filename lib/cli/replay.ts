/** `rsr replay PATH...`: the detector over CloudTrail files, in simulated time, with the in-memory store. */
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { loadConfig } from '../config';
import type { Notification } from '../engine/alert';
import type { InputError } from '../errors';
import { countInputs, readInputs } from '../io/read';
import { replay } from '../replay';
import { formatNotification, formatSummary } from './format';
import { addDetectionFlags, overridesFrom } from './options';

/** Show a progress bar only on a terminal and when the input is big enough for it to matter. */
const PROGRESS_MIN_BYTES = 20 * 1024 * 1024;

export function registerReplay(program: Command): void {
  addDetectionFlags(
    program
      .command('replay')
      .description(
        'run the detector over CloudTrail log files (.json, .json.gz, JSON Lines, EventBridge events; - for stdin)',
      )
      .argument('<paths...>', 'files or directories (recursive), or - for stdin'),
  )
    .option('--json', 'print one JSON object per alert or overflow summary on stdout; summary on stderr')
    .action(async (paths: string[], opts: Record<string, unknown>) => {
      const config = loadConfig(process.env, overridesFrom(opts));
      const json = opts.json === true;
      const errors: InputError[] = [];
      const onError = (e: InputError) => {
        errors.push(e);
        process.stderr.write(`rsr: cannot read ${e.message}\n`);
      };

      let bar: SingleBar | undefined;
      if (process.stderr.isTTY && !paths.includes('-')) {
        const { bytes } = await countInputs(paths);
        if (bytes >= PROGRESS_MIN_BYTES) {
          bar = new SingleBar({
            format: 'reading {bar} {percentage}% | {value}/{total} MB',
            stream: process.stderr,
            hideCursor: true,
          });
          bar.start(Math.ceil(bytes / 1e6), 0);
        }
      }
      const out: string[] = [];
      const print = (n: Notification) => {
        if (json) process.stdout.write(`${JSON.stringify(n)}\n`);
        else out.push(formatNotification(n));
      };
      const result = await replay(
        readInputs(paths, {
          stdin: process.stdin,
          onError,
          onProgress: bar ? (done: number) => bar?.update(Math.floor(done / 1e6)) : undefined,
        }),
        config,
        { onNotification: print },
      );
      bar?.stop();
      const alerts = result.notifications.filter((n) => n.kind === 'alert').length;
      const overflows = result.notifications.length - alerts;
      const summary = formatSummary(result.stats, alerts, overflows, errors.length);
      if (json) process.stderr.write(`${summary}\n`);
      else {
        const header = `rsr replay: threshold ${config.threshold} in ${config.windowMinutes} min, count ${config.count}, group by ${config.groupBy}, preset ${config.preset}`;
        process.stdout.write([header, '', ...out.flatMap((b) => [b, '']), summary, ''].join('\n'));
      }
      process.exitCode = errors.length > 0 ? 1 : 0;
    });
}
