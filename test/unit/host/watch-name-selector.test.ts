// A watch of one object by name becomes a host watch of the collection with a name selector: the
// name is escaped as the apiserver's fields.EscapeValue, so a name (or whatever a client put in the
// path) stays one value and never adds terms to the host's selector.
import { describe, expect, it } from 'vitest';
import { escapeFieldValue, parseFieldSelector } from '../../../src/api/field-selector.js';

describe('escapeFieldValue', () => {
  it('escapes backslash, comma and equals as fields.EscapeValue, nothing else', () => {
    expect(escapeFieldValue('p1')).toBe('p1');
    expect(escapeFieldValue('a\\b,c=d!e')).toBe('a\\\\b\\,c\\=d!e');
  });

  it.each(['p1', 'a,spec.nodeName=n1', 'x=y', 'back\\slash', '\\,=', 'a,metadata.namespace!=x'])(
    'keeps %j one term whose value is the name',
    (name) => {
      expect(parseFieldSelector(`metadata.name=${escapeFieldValue(name)}`)).toEqual([
        { field: 'metadata.name', op: '=', value: name },
      ]);
    },
  );
});
