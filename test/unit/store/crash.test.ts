// Durability: a writer process is SIGKILLed mid-stream; every write it acknowledged must be in
// the database afterwards, and a watch from the last acknowledged rv must continue exactly once.
// (A process crash, not a power cut: the kernel still holds unsynced pages. The synchronous mode
// matters only for power loss, which a unit test cannot produce.)
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../../src/store/types.js';
import { openStore, tempDir } from './helpers.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const writer = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url));

interface Ack {
  rv: number;
  name: string;
  value: string;
}

/** Runs the writer until it has acknowledged `atLeast` writes, then SIGKILLs it. */
function runAndKill(path: string, sync: string, atLeast: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, path, sync], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buf = '';
    let stderr = '';
    const acks: Ack[] = [];
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const [tag, rv, name, value] = buf.slice(0, nl).split(' ');
        buf = buf.slice(nl + 1);
        if (tag === 'ack') acks.push({ rv: Number(rv), name: name!, value: value! });
      }
      if (acks.length >= atLeast && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited with ${code}: ${stderr}`));
      // A partial last line in `buf` was never acknowledged; it is ignored.
      else resolve(acks);
    });
  });
}

describe('crash durability', () => {
  for (const sync of ['FULL', 'NORMAL']) {
    it(`keeps every acknowledged write after SIGKILL (synchronous=${sync})`, async () => {
      const path = join(tempDir(), 'crash.db');
      const acks = await runAndKill(path, sync, 300);
      expect(acks.length).toBeGreaterThanOrEqual(300);
      expect(acks.map((a) => a.rv)).toEqual(acks.map((_, i) => i + 1));
      const lastAck = acks.at(-1)!.rv;

      const s = openStore({}, path);
      // At most the one write in flight at the kill may have committed without being acknowledged.
      const current = s.currentRV();
      expect(current).toBeGreaterThanOrEqual(lastAck);
      expect(current).toBeLessThanOrEqual(lastAck + 1);

      const lastByName = new Map<string, Ack>();
      for (const a of acks) lastByName.set(a.name, a);
      for (const [name, a] of lastByName) {
        const got = s.get({ group: '', resource: 'configmaps', namespace: 'ns', name });
        expect(got, name).toBeDefined();
        if (got!.rv !== a.rv)
          expect(got!.rv).toBe(lastAck + 1); // overwritten by the unacknowledged write
        else
          expect(got!.object).toMatchObject({
            data: { v: a.value },
            metadata: { resourceVersion: String(a.rv) },
          });
      }

      const events: ChangeEvent[] = [];
      s.watch({ group: '', resource: 'configmaps', fromRV: lastAck }, (e) => events.push(e));
      for (let i = 0; i < 3; i++) {
        const k = { group: '', resource: 'configmaps', namespace: 'ns', name: `after-${i}` };
        s.create(k, {});
      }
      const want = Array.from({ length: s.currentRV() - lastAck }, (_, i) => lastAck + 1 + i);
      expect(events.map((e) => e.rv)).toEqual(want);
      expect(want.length).toBeGreaterThanOrEqual(3);
    }, 60_000);
  }
});
