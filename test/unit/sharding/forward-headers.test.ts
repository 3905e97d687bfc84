import { describe, expect, it } from 'vitest';
import {
  forwardedRequestHeaders,
  forwardedResponseHeaders,
  switchingHead,
} from '../../../src/sharding/forward-headers.js';

describe('forwarded headers', () => {
  it("keeps the client's headers, drops hop-by-hop ones and a client's own forwarding headers", () => {
    const out = forwardedRequestHeaders(
      {
        authorization: 'Bearer t',
        'impersonate-user': 'bob',
        connection: 'keep-alive, x-drop',
        'x-drop': '1',
        host: 'a',
        'transfer-encoding': 'chunked',
        'kplex-forwarded-client-cert': 'forged',
        'kplex-forwarded-by': 'forged',
      },
      'r0',
      undefined,
      false,
    );
    expect(out).toEqual({ authorization: 'Bearer t', 'impersonate-user': 'bob', 'kplex-forwarded-by': 'r0' });
  });

  it("carries the client's certificate and the upgrade it asked for", () => {
    const out = forwardedRequestHeaders(
      { connection: 'Upgrade', upgrade: 'SPDY/3.1' },
      'r0',
      Buffer.from('der'),
      true,
    );
    expect(out).toMatchObject({
      connection: 'Upgrade',
      upgrade: 'SPDY/3.1',
      'kplex-forwarded-client-cert': Buffer.from('der').toString('base64'),
    });
  });

  it("returns the owner's response headers without hop-by-hop ones, and its 101 head as sent", () => {
    expect(
      forwardedResponseHeaders({ 'content-type': 'a', connection: 'close', 'retry-after': '1' }),
    ).toEqual({
      'content-type': 'a',
      'retry-after': '1',
    });
    expect(switchingHead('Switching Protocols', ['Upgrade', 'SPDY/3.1', 'Connection', 'Upgrade'])).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nConnection: Upgrade\r\n\r\n',
    );
  });
});
