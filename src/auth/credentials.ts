// What a client presents to prove who it is, taken off the HTTP request once by the pipeline:
// authenticators judge credentials, never requests (a TokenReview authenticates a bare token
// through the same authenticator).
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

export interface ClientCertificate {
  /** The TLS connection: a keep-alive connection presents the same certificate for every request. */
  connection: object;
  /** The DER of the certificate, read when first needed (undefined: none presented). */
  der(): Buffer | undefined;
}

export interface Credentials {
  /** The bearer token of the Authorization header. */
  token?: string;
  certificate?: ClientCertificate;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The bearer token of an Authorization header value, if it carries one. */
export function bearerOf(header: string | undefined): string | undefined {
  return header ? BEARER.exec(header)?.[1] : undefined;
}

/** The DER of the client certificate presented on the request's TLS connection, if any. */
export function peerCertificate(req: IncomingMessage): Buffer | undefined {
  const socket = req.socket as TLSSocket | undefined;
  if (!socket || typeof socket.getPeerCertificate !== 'function') return undefined;
  const raw = socket.getPeerCertificate(false)?.raw;
  return raw && raw.length ? raw : undefined;
}

/**
 * Client certificates another kplex replica forwarded with a request (sharding/shard-gate.ts sets
 * one only on a replica's connection); that replica's TLS handshake proved the client holds its key.
 */
export const forwardedCertificates = new WeakMap<IncomingMessage, Buffer>();

export function credentialsOf(req: IncomingMessage): Credentials {
  const token = bearerOf(req.headers.authorization);
  const forwarded = forwardedCertificates.get(req);
  // Its own connection object: one replica connection carries many clients' certificates.
  if (forwarded)
    return { ...(token ? { token } : {}), certificate: { connection: {}, der: () => forwarded } };
  const socket = req.socket as object | undefined;
  return {
    ...(token ? { token } : {}),
    ...(socket ? { certificate: { connection: socket, der: () => peerCertificate(req) } } : {}),
  };
}
