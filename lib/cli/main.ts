/** `rsr`: the command line. Exit statuses are in ./exit.ts. */
import { isMainThread } from 'node:worker_threads';
import { Command, CommanderError } from 'commander';
import { version } from '../../package.json';
import { ConfigError, PublishError, StoreError } from '../engine/errors';
import { registerAws } from './aws';
import { EXIT } from './exit';
import { registerMutes } from './mutes';
import { registerRedrive } from './redrive';
import { registerReplay } from './replay';
import { registerAthenaSql } from './sources';
import { registerTune } from './tune';

export { EXIT } from './exit';

/** The package version, bundled in at build time so the installed CLI reports what it is. */
export const VERSION: string = version;

export function buildProgram(): Command {
  const program = new Command('rsr')
    .description('Rapid secret retrieval detector for AWS Secrets Manager (MITRE ATT&CK T1555.006)')
    .version(VERSION, '-V, --version', 'print the version and exit')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  registerReplay(program);
  registerTune(program);
  registerAws(program);
  registerMutes(program);
  registerRedrive(program);
  registerAthenaSql(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length === 0) {
    // A bare `rsr` is a usage error like any other: usage goes to stderr, never to a pipe reading stdout.
    program.outputHelp({ error: true });
    return EXIT.usage;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      ) {
        return EXIT.ok;
      }
      return EXIT.usage;
    }
    if (error instanceof ConfigError) {
      // A missing value has nothing to quote: say what is required rather than print `=undefined`.
      const text =
        error.value === undefined ? `${error.variable} is required: expected ${error.accepted}` : error.message;
      process.stderr.write(`rsr: ${text}\n`);
      return EXIT.usage;
    }
    if (error instanceof StoreError || error instanceof PublishError) {
      // An AWS call failed: say which, and why, without a stack trace.
      const cause = error.cause as { name?: string; message?: string } | undefined;
      process.stderr.write(
        `rsr: ${error.message}${cause ? `: ${cause.name ?? 'Error'}: ${cause.message ?? ''}` : ''}\n`,
      );
      return EXIT.input;
    }
    const missing = missingModule(error);
    if (missing) {
      // Only a production install (`npm ci --omit=dev`) lacks a module the bundle left out: name it, no stack.
      process.stderr.write(`rsr: this command needs ${missing}, which this installation does not include\n`);
      return EXIT.usage;
    }
    process.stderr.write(`rsr: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT.input;
  }
}

function missingModule(error: unknown): string | undefined {
  const e = error as { code?: unknown; message?: unknown };
  if (e?.code !== 'MODULE_NOT_FOUND' || typeof e.message !== 'string') return undefined;
  return /Cannot find module '([^']+)'/.exec(e.message)?.[1];
}

// A read worker loads this same file (lib/usecases/replay-workers.ts): it must not run a command.
if (require.main === module && isMainThread) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
