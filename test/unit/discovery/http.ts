// A loopback HTTP server around the handlers under test, so tests see real status codes and headers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The path and query the pipeline hands the discovery handlers, from the test request's URL (no tenant prefix). */
export function parsedURL(req: IncomingMessage): { path: string; query: URLSearchParams; prefix: string } {
  const u = new URL(req.url ?? '/', 'http://x');
  return { path: u.pathname, query: u.searchParams, prefix: '' };
}

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

export async function startServer(
  handle: (req: IncomingMessage, res: ServerResponse) => boolean,
): Promise<TestServer> {
  const server: Server = createServer((req, res) => {
    if (!handle(req, res)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not served\n');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface Got {
  status: number;
  headers: Headers;
  text: string;
  json<T = any>(): T;
}

export async function get(url: string, headers: Record<string, string> = {}): Promise<Got> {
  const res = await fetch(url, { headers, redirect: 'manual' });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}
