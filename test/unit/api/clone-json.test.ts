import { describe, expect, it } from 'vitest';
import { cloneJSON, clonePlain } from '../../../src/api/object.js';

describe('cloneJSON', () => {
  it('equals a JSON round trip and shares nothing mutable with its input', () => {
    const input = {
      metadata: { name: 'a', labels: { x: 'y' }, gone: undefined },
      spec: { list: [1, 'two', null, undefined, { deep: [true] }], n: 0, s: '' },
    };
    const copy = cloneJSON(input);
    expect(copy).toStrictEqual(JSON.parse(JSON.stringify(input)));
    expect('gone' in copy.metadata).toBe(false);
    copy.metadata.labels.x = 'changed';
    (copy.spec.list[4] as { deep: boolean[] }).deep.push(false);
    expect(input.metadata.labels.x).toBe('y');
    expect((input.spec.list[4] as { deep: boolean[] }).deep).toEqual([true]);
  });

  it('keeps a __proto__ key an own data property, as JSON.parse does', () => {
    const parsed = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as Record<string, unknown>;
    const copy = cloneJSON(parsed);
    expect(Object.prototype.hasOwnProperty.call(copy, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(JSON.stringify(copy)).toBe('{"__proto__":{"polluted":true},"a":1}');
  });
});

describe('clonePlain', () => {
  it('copies plain data as structuredClone does, undefined members kept', () => {
    const input = { a: { b: [1, { c: undefined }, null] }, d: undefined, e: 'x'.repeat(1000) };
    const copy = clonePlain(input);
    expect(copy).toStrictEqual(structuredClone(input));
    expect('d' in copy).toBe(true);
    (copy.a.b[1] as { c?: number }).c = 1;
    expect((input.a.b[1] as { c?: number }).c).toBeUndefined();
    const parsed = JSON.parse('{"__proto__":{"x":1}}') as object;
    expect(Object.prototype.hasOwnProperty.call(clonePlain(parsed), '__proto__')).toBe(true);
    const when = { at: new Date(0) };
    expect(clonePlain(when).at).toEqual(new Date(0));
    expect(clonePlain(when).at).not.toBe(when.at);
  });
});
