/**
 * Behaviour lock: `rsr replay --json` on the bundled sample and on every CloudTrail fixture under each preset, plus
 * the human output of `rsr replay sample` (what `npm start` prints), compared with committed golden output.
 * A change of behaviour must be deliberate: regenerate with `UPDATE_GOLDEN=1 npx jest test/golden` and review the diff.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliBundle, ROOT } from '../support/cli';

const PRESETS = ['elastic-2024', 'elastic-2025', 'recommended'] as const;
const FIXTURE_DIRS = ['cases', 'presets', 'stratus-red-team', 'input', 'qualify'];
const GOLDEN = join(ROOT, 'test/fixtures/golden/replay.json');

function inputs(): string[] {
  const files = ['sample'];
  for (const dir of FIXTURE_DIRS) {
    const abs = join(ROOT, 'test/fixtures', dir);
    for (const name of readdirSync(abs).sort()) {
      if (/\.(json|jsonl)$/.test(name)) files.push(`test/fixtures/${dir}/${name}`);
    }
  }
  return files;
}

/** Runs every (preset, input) pair in one child process, capturing what each run writes and its exit code. */
function runAll(runs: readonly { key: string; args: string[] }[]): Record<string, unknown> {
  const script = `
    const cli = require(${JSON.stringify(cliBundle())});
    const runs = ${JSON.stringify(runs)};
    const realOut = process.stdout.write.bind(process.stdout);
    (async () => {
      const results = {};
      for (const run of runs) {
        let stdout = '';
        let stderr = '';
        process.stdout.write = (c) => { stdout += c; return true; };
        process.stderr.write = (c) => { stderr += c; return true; };
        process.exitCode = undefined;
        const code = await cli.main(run.args);
        process.stdout.write = realOut;
        results[run.key] = { code, stdout, stderr };
      }
      process.exitCode = 0;
      realOut(JSON.stringify(results));
    })();`;
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(RSR_|THRESHOLD|WINDOW_|COUNT|GROUP_BY|EXCEPTIONS)/.test(k)) delete env[k];
  const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, env, maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`golden runner failed: ${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString());
}

it('replay output on the sample and every fixture is unchanged under every preset', () => {
  const runs = [{ key: 'human sample', args: ['replay', 'sample'] }];
  for (const preset of PRESETS) {
    for (const file of inputs())
      runs.push({ key: `${preset} ${file}`, args: ['replay', file, '--json', '--preset', preset] });
  }
  const actual = runAll(runs);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(GOLDEN)) {
    writeFileSync(GOLDEN, `${JSON.stringify(actual, null, 1)}\n`);
  }
  const expected = JSON.parse(readFileSync(GOLDEN, 'utf8'));
  expect(actual).toEqual(expected);
}, 180_000);
