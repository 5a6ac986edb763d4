/**
 * Runs `serverless package` (osls, the devDependency) offline: no credentials, no profile, telemetry and
 * notifications off, output into a temporary directory. Packaging resolves variables, bundles the functions with
 * esbuild and compiles the CloudFormation template; none of it needs an AWS account or the network.
 *
 * RSR_DEPLOY_SERVICE_DIR may point at another checkout of the project (e.g. a copy with placeholder handlers while
 * the real ones are being written); by default the repository itself is packaged.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import type { Template } from '../support/cloudformation';

export const REPO_ROOT = resolve(__dirname, '..', '..');

export interface Packaged {
  readonly serviceDir: string;
  readonly outputDir: string;
  readonly template: Template;
  readonly durationMs: number;
  /** File name (e.g. `ingest.zip`) -> size in bytes. */
  readonly zipSizes: Readonly<Record<string, number>>;
  readonly stdout: string;
  /** Removes the temporary directories (output and the empty HOME). */
  cleanup(): void;
}

/**
 * The environment packaging runs with: no AWS credentials or profile at all (an empty HOME hides ~/.aws), telemetry
 * and notifications off, and a proxy that goes nowhere, so that a client honouring proxy settings fails loudly
 * instead of reaching the network (best effort: not every client honours them).
 */
function offlineEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(AWS_|SLS_|SERVERLESS_)/.test(k) || /^(https?|all|no)_proxy$/i.test(k)) continue;
    env[k] = v;
  }
  return {
    ...env,
    HOME: home,
    USERPROFILE: home,
    AWS_CONFIG_FILE: join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_TRACKING_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_DEPRECATION_DISABLE: '*',
    SLS_INTERACTIVE_SETUP_DISABLE: '1',
    HTTP_PROXY: 'http://127.0.0.1:9',
    HTTPS_PROXY: 'http://127.0.0.1:9',
    CI: 'true',
  };
}

export async function packageService(params: Readonly<Record<string, string>>, stage = 'test'): Promise<Packaged> {
  const serviceDir = resolve(process.env.RSR_DEPLOY_SERVICE_DIR ?? REPO_ROOT);
  const outputDir = mkdtempSync(join(tmpdir(), 'rsr-package-'));
  const home = mkdtempSync(join(tmpdir(), 'rsr-home-'));
  const cleanup = () => {
    rmSync(outputDir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  };
  const cli = join(REPO_ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');
  const args = [cli, 'package', '--stage', stage, '--region', 'us-east-1', '--package', outputDir];
  for (const [name, value] of Object.entries(params)) args.push('--param', `${name}=${value}`);

  const started = Date.now();
  const stdout = await new Promise<string>((resolvePromise, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd: serviceDir, env: offlineEnv(home), maxBuffer: 16 * 1024 * 1024, timeout: 230_000 },
      (error, out, err) => {
        if (error) {
          cleanup();
          reject(new Error(`serverless package failed: ${error.message}\n${out}\n${err}`));
        } else resolvePromise(`${out}${err}`);
      },
    );
  });
  const durationMs = Date.now() - started;

  const template = JSON.parse(
    readFileSync(join(outputDir, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
  const zipSizes: Record<string, number> = {};
  for (const name of readdirSync(outputDir)) {
    if (name.endsWith('.zip')) zipSizes[name] = statSync(join(outputDir, name)).size;
  }
  return { serviceDir, outputDir, template, durationMs, zipSizes, stdout, cleanup };
}

/** Entries of a zip file (name -> uncompressed content), read from its central directory. Stored and deflated only. */
export function readZip(path: string): Map<string, Buffer> {
  const zip = readFileSync(path);
  const entries = new Map<string, Buffer>();
  // End of central directory: signature 0x06054b50, searched from the end (the comment is at most 64 KiB).
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65_535); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${path}: not a zip file`);
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error(`${path}: bad central directory`);
    const method = zip.readUInt16LE(p + 10);
    const compressedSize = zip.readUInt32LE(p + 20);
    const nameLength = zip.readUInt16LE(p + 28);
    const extraLength = zip.readUInt16LE(p + 30);
    const commentLength = zip.readUInt16LE(p + 32);
    const localHeader = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLength);
    const dataStart = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
    const raw = zip.subarray(dataStart, dataStart + compressedSize);
    if (method === 0) entries.set(name, Buffer.from(raw));
    else if (method === 8) entries.set(name, inflateRawSync(raw));
    else throw new Error(`${path}: ${name} uses compression method ${method}`);
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
