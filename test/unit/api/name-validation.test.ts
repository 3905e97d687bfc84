import { describe, expect, it } from 'vitest';
import {
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  validatePathSegmentName,
} from '../../../src/api/name-validation.js';
import { validateObjectName } from '../../../src/registry/names.js';

describe('name validation (apimachinery ValidateNameFuncs)', () => {
  it("masks a generateName's trailing dash as Go does: the last two characters become 'a'", () => {
    expect(nameIsDNSSubdomain('ab-', true)).toEqual([]); // validated as 'aa'
    expect(nameIsDNSSubdomain('a.-', true)).toEqual([]); // 'aa': the dot goes with the dash
    expect(nameIsDNSLabel('x-', true)).toEqual([]);
    expect(nameIsDNSSubdomain('ab-', false)).toHaveLength(1);
    expect(nameIsDNSLabel('-', true)).toHaveLength(1); // one character: not masked
  });

  it('path segment names list every character they may not contain; a prefix may be a dot', () => {
    expect(validatePathSegmentName('a/b%c', false)).toEqual(["may not contain '/'", "may not contain '%'"]);
    expect(validatePathSegmentName('..', false)).toEqual(["may not be '..'"]);
    expect(validatePathSegmentName('..', true)).toEqual([]);
  });

  it('object names use the same rules as every other validator', () => {
    expect(validateObjectName({ name: 'aa1x2', generateName: 'a.-' }, 'dns1123-subdomain')).toEqual([]);
    expect(validateObjectName({ name: 'a/b' }, 'path-segment')).toEqual([
      { type: 'FieldValueInvalid', field: 'metadata.name', value: 'a/b', detail: "may not contain '/'" },
    ]);
  });
});
