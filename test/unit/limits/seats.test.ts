// How many seats of the tenant's concurrency a request takes: wide for collection work and for big
// bodies, so a tenant's heavy requests cannot fill the shared event loop many at a time.
import { describe, expect, it } from 'vitest';
import { parseRequestInfo } from '../../../src/api/request-info.js';
import { seatsOf } from '../../../src/limits/fairness.js';

const info = (method: string, path: string) => parseRequestInfo(method, path);

describe('request seats', () => {
  it('gives a plain read or small write one seat and a list or deletecollection four', () => {
    expect(seatsOf(info('GET', '/api/v1/namespaces/a/configmaps/x'), undefined)).toBe(1);
    expect(seatsOf(info('POST', '/api/v1/namespaces/a/configmaps'), '2048')).toBe(1);
    expect(seatsOf(info('GET', '/api/v1/namespaces/a/configmaps'), undefined)).toBe(4);
    expect(seatsOf(info('DELETE', '/api/v1/namespaces/a/configmaps'), '0')).toBe(4);
  });

  it('widens a write by its declared body size, a seat per started 512 KiB', () => {
    const create = info('POST', '/apis/big.example.com/v1/namespaces/a/blobs');
    expect(seatsOf(create, String(512 * 1024))).toBe(1);
    expect(seatsOf(create, String(512 * 1024 + 1))).toBe(2);
    expect(seatsOf(create, String(3 * 1024 * 1024))).toBe(6);
  });

  it('ignores a Content-Length that is not a size', () => {
    const create = info('POST', '/api/v1/namespaces/a/configmaps');
    for (const v of ['', 'x', '-5', '1e400', '9007199254740993']) expect(seatsOf(create, v)).toBe(1);
  });
});
