// New connections reach the TLS server one per turn of the event loop. A connection costs a TLS
// handshake and an HTTP parser before any tenant is known, so before fair queuing can weigh it:
// a burst of them (150 watches opened at once) was set up in one stretch while the requests of
// connections already open (another tenant's GET) waited behind all of it. Paced, they take turns.
import net from 'node:net';

/** Connections accepted but not yet handed over; past this a new one is closed, as a full backlog would be. */
const MAX_WAITING = 1024;

/** A listener that hands each accepted socket to `server` (its 'connection' handler), one per turn. */
export function pacedListener(server: net.Server): net.Server {
  const waiting: net.Socket[] = [];
  let pumping = false;
  const pump = (): void => {
    const socket = waiting.shift();
    if (!socket) {
      pumping = false;
      return;
    }
    if (!socket.destroyed) server.emit('connection', socket);
    setImmediate(pump);
  };
  // Paused: nothing is read from a socket until the TLS server owns it.
  return net.createServer({ pauseOnConnect: true }, (socket) => {
    if (waiting.length >= MAX_WAITING) {
      socket.destroy();
      return;
    }
    socket.on('error', () => socket.destroy());
    waiting.push(socket);
    if (!pumping) {
      pumping = true;
      setImmediate(pump);
    }
  });
}
