// Lease timings in client-go's proportions (15 s lease, 10 s renew deadline, 2 s retry): a holder
// stops serving when it has not renewed for the renew deadline, a third of the lease before
// another replica may take the Lease over.
export interface LeaseTiming {
  durationSeconds: number;
  /** Past this since the last renewal was sent, the holder fences itself. */
  renewDeadlineMs: number;
  retryMs: number;
}

export function leaseTiming(durationSeconds: number): LeaseTiming {
  const d = Math.max(1, Math.floor(durationSeconds));
  return { durationSeconds: d, renewDeadlineMs: (d * 1000 * 2) / 3, retryMs: (d * 1000) / 7.5 };
}
