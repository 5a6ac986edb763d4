/** Input reading shared by the commands that read CloudTrail files (replay, tune): errors and the progress bar. */
import { SingleBar } from 'cli-progress';
import { countInputs, type InputItem, readInputs, STDIN_PATH } from '../adapters/io/read';
import type { InputError } from '../engine/errors';
import { EXIT } from './exit';

/** Show a progress bar only on a terminal and when the input is big enough for it to matter. */
const PROGRESS_MIN_BYTES = 20 * 1024 * 1024;

export interface CliInputs {
  readonly items: AsyncGenerator<InputItem, void, undefined>;
  /** Inputs that could not be read (already reported on stderr); the command exits 1 when there are any. */
  readonly errors: InputError[];
  /** Stops the progress bar, if one is shown. */
  done(): void;
}

export async function openInputs(paths: readonly string[]): Promise<CliInputs> {
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
  const items = readInputs(paths, {
    stdin: process.stdin,
    onError,
    onProgress: bar ? (done: number) => bar?.update(Math.floor(done / 1e6)) : undefined,
  });
  return { items, errors, done: () => bar?.stop() };
}

/**
 * Nothing read is not "no alerts": a mistyped or empty directory must not look like a quiet week. Names what was
 * searched and how many inputs were found there, and returns the documented exit status.
 */
export async function warnNoRecords(paths: readonly string[]): Promise<number> {
  const files = paths.includes(STDIN_PATH) ? undefined : (await countInputs(paths)).inputs;
  const searched = paths.map((p) => (p === STDIN_PATH ? '- (stdin)' : p)).join(', ');
  const found =
    files === undefined
      ? ''
      : ` (${files} input file${files === 1 ? '' : 's'} found; directories are searched for .json, .jsonl and .ndjson files, optionally .gz)`;
  process.stderr.write(`rsr: warning: no CloudTrail records read from ${searched}${found}\n`);
  return EXIT.noRecords;
}
