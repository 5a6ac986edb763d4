/**
 * Small local HTTP servers speaking just enough of two AWS protocols for the backtest sources:
 * - the JSON protocol (awsJson1_1: POST /, `X-Amz-Target: <Service>.<Operation>`, JSON in and out, errors as
 *   `{"__type": ..., "message": ...}` with a 4xx status), for CloudTrail LookupEvents and Athena;
 * - S3's REST GETs used to read UNLOAD output: ListObjectsV2 (`GET /bucket?list-type=2&prefix=`) and GetObject
 *   (`GET /bucket/key`), path-style.
 * Only 127.0.0.1; every request is recorded for the tests to inspect.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type JsonReply = { status?: number; body: unknown };
export type JsonHandler = (operation: string, input: Record<string, unknown>) => JsonReply | Promise<JsonReply>;

export interface LocalServer {
  readonly url: string;
  readonly requests: { operation: string; input: Record<string, unknown> }[];
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function listen(server: Server, requests: LocalServer['requests']): Promise<LocalServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A JSON-protocol service; `handler` answers each operation. */
export function startJsonService(handler: JsonHandler): Promise<LocalServer> {
  const requests: LocalServer['requests'] = [];
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.slice(target.lastIndexOf('.') + 1);
    const text = (await readBody(req)).toString('utf8');
    const input = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    requests.push({ operation, input });
    const reply = await handler(operation, input);
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify(reply.body));
  });
  return listen(server, requests);
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** S3 path-style GETs over `objects` ("bucket/key" -> body). */
export function startS3(objects: Map<string, Buffer>): Promise<LocalServer> {
  const requests: LocalServer['requests'] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    if (req.method === 'GET' && key === '' && url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? '';
      requests.push({ operation: 'ListObjectsV2', input: { bucket, prefix } });
      const keys = [...objects.keys()]
        .filter((k) => k.startsWith(`${bucket}/${prefix}`))
        .map((k) => k.slice(bucket.length + 1));
      const contents = keys
        .map((k) => `<Contents><Key>${xml(k)}</Key><Size>${objects.get(`${bucket}/${k}`)?.length}</Size></Contents>`)
        .join('');
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${xml(bucket)}</Name><Prefix>${xml(prefix)}</Prefix><KeyCount>${keys.length}</KeyCount><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`,
      );
      return;
    }
    requests.push({ operation: 'GetObject', input: { bucket, key } });
    const body = objects.get(`${bucket}/${key}`);
    if (req.method !== 'GET' || body === undefined) {
      res.writeHead(404, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0"?><Error><Code>NoSuchKey</Code><Message>not found</Message></Error>');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  });
  return listen(server, requests);
}
