// Time and duration text as Go's time package writes it (values checked against Go's output).
import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  formatMicroTime,
  formatTime,
  parseDuration,
  parseTime,
} from '../../../src/protobuf/go-time.js';

describe('Go time text', () => {
  it('formats time.Duration.String()', () => {
    const cases: Array<[number, string]> = [
      [0, '0s'],
      [100, '100ns'],
      [1_000, '1µs'],
      [1_500_000, '1.5ms'],
      [1_500_000_000, '1.5s'],
      [90e9, '1m30s'],
      [3600e9, '1h0m0s'],
      [-2e9, '-2s'],
      [26 * 3600e9 + 3e9 + 5e6, '26h0m3.005s'],
    ];
    for (const [ns, text] of cases) {
      expect(formatDuration(ns)).toBe(text);
      expect(parseDuration(text)).toBe(ns);
    }
    expect(() => parseDuration('5 minutes')).toThrow('invalid duration');
  });

  it('formats metav1.Time and MicroTime in UTC', () => {
    const [s, n] = parseTime('2025-03-04T06:06:07.123456789+01:00');
    expect([s, n]).toEqual([1741064767, 123456789]);
    expect(formatTime(s)).toBe('2025-03-04T05:06:07Z');
    expect(formatMicroTime(s, n)).toBe('2025-03-04T05:06:07.123456Z');
    expect(() => parseTime('yesterday')).toThrow('not RFC3339');
  });
});
