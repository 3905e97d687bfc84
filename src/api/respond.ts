import type { ServerResponse } from 'node:http';
import { type Status, toStatusError } from './status.js';

export function writeJSON(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': data.length, ...headers });
  res.end(data);
}

/** Writes any thrown value as a Kubernetes Status (internal errors become 500 InternalError). */
export function writeError(res: ServerResponse, err: unknown): Status {
  const status = toStatusError(err).status;
  if (res.headersSent) {
    res.destroy();
    return status;
  }
  const headers: Record<string, string> = {};
  if (status.details?.retryAfterSeconds) headers['Retry-After'] = String(status.details.retryAfterSeconds);
  writeJSON(res, status.code, status, headers);
  return status;
}

export function writeText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(text);
}
