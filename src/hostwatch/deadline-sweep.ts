// Watch deadlines (timeoutSeconds) without a timer per watch: one coarse interval, running only
// while some deadline is pending, ends every watch whose time is up.
export class DeadlineSweep {
  private readonly pending = new Set<{ at: number; fire: () => void }>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly everyMs = 250) {}

  /** Calls `fire` once, at or a little after `at` (ms since the epoch); returns the cancel. */
  add(at: number, fire: () => void): () => void {
    const entry = { at, fire };
    this.pending.add(entry);
    this.timer ??= setInterval(() => this.sweep(), this.everyMs).unref();
    return () => this.remove(entry);
  }

  private remove(entry: { at: number; fire: () => void }): void {
    this.pending.delete(entry);
    if (this.pending.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const e of [...this.pending]) {
      if (e.at > now) continue;
      this.remove(e);
      e.fire();
    }
  }
}
