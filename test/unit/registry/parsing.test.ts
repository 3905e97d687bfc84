import { describe, expect, it } from 'vitest';
import { decodeContinue, encodeContinue } from '../../../src/api/continue-token.js';
import { matchesFields, parseFieldSelector } from '../../../src/api/field-selector.js';
import { matchesLabels, parseLabelSelector } from '../../../src/api/labels.js';
import { parseJSONStrict } from '../../../src/api/strict-json.js';

describe('label selectors', () => {
  const m = (sel: string, labels: Record<string, string>) => matchesLabels(parseLabelSelector(sel), labels);
  it('supports equality and set-based requirements', () => {
    expect(m('a=b,c!=d', { a: 'b' })).toBe(true);
    expect(m('a==b', { a: 'c' })).toBe(false);
    expect(m('env in (prod, dev),!legacy', { env: 'dev' })).toBe(true);
    expect(m('env notin (prod)', {})).toBe(true);
    expect(m('env', {})).toBe(false);
    expect(m('n>3', { n: '4' })).toBe(true);
    expect(m('n<3', { n: 'x' })).toBe(false);
    expect(m('', { a: 'b' })).toBe(true);
  });
  it('rejects bad syntax with 400', () => {
    for (const bad of ['a in b', 'a=b=c', '!', 'a in (b', 'x>y', 'bad key=1']) {
      expect(() => parseLabelSelector(bad), bad).toThrow(expect.objectContaining({ code: 400 }));
    }
  });
});

describe('field selectors', () => {
  it('parses =, ==, != with escapes', () => {
    const s = parseFieldSelector('metadata.name==a\\,b,spec.x!=y');
    expect(s).toEqual([
      { field: 'metadata.name', op: '=', value: 'a,b' },
      { field: 'spec.x', op: '!=', value: 'y' },
    ]);
    expect(matchesFields(s, { 'metadata.name': 'a,b', 'spec.x': 'z' })).toBe(true);
    expect(() => parseFieldSelector('nope')).toThrow(expect.objectContaining({ code: 400 }));
  });
});

describe('strict JSON', () => {
  it('reports duplicate keys with their paths; the last value wins', () => {
    const r = parseJSONStrict('{"a":1,"spec":{"l":[{"x":1,"x":2}],"b":1,"b":2},"a":3}');
    expect(r.value).toEqual({ a: 3, spec: { l: [{ x: 2 }], b: 2 } });
    expect(r.duplicates).toEqual(['spec.l[0].x', 'spec.b', 'a']);
    expect(() => parseJSONStrict('{"a":}')).toThrow();
    expect(parseJSONStrict('{"__proto__":{"x":1}}').value).toHaveProperty('__proto__');
  });
  it('reads strings with escaped quotes and runs of backslashes as JSON.parse does', () => {
    const obj = {
      a: 'q"u\\"o\\\\',
      'k\\': ['\\', '"', 'x'.repeat(100_000) + '\\"'],
      [`"${'\\'.repeat(3)}`]: 1,
    };
    const text = JSON.stringify(obj);
    expect(parseJSONStrict(text)).toEqual({ value: obj, duplicates: [] });
    expect(() => parseJSONStrict('{"a":"unterminated\\"}')).toThrow(/unterminated string/);
  });
});

describe('continue tokens', () => {
  it('round-trips the apiserver format and refuses tampering', () => {
    const t = encodeContinue({ rv: 42, start: 'ns/name' });
    expect(JSON.parse(Buffer.from(t, 'base64url').toString())).toEqual({
      v: 'meta.k8s.io/v1',
      rv: 42,
      start: 'ns/name\u0000',
    });
    expect(decodeContinue(t)).toEqual({ rv: 42, start: 'ns/name' });
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    expect(() => decodeContinue(enc({ v: 'meta.k8s.io/v1', rv: 3, start: '' }))).toThrow(
      'invalid continue token: continue key is not valid: encoded start key empty (version meta.k8s.io/v1)',
    );
    expect(() => decodeContinue(enc({ v: 'x', rv: 3, start: 'a' }))).toThrow(
      'server does not recognize this encoded version',
    );
    expect(() => decodeContinue(enc({ v: 'meta.k8s.io/v1', rv: 3, start: '../x' }))).toThrow(
      /continue key is not valid/,
    );
    expect(() => decodeContinue('!!!')).toThrow(expect.objectContaining({ code: 400 }));
  });
});
