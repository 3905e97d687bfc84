// One request to the host on the shared pool, and host paths for a resource row.
import type { Dispatcher } from 'undici';
import { statusFailure, unsupportedMediaType } from '../api/status.js';
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

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);
/** A path kplex built from encoded segments: nothing that could end the request line or start a query. */
const HOST_PATH = /^\/[\x21-\x7e]*$/;
const HOST_PATH_FORBIDDEN = /[?#]/;
/** type/subtype without parameters, as kplex sends it. */
const MEDIA_TYPE = /^[a-z0-9][\w.+-]*\/[\w.+-]+$/i;
const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

/**
 * Sends the host a request kplex built: a known method, a path of encoded segments, the query
 * re-encoded from parsed values, and only kplex's own headers. Nothing of the client's request
 * line or headers is copied, so no client byte can frame a second request on the shared pool.
 */
export async function callHost(host: HostClient, c: HostCall): Promise<Dispatcher.ResponseData> {
  if (!METHODS.has(c.method))
    throw statusFailure(
      405,
      'MethodNotAllowed',
      'the server does not allow this method on the requested resource',
    );
  if (!HOST_PATH.test(c.path) || HOST_PATH_FORBIDDEN.test(c.path))
    throw new Error(`refusing to send the host the path ${JSON.stringify(c.path)}`);
  if (c.contentType !== undefined && !MEDIA_TYPE.test(c.contentType))
    throw unsupportedMediaType(c.contentType, PATCH_TYPES);
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
