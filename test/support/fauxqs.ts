/**
 * Starts fauxqs (local SNS + SQS emulator) for tests, in a child process.
 *
 * Why a child process: fauxqs 1.9 is ESM-only and jest runs tests through a CommonJS transform, which cannot
 * `require` it. Why not its CLI (`fauxqs` bin / `dist/server.js`): `startFauxqs()` always listens on 0.0.0.0 (port
 * from FAUXQS_PORT, default 4566), while tests must stay on 127.0.0.1 with a free port. So the child imports the
 * package's `buildApp()` and listens on 127.0.0.1:0 itself, then reports the address on stdout.
 *
 * The child exits when its stdin closes, so a crashed or killed jest worker does not leave an emulator behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

export interface Fauxqs {
  /** e.g. http://127.0.0.1:49152 */
  readonly endpoint: string;
  stop(): Promise<void>;
}

export interface StartFauxqsOptions {
  /** How long to wait for the emulator to answer (cold start on a busy 2-core CI runner can take seconds). */
  readonly readyTimeoutMs?: number;
}

const REPO_ROOT = resolve(__dirname, '..', '..');
const READY_PREFIX = 'FAUXQS_READY ';
const DEFAULT_READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;

/** Runs in the child (ESM). Resolves `fauxqs` from the repository's node_modules (cwd). */
const CHILD_SCRIPT = `
const { buildApp } = await import('fauxqs');
const app = buildApp({ logger: false, defaultRegion: 'us-east-1' });
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(${JSON.stringify(READY_PREFIX)} + address + '\\n');
let closing = false;
const stop = () => {
  if (closing) return;
  closing = true;
  app.close().then(() => process.exit(0), () => process.exit(1));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
`;

function tail(text: string, max = 2000): string {
  return text.length > max ? `…${text.slice(-max)}` : text;
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  } catch {
    return false;
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((done) => {
    const timer = setTimeout(() => done(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      done(true);
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.stdin?.end();
  child.kill('SIGTERM');
  if (await waitForExit(child, STOP_TIMEOUT_MS)) return;
  child.kill('SIGKILL');
  await waitForExit(child, STOP_TIMEOUT_MS);
}

/** Starts a fresh emulator on 127.0.0.1 and a free port; rejects with the child's output if it does not come up. */
export async function startFauxqs(options: StartFauxqsOptions = {}): Promise<Fauxqs> {
  const timeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD_SCRIPT], {
    cwd: REPO_ROOT,
    env: { ...process.env, FAUXQS_LOGGER: 'false' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });

  const failure = (reason: string) =>
    new Error(
      `fauxqs did not start: ${reason}\n--- stdout ---\n${tail(stdout)}\n--- stderr ---\n${tail(stderr)}\n` +
        'Check that fauxqs is installed (node_modules/fauxqs) and that Node can run ESM from the repository root.',
    );

  let endpoint: string;
  try {
    endpoint = await new Promise<string>((resolveReady, reject) => {
      const timer = setTimeout(() => reject(failure(`no answer within ${timeoutMs} ms`)), timeoutMs);
      const settle = (fn: () => void) => {
        clearTimeout(timer);
        fn();
      };
      child.stdout?.on('data', (chunk: string) => {
        stdout += chunk;
        const line = stdout.split('\n').find((l) => l.startsWith(READY_PREFIX));
        if (line) settle(() => resolveReady(line.slice(READY_PREFIX.length).trim()));
      });
      child.once('error', (error) => settle(() => reject(failure(`spawn failed: ${error.message}`))));
      child.once('exit', (code, signal) =>
        settle(() => reject(failure(`process exited early (code ${code}, signal ${signal})`))),
      );
    });
    // The listen callback fired; confirm over HTTP before handing it out.
    const deadline = Date.now() + timeoutMs;
    while (!(await answers(endpoint))) {
      if (Date.now() > deadline) throw failure(`${endpoint}/health did not answer within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (error) {
    await stopChild(child);
    throw error;
  }

  child.stdout?.resume();
  return {
    endpoint,
    stop: () => stopChild(child),
  };
}
