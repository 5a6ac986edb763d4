/**
 * A TCP proxy on 127.0.0.1 in front of a local server, for fault injection: pass traffic through, refuse
 * connections (as if the service were down), or answer every HTTP request with a given status and body (5xx,
 * DynamoDB throttling). Only loopback addresses are involved.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export type FaultMode =
  | { readonly kind: 'pass' }
  | { readonly kind: 'refuse' }
  | {
      readonly kind: 'http';
      readonly status: number;
      readonly body: string;
      readonly headers?: Record<string, string>;
    };

export interface FaultProxy {
  readonly endpoint: string;
  mode: FaultMode;
  /** Requests answered with a fault or refused since start. */
  readonly faults: number;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const url = new URL(target);
  const sockets = new Set<Socket>();
  let faults = 0;
  const state: { mode: FaultMode } = { mode: { kind: 'pass' } };
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    const mode = state.mode;
    if (mode.kind === 'refuse') {
      faults++;
      client.resetAndDestroy();
      return;
    }
    if (mode.kind === 'http') {
      client.once('data', () => {
        faults++;
        const headers = { 'content-type': 'application/x-amz-json-1.0', ...mode.headers };
        const head = Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('');
        client.end(
          `HTTP/1.1 ${mode.status} Fault\r\n${head}content-length: ${Buffer.byteLength(mode.body)}\r\nconnection: close\r\n\r\n${mode.body}`,
        );
      });
      return;
    }
    const upstream = connect(Number(url.port), url.hostname);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get mode() {
      return state.mode;
    },
    set mode(m: FaultMode) {
      state.mode = m;
      // Kept-alive connections would bypass the new mode: drop them.
      for (const s of sockets) s.destroy();
    },
    get faults() {
      return faults;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export const THROTTLED: FaultMode = {
  kind: 'http',
  status: 400,
  body: JSON.stringify({
    __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    message: 'The level of configured provisioned throughput for the table was exceeded.',
  }),
};

export const SERVER_ERROR: FaultMode = {
  kind: 'http',
  status: 500,
  body: JSON.stringify({
    __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
    message: 'Internal server error',
  }),
};
