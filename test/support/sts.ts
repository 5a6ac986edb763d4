/**
 * A small local HTTP server speaking the STS query protocol, enough for GetCallerIdentity: the CLI records who mutes
 * from it. Answers every request with the configured caller, or with an STS error document when `fail` is set.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalSts {
  readonly endpoint: string;
  /** Actions received (form field Action), in order. */
  readonly actions: string[];
  fail: boolean;
  stop(): Promise<void>;
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export async function startSts(arn: string, account = '111122223333'): Promise<LocalSts> {
  const actions: string[] = [];
  const state = { fail: false };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      body += d;
    });
    req.on('end', () => {
      actions.push(new URLSearchParams(body).get('Action') ?? '');
      res.setHeader('content-type', 'text/xml');
      if (state.fail) {
        res.statusCode = 403;
        res.end(
          '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>' +
            '<Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message>' +
            '</Error><RequestId>local-1</RequestId></ErrorResponse>',
        );
        return;
      }
      res.end(
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
          `<Arn>${xmlEscape(arn)}</Arn><UserId>AIDALOCALSTSCALLER01</UserId><Account>${account}</Account>` +
          '</GetCallerIdentityResult><ResponseMetadata><RequestId>local-1</RequestId></ResponseMetadata>' +
          '</GetCallerIdentityResponse>',
      );
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    actions,
    get fail() {
      return state.fail;
    },
    set fail(v: boolean) {
      state.fail = v;
    },
    stop: () => new Promise<void>((done) => server.close(() => done())),
  };
}
