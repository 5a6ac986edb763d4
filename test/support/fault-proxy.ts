/**
 * An HTTP proxy on 127.0.0.1 that decides per request what happens to it: pass it on, answer with an error status,
 * reset the connection, or pass it on and then cut the connection before the answer reaches the caller (the request
 * took effect, the caller sees a network error: the ambiguous case a timeout produces). It sees each request, so a
 * fault can target one DynamoDB operation (X-Amz-Target) or hit requests at random. The one fault proxy of the tests;
 * only loopback addresses are involved.
 */
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** DynamoDB operation (`UpdateItem`, `Query`, ...) from X-Amz-Target, when present. */
  readonly operation: string | undefined;
}

export type Decision =
  | 'pass'
  | 'reset'
  | 'drop-response'
  | { readonly status: number; readonly body: string; readonly headers?: Record<string, string> };

export interface HttpFaultProxy {
  readonly endpoint: string;
  /** Decides the fate of each request; replace it at any time. */
  decide: (request: ProxiedRequest) => Decision;
  /** Requests that got something other than `pass`, by kind. */
  readonly faults: { status: number; reset: number; dropResponse: number };
  close(): Promise<void>;
}

export const passAll = (): Decision => 'pass';

export async function startHttpFaultProxy(target: string): Promise<HttpFaultProxy> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  const faults = { status: 0, reset: 0, dropResponse: 0 };
  const state: { decide: (r: ProxiedRequest) => Decision } = { decide: passAll };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const targetHeader = req.headers['x-amz-target'];
      const info: ProxiedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: body.toString('utf8'),
        operation: typeof targetHeader === 'string' ? targetHeader.split('.').pop() : undefined,
      };
      const decision = state.decide(info);
      if (decision === 'reset') {
        faults.reset++;
        req.socket.destroy();
        return;
      }
      if (typeof decision === 'object') {
        faults.status++;
        res.writeHead(decision.status, {
          'content-type': 'application/x-amz-json-1.0',
          connection: 'close',
          ...decision.headers,
        });
        res.end(decision.body);
        return;
      }
      const forward = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          if (decision === 'drop-response') {
            // Let the upstream finish the request, then cut the caller off before any byte of the answer.
            answer.resume();
            answer.on('end', () => {
              faults.dropResponse++;
              req.socket.destroy();
            });
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => req.socket.destroy());
      forward.end(body);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get decide() {
      return state.decide;
    },
    set decide(fn: (r: ProxiedRequest) => Decision) {
      state.decide = fn;
    },
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A small deterministic generator (mulberry32), so that a random fault schedule can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** DynamoDB's throttling answer. */
export const THROTTLED: Decision = {
  status: 400,
  body: JSON.stringify({
    __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    message: 'The level of configured provisioned throughput for the table was exceeded.',
  }),
};

/** A DynamoDB server error. */
export const SERVER_ERROR: Decision = {
  status: 500,
  body: JSON.stringify({
    __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
    message: 'Internal server error',
  }),
};
