// A connection that was just answered 429 is not read again until its Retry-After has passed: the
// client's next request waits in the kernel's buffer instead of costing kplex a TLS read, a parse,
// authentication and another 429. A tenant whose clients ignore Retry-After (384 connections
// retrying in a loop) then costs what its seats serve, not a storm of refusals on the event loop
// every tenant shares. Only the refused connection waits; the tenant's others and everyone else's
// are read as before.
import type { ServerResponse } from 'node:http';

/** Holds `res`'s connection for `seconds` once the refusal has been written. */
export function holdAfterRefusal(res: ServerResponse, seconds: number): void {
  const socket = res.socket;
  if (!socket || seconds <= 0) return;
  res.once('finish', () => {
    if (socket.destroyed) return;
    let held = true;
    socket.pause();
    // The server's own finish handling may resume the socket on the next tick (dumping an unread body).
    setImmediate(() => held && socket.pause());
    const timer = setTimeout(() => {
      held = false;
      socket.resume();
    }, seconds * 1000);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
}
