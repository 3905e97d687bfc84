import { describe, expect, it } from 'vitest';
import { parse as parseYAML } from 'yaml';
import { compareKubeAwareVersions } from '../../../src/discovery/kube-version.js';
import { negotiate, noConversion, parseAccept } from '../../../src/discovery/negotiate.js';
import { serveDiscovery } from '../../../src/discovery/serve-discovery.js';
import { tenantTable } from './fixtures.js';
import { get, parsedURL, startServer } from './http.js';

describe('Accept parsing and negotiation', () => {
  it('orders clauses as goautoneg does, by q and concrete before wildcard', () => {
    const clauses = parseAccept('*/*;q=0.5, application/json, text/plain;q=0.9');
    expect(clauses.map((c) => `${c.type}/${c.subType}`)).toEqual(['application/json', 'text/plain', '*/*']);
    expect(clauses[1]?.q).toBeCloseTo(0.9);
    // Go's Less lets a concrete q=0.9 type pass a q=1 wildcard; the insertion sort then decides.
    const odd = parseAccept('*/*;q=0.5, application/*, application/yaml;q=0.9, text/plain');
    expect(odd.map((c) => `${c.type}/${c.subType}`)).toEqual([
      'text/plain',
      'application/yaml',
      'application/*',
      '*/*',
    ]);
  });

  it('skips clauses asking for a conversion the endpoint does not allow', () => {
    expect(negotiate('application/json;as=Table;v=v1;g=meta.k8s.io', noConversion)).toBeUndefined();
    expect(
      negotiate('application/json;as=Table;v=v1;g=meta.k8s.io, application/yaml', noConversion)?.mediaType,
    ).toBe('application/yaml');
    expect(negotiate('application/json;stream=watch', noConversion)?.mediaType).toBe('application/json');
    expect(negotiate('application/yaml;stream=watch', noConversion)).toBeUndefined();
  });

  it('defaults to JSON without an Accept header and honours wildcards and pretty=1', () => {
    expect(negotiate(undefined, noConversion)?.mediaType).toBe('application/json');
    expect(negotiate('*/*', noConversion)?.mediaType).toBe('application/json');
    expect(negotiate('application/json;pretty=1', noConversion)?.pretty).toBe(true);
    expect(negotiate('text/html', noConversion)).toBeUndefined();
  });

  it('serves YAML when asked', async () => {
    const server = await startServer((req, res) => serveDiscovery(req, res, tenantTable(), parsedURL(req)));
    try {
      const r = await get(`${server.url}/apis/apps`, { Accept: 'application/yaml' });
      expect(r.headers.get('content-type')).toBe('application/yaml');
      expect(parseYAML(r.text)).toMatchObject({ kind: 'APIGroup', name: 'apps' });
    } finally {
      await server.close();
    }
  });
});

describe('Kubernetes-aware version order', () => {
  it('puts GA before beta before alpha, then higher numbers first', () => {
    const versions = ['v1alpha1', 'v2beta1', 'foo', 'v1', 'v1beta2', 'v2', 'bar', 'v1beta1', 'v10alpha3'];
    expect([...versions].sort((a, b) => compareKubeAwareVersions(b, a))).toEqual([
      'v2',
      'v1',
      'v2beta1',
      'v1beta2',
      'v1beta1',
      'v10alpha3',
      'v1alpha1',
      'bar',
      'foo',
    ]);
  });
});
