#!/usr/bin/env node
// Entry point of the `rsr` command: runs the bundled CLI (built by `npm run build`, which `npm install` runs).

let cli;
try {
  cli = require('../dist/cli.js');
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes('dist/cli.js')) {
    process.stderr.write('rsr: the CLI is not built yet; run `npm run build` first\n');
    process.exit(2);
  }
  throw error;
}
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
