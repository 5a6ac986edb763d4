/**
 * `rsr`: the command line. Exit codes: 0 success (alerts or not), 1 unreadable input (after processing the rest),
 * 2 usage or configuration error (the message names the option and the accepted values).
 */
import { isMainThread } from 'node:worker_threads';
import { Command, CommanderError } from 'commander';
import { ConfigError, PublishError, StoreError } from '../engine/errors';
import { registerAws } from './aws';
import { registerRedrive } from './redrive';
import { registerReplay } from './replay';
import { registerTune } from './tune';

export const EXIT = { ok: 0, input: 1, usage: 2 } as const;

export function buildProgram(): Command {
  const program = new Command('rsr')
    .description('Rapid secret retrieval detector for AWS Secrets Manager (MITRE ATT&CK T1555.006)')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  registerReplay(program);
  registerTune(program);
  registerAws(program);
  registerRedrive(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
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
      process.stderr.write(`rsr: ${error.message}\n`);
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
    process.stderr.write(`rsr: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT.input;
  }
}

// A read worker loads this same file (lib/usecases/replay-workers.ts): it must not run a command.
if (require.main === module && isMainThread) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
