/**
 * `serverless package` with bad deploy parameters, as a user runs it: packaging stops with one line per problem,
 * naming each parameter as typed (`--param NAME`), and no stack trace. (The checks themselves are unit-tested through
 * infra/resolvers.js in resolvers.test.ts; this is the one real packaging run that proves what a person sees.)
 */
import { packageService } from './package-service';

test('each bad parameter is one line naming --param NAME, with no stack trace', async () => {
  // Act
  const error = await packageService({
    threshold: 'abc',
    alertEmail: 'not-an-email',
    ruleMaxRetryAttempts: '500',
    noEventsHours: '200',
    ingestBatchWindowSeconds: '0',
  }).then(
    (p) => {
      p.cleanup();
      return undefined;
    },
    (e: Error) => e,
  );
  // Assess
  const output = String(error?.message);
  // The helper's message carries stderr twice (in the child's error and on its own): count distinct lines.
  const errorLines = [...new Set(output.split('\n').filter((l) => l.startsWith('Error: ')))];
  expect(errorLines).toHaveLength(5);
  for (const name of ['threshold', 'alertEmail', 'ruleMaxRetryAttempts', 'noEventsHours', 'ingestBatchWindowSeconds']) {
    expect(errorLines.some((l) => l.includes(`--param ${name}=`))).toBe(true);
  }
  expect(output).not.toMatch(/^\s+at /m);
}, 120_000);
