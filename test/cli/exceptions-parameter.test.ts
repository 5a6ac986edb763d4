/**
 * `rsr replay` honours EXCEPTIONS_PARAMETER as the Lambdas do: it reads the exceptions document from SSM (here a
 * small local server speaking SSM's JSON protocol on 127.0.0.1, reached through the standard endpoint variable).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { rsrAsync } from '../support/cli';

const SAMPLE = join(__dirname, '..', '..', 'sample');
const PARAMETER = '/rsr/exceptions';
let parameters: Record<string, string> = {};
const requests: { target: string; body: Record<string, unknown> }[] = [];
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => {
      text += d.toString('utf8');
    });
    req.on('end', () => {
      const body = JSON.parse(text) as { Name: string };
      requests.push({ target: String(req.headers['x-amz-target']), body });
      const value = parameters[body.Name];
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (value === undefined) {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'ParameterNotFound', message: 'not found' }));
      } else {
        res.end(JSON.stringify({ Parameter: { Name: body.Name, Type: 'String', Value: value, Version: 1 } }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const env = () => ({
  EXCEPTIONS_PARAMETER: PARAMETER,
  AWS_ENDPOINT_URL_SSM: endpoint,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
});

test('without the parameter the sample alerts once', async () => {
  // Act
  const r = await rsrAsync(['replay', SAMPLE, '--json'], {});
  // Assess
  expect(r.code).toBe(0);
  expect(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).kind),
  ).toEqual(['alert', 'summary']);
});

test('reads the exceptions from SSM and applies them', async () => {
  // Prepare: except every principal (the arn pattern matches any IAM or STS ARN).
  parameters = { [PARAMETER]: JSON.stringify([{ arn: 'arn:aws:*' }]) };
  // Act
  const r = await rsrAsync(['replay', SAMPLE, '--json'], { env: env() });
  // Assess
  expect(r.code).toBe(0);
  expect(r.stdout.trim()).toBe('');
  expect(requests.at(-1)).toEqual({
    target: 'AmazonSSM.GetParameter',
    body: { Name: PARAMETER, WithDecryption: true },
  });
});

test('a parameter it cannot read fails with one line naming EXCEPTIONS_PARAMETER', async () => {
  // Prepare
  parameters = {};
  // Act
  const r = await rsrAsync(['replay', SAMPLE], { env: env() });
  // Assess
  expect(r.code).not.toBe(0);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain(`EXCEPTIONS_PARAMETER="${PARAMETER}" is not valid`);
});
