/**
 * Figure 5, cold start: minified bundle size per function without the AWS SDK (built here with the build script's
 * options plus `external: ['@aws-sdk/*']`) and with it (the real `npm run build` output in dist/), and module init
 * time: `node -e "require(bundle)"` minus a bare `node -e ""`, runs interleaved, median of each.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { median, msSince } from './stats';

export interface BundleFigure {
  readonly fn: 'ingest' | 'evaluate';
  /** Minified bundle bytes without the AWS SDK (SDK left to the runtime). */
  readonly withoutSdkBytes: number;
  readonly withoutSdkGzipBytes: number;
  /** dist/<fn>/index.js from `npm run build` (SDK bundled), and gzipped (about what the deployment zip holds). */
  readonly withSdkBytes: number;
  readonly withSdkGzipBytes: number;
  /** Largest packages in the SDK-less bundle, bytes of output they contribute. */
  readonly topPackages: { readonly name: string; readonly bytes: number }[];
  /** Module init (require) time, median over runs, minus the bare node start. */
  readonly initWithSdkMs: number;
  readonly initWithoutSdkMs: number;
}

export interface ColdStartResult {
  readonly runs: number;
  readonly bareNodeMs: number;
  readonly functions: BundleFigure[];
}

const ENTRIES = { ingest: 'functions/ingest/handler.ts', evaluate: 'functions/evaluate/handler.ts' } as const;

/** The variables each module reads at init, as the deployed functions have them (plus a Region, as Lambda sets). */
const INIT_ENV: Record<string, string> = {
  TABLE_NAME: 'rapid-secret-retrieval-bench',
  TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:t',
  AWS_REGION: 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

function packageOf(input: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return m ? (m[1] as string) : 'rapid-secret-retrieval (lib, functions)';
}

function topPackages(metafile: Metafile): { name: string; bytes: number }[] {
  const by = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      by.set(packageOf(input), (by.get(packageOf(input)) ?? 0) + bytesInOutput);
    }
  }
  return [...by]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([name, bytes]) => ({ name, bytes }));
}

/** Wall time of one `node -e "<script>"` (process start to exit), in ms. */
function nodeRun(root: string, script: string): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-e', script], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...INIT_ENV },
    encoding: 'utf8',
  });
  const ms = msSince(start);
  if (r.status !== 0) throw new Error(`node -e ${script} failed: ${r.stderr}`);
  return ms;
}

export async function benchColdStart(root: string, outDir: string, runs: number): Promise<ColdStartResult> {
  const bundles: { fn: 'ingest' | 'evaluate'; external: string; metafile: Metafile }[] = [];
  for (const fn of ['ingest', 'evaluate'] as const) {
    const outfile = join(outDir, 'cold', `${fn}.js`);
    // The options of scripts/build.mjs for the functions, with the SDK left out.
    const result = await build({
      entryPoints: [join(root, ENTRIES[fn])],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      mainFields: ['module', 'main'],
      minify: true,
      legalComments: 'none',
      metafile: true,
      logLevel: 'warning',
      external: ['@aws-sdk/*'],
    });
    bundles.push({ fn, external: outfile, metafile: result.metafile });
  }

  // Interleaved: every round runs the bare start and each module once, so drift affects all alike.
  const scripts: Record<string, string> = { bare: '' };
  for (const b of bundles) {
    scripts[`${b.fn}:sdk`] = `require(${JSON.stringify(join(root, 'dist', b.fn, 'index.js'))})`;
    scripts[`${b.fn}:nosdk`] = `require(${JSON.stringify(b.external)})`;
  }
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(scripts).map((k) => [k, []]));
  for (const script of Object.values(scripts)) nodeRun(root, script); // warm the file cache
  for (let r = 0; r < runs; r++) {
    for (const [name, script] of Object.entries(scripts)) times[name]?.push(nodeRun(root, script));
  }
  const bare = median(times.bare ?? []);
  const functions = bundles.map((b): BundleFigure => {
    const withSdk = readFileSync(join(root, 'dist', b.fn, 'index.js'));
    const withoutSdk = readFileSync(b.external);
    return {
      fn: b.fn,
      withoutSdkBytes: statSync(b.external).size,
      withoutSdkGzipBytes: gzipSync(withoutSdk).byteLength,
      withSdkBytes: withSdk.byteLength,
      withSdkGzipBytes: gzipSync(withSdk).byteLength,
      topPackages: topPackages(b.metafile),
      initWithSdkMs: median(times[`${b.fn}:sdk`] ?? []) - bare,
      initWithoutSdkMs: median(times[`${b.fn}:nosdk`] ?? []) - bare,
    };
  });
  return { runs, bareNodeMs: bare, functions };
}
