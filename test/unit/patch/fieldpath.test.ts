// Golden FieldsV1 encodings, derived from structured-merge-diff v4.4.2 fieldpath/serialize.go and
// serialize-pe.go: members and children are merged in path-element order (field < key < value <
// index), a node that is both a member and a parent gets ".", list-map keys are sorted by name.
import { describe, expect, it } from 'vitest';
import { FieldSet, pathToString, type Path } from '../../../src/patch/index.js';
import { deserializePE, keyPE, serializePE } from '../../../src/patch/fieldpath.js';

const f = (field: string) => ({ field });

describe('fieldpath serialization', () => {
  it('encodes fields, list-map keys, set values and indices like the apiserver', () => {
    const containers: Path = [f('spec'), f('template'), f('spec'), f('containers')];
    const nginx = keyPE([['name', 'nginx']]);
    const port = keyPE([
      ['protocol', 'TCP'],
      ['containerPort', 80],
    ]);
    const set = FieldSet.of(
      [f('spec'), f('replicas')],
      [f('metadata'), f('finalizers'), { value: 'example.com/x' }],
      [...containers, nginx],
      [...containers, nginx, f('image')],
      [...containers, nginx, f('name')],
      [...containers, nginx, f('ports'), port],
      [...containers, nginx, f('ports'), port, f('containerPort')],
      [...containers, nginx, f('ports'), port, f('protocol')],
      [f('spec'), f('args'), { index: 0 }],
    );
    expect(JSON.stringify(set.toFieldsV1())).toBe(
      '{"f:metadata":{"f:finalizers":{"v:\\"example.com/x\\"":{}}},' +
        '"f:spec":{"f:args":{"i:0":{}},"f:replicas":{},"f:template":{"f:spec":{"f:containers":{' +
        '"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{},"f:name":{},"f:ports":{' +
        '"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{},"f:protocol":{}}}}}}}}}',
    );
  });

  it('round-trips through FieldsV1 and prints paths as conflicts show them', () => {
    const json = {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': {
        'f:containers': { 'k:{"name":"a"}': { '.': {}, 'f:image': {} } },
        'f:tags': { 'v:"x"': {} },
      },
      'z:unknown': {},
    };
    const set = FieldSet.fromFieldsV1(json);
    expect(set.paths().map(pathToString)).toEqual([
      '.metadata.labels',
      '.metadata.labels.app',
      '.spec.containers[name="a"]',
      '.spec.containers[name="a"].image',
      '.spec.tags[="x"]',
    ]);
    const { ['z:unknown']: _dropped, ...known } = json;
    expect(set.toFieldsV1()).toEqual(known);
  });

  it('escapes HTML characters in keys as Go does and parses them back', () => {
    const pe = keyPE([['name', 'a<b>&c']]);
    expect(serializePE(pe)).toBe('k:{"name":"a\\u003cb\\u003e\\u0026c"}');
    expect(deserializePE(serializePE(pe))).toEqual(pe);
  });

  it('set algebra: difference is leaf-wise, recursive difference drops subtrees', () => {
    const a = FieldSet.of([f('spec'), f('a')], [f('spec'), f('b'), f('c')]);
    const parent = FieldSet.of([f('spec'), f('b')]);
    expect(a.difference(parent).paths().map(pathToString)).toEqual(['.spec.a', '.spec.b.c']);
    expect(a.recursiveDifference(parent).paths().map(pathToString)).toEqual(['.spec.a']);
    expect(
      a
        .intersection(FieldSet.of([f('spec'), f('a')]))
        .paths()
        .map(pathToString),
    ).toEqual(['.spec.a']);
  });
});
