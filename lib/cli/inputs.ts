import { existsSync } from 'node:fs';
/** Input reading shared by the commands that read CloudTrail files (replay, tune): errors, workers, the progress bar. */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { countInputs, type SkippedFile } from '../adapters/io/read';
import { ConfigError, type InputError } from '../engine/errors';
import type { ReplayItem } from '../usecases/replay';
import { readInputsFast } from '../usecases/replay-workers';

/** Show a progress bar only on a terminal and when the input is big enough for it to matter. */
const PROGRESS_MIN_BYTES = 20 * 1024 * 1024;
/** Skipped files named one by one on stderr; beyond this, only counted (a bucket dump may hold thousands). */
const SKIPPED_FILES_SHOWN = 10;
const MAX_WORKERS = 64;

export interface CliInputs {
  readonly items: AsyncGenerator<ReplayItem, void, undefined>;
  /** Inputs that could not be read (already reported on stderr); the command exits 1 when there are any. */
  readonly errors: InputError[];
  /** Stops the progress bar, if one is shown; `received` records read: warns when nothing was read. */
  done(received?: number): void;
}

/**
 * Reports the files a directory walk did not read, on stderr: files whose content is not JSON by name (the first
 * few, then a count), files passed over for their extension as one line per run (a bucket dump may hold thousands
 * of them); and warns when no record was read at all.
 */
export function skipReporter(paths: readonly string[]) {
  let sniffed = 0;
  const byExtension = new Map<string, number>();
  let example: string | undefined;
  return {
    onSkippedFile(file: SkippedFile): void {
      const ext = /^extension not read \(([^;]*);/.exec(file.reason);
      if (ext) {
        byExtension.set(ext[1] as string, (byExtension.get(ext[1] as string) ?? 0) + 1);
        example ??= file.path;
        return;
      }
      sniffed += 1;
      if (sniffed <= SKIPPED_FILES_SHOWN) process.stderr.write(`rsr: skipped ${file.path}: ${file.reason}\n`);
    },
    finish(received: number | undefined): void {
      const more = sniffed - SKIPPED_FILES_SHOWN;
      if (more > 0) process.stderr.write(`rsr: skipped ${more} more files that do not hold JSON\n`);
      const total = [...byExtension.values()].reduce((a, b) => a + b, 0);
      if (total > 0) {
        const kinds = [...byExtension].map(([e, n]) => `${e} ${n}`).join(', ');
        process.stderr.write(
          `rsr: not read by extension: ${total} file${total === 1 ? '' : 's'} (${kinds}), e.g. ${example}; reads .json, .jsonl, .ndjson, .gz or no extension\n`,
        );
      }
      if (received === 0) {
        const why = sniffed + total > 0 ? ` (${sniffed + total} files skipped, see above)` : '';
        process.stderr.write(`rsr: warning: no CloudTrail records read from ${paths.join(' ')}${why}\n`);
      }
    },
  };
}

export function addInputFlags(cmd: Command): Command {
  return cmd.option(
    '--workers <n>',
    `threads reading files, 0 to read in the main thread (default: one per CPU, at most ${MAX_WORKERS})`,
  );
}

function parseWorkers(raw: unknown): number {
  if (raw === undefined) return Math.min(MAX_WORKERS, availableParallelism());
  const text = String(raw).trim();
  const n = Number(text);
  if (text === '' || !Number.isInteger(n) || n < 0 || n > MAX_WORKERS) {
    throw new ConfigError('--workers', raw, `an integer from 0 to ${MAX_WORKERS}`);
  }
  return n;
}

/**
 * The script read workers load: the small worker bundle built beside the CLI (dist/read-worker.js), or else the
 * bundled CLI itself (which serves reads too when loaded as a worker). From TypeScript sources it reads in-thread.
 */
const WORKER_SCRIPT = !__filename.endsWith('.js')
  ? undefined
  : existsSync(join(__dirname, 'read-worker.js'))
    ? join(__dirname, 'read-worker.js')
    : __filename;

export async function openInputs(paths: readonly string[], opts: Record<string, unknown> = {}): Promise<CliInputs> {
  const workers = parseWorkers(opts.workers);
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
  const report = skipReporter(paths);
  const items = readInputsFast(paths, {
    stdin: process.stdin,
    onError,
    onSkippedFile: report.onSkippedFile,
    onProgress: bar ? (done: number) => bar?.update(Math.floor(done / 1e6)) : undefined,
    workers,
    workerScript: WORKER_SCRIPT,
    // Asked for explicitly: use them whatever the input size.
    ...(opts.workers !== undefined ? { minWorkerBytes: 0 } : {}),
  });
  return {
    items,
    errors,
    done: (received) => {
      bar?.stop();
      report.finish(received);
    },
  };
}
