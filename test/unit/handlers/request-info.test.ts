import { describe, expect, it } from 'vitest';
import { parseRequestInfo } from '../../../src/api/request-info.js';

const p = (method: string, path: string, q = '') => parseRequestInfo(method, path, new URLSearchParams(q));

describe('parseRequestInfo', () => {
  it('parses verbs, groups, namespaces, names and subresources as RequestInfoFactory', () => {
    expect(p('GET', '/api/v1/namespaces/ns/pods')).toMatchObject({
      verb: 'list',
      apiPrefix: 'api',
      apiGroup: '',
      apiVersion: 'v1',
      namespace: 'ns',
      resource: 'pods',
      name: '',
      isResourceRequest: true,
    });
    expect(p('GET', '/api/v1/namespaces/ns/pods', 'watch=true')).toMatchObject({ verb: 'watch' });
    expect(p('GET', '/api/v1/namespaces/ns/pods', 'watch=false')).toMatchObject({ verb: 'list' });
    expect(p('GET', '/apis/apps/v1/watch/namespaces/ns/deployments/d')).toMatchObject({
      verb: 'watch',
      apiGroup: 'apps',
      namespace: 'ns',
      resource: 'deployments',
      name: 'd',
    });
    expect(p('PUT', '/apis/ex.com/v1/namespaces/ns/widgets/w/status')).toMatchObject({
      verb: 'update',
      subresource: 'status',
      name: 'w',
      parts: ['widgets', 'w', 'status'],
    });
    expect(p('DELETE', '/apis/ex.com/v1/widgets')).toMatchObject({
      verb: 'deletecollection',
      namespace: '',
      resource: 'widgets',
    });
    expect(p('PATCH', '/api/v1/namespaces/ns')).toMatchObject({
      verb: 'patch',
      resource: 'namespaces',
      name: 'ns',
      namespace: 'ns',
    });
    expect(p('PUT', '/api/v1/namespaces/ns/finalize')).toMatchObject({
      resource: 'namespaces',
      name: 'ns',
      subresource: 'finalize',
    });
    expect(p('GET', '/apis/ex.com/v1/widgets', 'labelSelector=a%3Db')).toMatchObject({
      verb: 'list',
      labelSelector: 'a=b',
    });
    expect(p('GET', '/apis/ex.com')).toMatchObject({ isResourceRequest: false, verb: 'get' });
    expect(p('GET', '/healthz')).toMatchObject({ isResourceRequest: false });
  });

  it('refuses path traversal segments after decoding once', () => {
    for (const path of [
      '/api/v1/namespaces/../pods',
      '/api/v1/namespaces/%2e%2e/pods',
      '/api/v1/namespaces/a%2Fb/pods',
      '/api/v1//pods',
      '/api/v1/namespaces/./pods',
    ]) {
      expect(() => p('GET', path), path).toThrow(/invalid path segment/);
    }
  });
});
