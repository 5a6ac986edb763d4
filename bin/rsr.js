#!/usr/bin/env node
// Entry point of the `rsr` command: runs the bundled CLI (dist/cli.js, built by `npm run build`, which `npm install`
// and `npm ci` run through `prepare`, and shipped prebuilt in the `npm pack` tarball).

// The AWS SDK warns, on every command that calls AWS, that its releases after early 2027 will need Node 22. That
// concerns the SDK's future upgrades, not this CLI (which bundles a fixed SDK and supports Node >= 20; see README),
// so it is silenced unless the user set the variable themselves. It must be set before the SDK loads.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let cli;
try {
  cli = require('../dist/cli.js');
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes('dist/cli.js')) {
    process.stderr.write(
      'rsr: the CLI is not built (dist/cli.js is missing); in the checkout run `npm ci` then `npm run build`\n',
    );
    process.exit(2);
  }
  throw error;
}
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
