// What every measure receives: the running stack, the run mode, progress output and notes.
import type { Stack } from './stack.js';

export interface Context {
  stack: Stack;
  quick: boolean;
  log: (line: string) => void;
  /** Remarks that belong beside the table (what was measured how, what could not be). */
  notes: string[];
  /** RSS and descriptors of kplex right after start, before any tenant request. */
  baseline: { rss: number; fds: number };
  /** Tenants created and served so far (shared by density and fan-out). */
  served: Set<string>;
}
