/**
 * The detector never reads a secret: no source file under lib/ or functions/ imports the Secrets Manager SDK, none of
 * the built bundles (both Lambdas and the CLI) contains it, and no dependency pulls it in. A regression here would
 * turn the detector into a principal that can read every secret its role is ever granted.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildSync } from 'esbuild';

const ROOT = join(__dirname, '..', '..');
/** What any use of the Secrets Manager SDK would leave in source or bundle text. */
const FORBIDDEN = [
  /client-secrets-manager/,
  /SecretsManagerClient/,
  /GetSecretValueCommand/,
  /BatchGetSecretValueCommand/,
  /SecretsManager\s*\(/,
  /aws-sdk\/clients\/secretsmanager/,
];

function filesUnder(dir: string, extensions: RegExp): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path, extensions));
    else if (extensions.test(name)) out.push(path);
  }
  return out;
}

function offences(text: string): string[] {
  return FORBIDDEN.filter((re) => re.test(text)).map(String);
}

describe('no Secrets Manager client', () => {
  let dir: string;
  let bundles: { name: string; text: string; inputs: string[] }[];

  beforeAll(() => {
    // Prepare: the two Lambdas and the CLI, bundled as they ship (everything inlined, the AWS SDK included).
    dir = mkdtempSync(join(tmpdir(), 'rsr-security-bundles-'));
    const result = buildSync({
      entryPoints: {
        ingest: join(ROOT, 'functions', 'ingest', 'handler.ts'),
        evaluate: join(ROOT, 'functions', 'evaluate', 'handler.ts'),
        cli: join(ROOT, 'lib', 'cli', 'main.ts'),
      },
      outdir: dir,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      metafile: true,
      logLevel: 'error',
    });
    bundles = Object.entries(result.metafile.outputs).map(([out, meta]) => ({
      name: relative(dir, join(ROOT, out)) || out,
      text: readFileSync(join(ROOT, out), 'utf8'),
      inputs: Object.keys(meta.inputs),
    }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is imported by no source file under lib/ and functions/', () => {
    // Prepare
    const sources = [
      ...filesUnder(join(ROOT, 'lib'), /\.[cm]?[jt]s$/),
      ...filesUnder(join(ROOT, 'functions'), /\.[cm]?[jt]s$/),
    ];
    // Assess
    expect(sources.length).toBeGreaterThan(20);
    for (const file of sources) {
      expect({ file: relative(ROOT, file), offences: offences(readFileSync(file, 'utf8')) }).toEqual({
        file: relative(ROOT, file),
        offences: [],
      });
    }
  });

  it('is in none of the built bundles (text and bundled inputs)', () => {
    // Assess
    expect(bundles.filter((b) => b.name.endsWith('.js'))).toHaveLength(3);
    for (const b of bundles.filter((x) => x.name.endsWith('.js'))) {
      expect({ bundle: b.name, offences: offences(b.text) }).toEqual({ bundle: b.name, offences: [] });
      expect(b.inputs.filter((i) => /secrets-manager|secretsmanager/i.test(i))).toEqual([]);
      // The bundles do carry the SDK clients they need, so the scan is looking at the right text.
      expect(b.inputs.some((i) => i.includes('@aws-sdk/client-dynamodb'))).toBe(true);
    }
  });

  it('is not a dependency, direct or locked', () => {
    // Prepare
    const pkg = readFileSync(join(ROOT, 'package.json'), 'utf8');
    const lock = readFileSync(join(ROOT, 'package-lock.json'), 'utf8');
    // Assess
    expect(offences(pkg)).toEqual([]);
    expect(offences(lock)).toEqual([]);
  });
});
