import { describe, expect, it } from 'vitest';
import { cpuTurn } from '../../../src/limits/cpu-lanes.js';

describe('cpu lanes', () => {
  it("runs one heavy step of a tenant at a time, never holding another tenant's", async () => {
    const order: string[] = [];
    const first = await cpuTurn('hog');
    const second = cpuTurn('hog').then((r) => (order.push('hog 2'), r));
    const other = await cpuTurn('victim');
    order.push('victim');
    other();
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['victim']);
    first();
    (await second)();
    expect(order).toEqual(['victim', 'hog 2']);
  });
});
