/**
 * A local DynamoDB (dynalite, in memory) for the store tests. jest's globalSetup starts one server for the whole run
 * and publishes it through AWS_ENDPOINT_URL_DYNAMODB, the SDK's standard variable, so DynamoDBClient finds it without
 * any test-only configuration. A test file run outside that setup starts its own server (see `useDynalite`).
 */
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { createTable } from '../../lib/adapters/store/create-table';

export const ENDPOINT_VARIABLE = 'AWS_ENDPOINT_URL_DYNAMODB';

export interface RunningDynalite {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Starts dynalite on a free 127.0.0.1 port (the CLI's `--port 0` would silently take 4567). */
export async function startDynalite(): Promise<RunningDynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections(); // keep-alive sockets of SDK clients would hold close() open
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

let own: RunningDynalite | undefined;

/**
 * Makes sure an endpoint is set for this test file: the global one, or a server of its own that is closed after the
 * file's tests. Call at the top level of a test file.
 */
export function useDynalite(): void {
  beforeAll(async () => {
    if (process.env[ENDPOINT_VARIABLE]) return;
    own = await startDynalite();
    process.env[ENDPOINT_VARIABLE] = own.endpoint;
  });
  afterAll(async () => {
    if (!own) return;
    await own.close();
    delete process.env[ENDPOINT_VARIABLE];
    own = undefined;
  });
}

/** A client for the test endpoint (the SDK reads AWS_ENDPOINT_URL_DYNAMODB itself; credentials are dummies). */
export function testClient(): DynamoDBClient {
  if (!process.env[ENDPOINT_VARIABLE]) throw new Error(`${ENDPOINT_VARIABLE} is not set: call useDynalite()`);
  return new DynamoDBClient({ maxAttempts: 1 });
}

let tables = 0;

/** A table name no other test (or jest worker) uses. */
export function uniqueTableName(prefix = 'rsr'): string {
  tables += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${tables}`;
}

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** Creates a fresh table with the store's definition and returns its name. */
export async function freshTable(client: DynamoDBClient, prefix?: string): Promise<string> {
  const name = uniqueTableName(prefix);
  await createTable(client, name, { log: quiet, pollMs: 10 });
  return name;
}
