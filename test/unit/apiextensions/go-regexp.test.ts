import { describe, expect, it } from 'vitest';
import { compileGoRegexp, type GoRegexp } from '../../../src/apiextensions/go-regexp.js';

const re = (p: string) => compileGoRegexp(p) as GoRegexp;

describe('Go regexp (RE2) semantics', () => {
  it('accepts Go syntax: flags, \\z, POSIX classes, Unicode classes, named groups', () => {
    expect(re('^(?i)(abort|warn)?$').test('ABORT')).toBe(true);
    expect(re('(?s)^a.b$').test('a\nb')).toBe(true);
    expect(re('^ok\\z').test('ok\n')).toBe(false);
    expect(re('^[[:alpha:]_][[:word:]]*$').test('job_1')).toBe(true);
    expect(re('^\\pL+$').test('Grüße')).toBe(true);
    expect(re('(?P<a>x)(?<b>y)').test('xy')).toBe(true);
  });

  it("refuses what Go refuses, with Go's messages", () => {
    expect((compileGoRegexp('(a)\\1') as Error).message).toBe(
      'error parsing regexp: invalid escape sequence: `\\1`',
    );
    expect((compileGoRegexp('(?=a)') as Error).message).toBe(
      'error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    );
    expect((compileGoRegexp('a{1001}') as Error).message).toBe(
      'error parsing regexp: invalid repeat count: `{1001}`',
    );
  });

  it('searches (MatchString), finds the leftmost match and all non-overlapping ones', () => {
    expect(re('b+').test('abbbc')).toBe(true);
    expect(re('[0-9]+').find('ab12cd345')).toBe('12');
    expect(re('[0-9]+').find('abc')).toBe('');
    expect(re('[0-9]+').findAll('a1b22c333', -1)).toEqual(['1', '22', '333']);
    expect(re('[0-9]+').findAll('a1b22c333', 2)).toEqual(['1', '22']);
    expect(re('[0-9]+').findAll('a1', 0)).toEqual([]);
  });

  it('matches catastrophic patterns in linear time', () => {
    expect(re('^(a+)+$').test('a'.repeat(27) + '!')).toBe(false);
    expect(re('^(a|aa)*$').test('a'.repeat(50_000) + '!')).toBe(false);
  });
});
