// One request to the host on the shared pool, and host paths for a resource row.
import type { Dispatcher } from 'undici';
import type { ResourceInfo } from '../resources/types.js';
import type { HostClient } from './host-client.js';

export interface HostTarget {
  namespace?: string; // host namespace
  name?: string;
  subresource?: string;
}

const enc = encodeURIComponent;

export function hostPath(row: ResourceInfo, t: HostTarget): string {
  let p = row.group ? `/apis/${row.group}/${row.version}` : `/api/${row.version}`;
  if (t.namespace !== undefined) p += `/namespaces/${enc(t.namespace)}`;
  p += `/${row.resource}`;
  if (t.name) p += `/${enc(t.name)}`;
  if (t.subresource) p += `/${enc(t.subresource)}`;
  return p;
}

export interface HostCall {
  method: string;
  path: string;
  query?: URLSearchParams;
  accept: string;
  body?: string;
  contentType?: string;
  signal?: AbortSignal;
  /** 0 for watches and followed logs. */
  bodyTimeout?: number;
}

export function callHost(host: HostClient, c: HostCall): Promise<Dispatcher.ResponseData> {
  const qs = c.query && [...c.query.keys()].length ? `?${c.query.toString()}` : '';
  const dispatcher = c.bodyTimeout === 0 ? host.streams : host.dispatcher;
  return dispatcher.request({
    origin: host.origin,
    path: host.basePath + c.path + qs,
    method: c.method as Dispatcher.HttpMethod,
    headers: host.headers({ accept: c.accept, ...(c.contentType ? { 'content-type': c.contentType } : {}) }),
    body: c.body,
    signal: c.signal,
    headersTimeout: 60_000,
    bodyTimeout: c.bodyTimeout ?? 120_000,
  });
}

/** Reads a JSON body (a non-JSON one comes back as a string). */
export async function readJSON(r: Dispatcher.ResponseData): Promise<unknown> {
  const text = await r.body.text();
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}
