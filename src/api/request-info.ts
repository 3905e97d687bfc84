// Parses a request path the way the apiserver's RequestInfoFactory does
// (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go), plus a path-traversal guard:
// every segment is percent-decoded once and '.', '..', empty segments and segments that
// decode to something containing '/' are refused.
import { badRequest } from './status.js';

export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  verb: string;
  apiPrefix: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  parts: string[];
  fieldSelector?: string;
  labelSelector?: string;
}

const apiPrefixes = new Set(['api', 'apis']);
const grouplessApiPrefixes = new Set(['api']);
const specialVerbs = new Set(['proxy', 'watch']);
const specialVerbsNoSubresources = new Set(['proxy']);
const namespaceSubresources = new Set(['status', 'finalize']);
const verbsWithSelectors = new Set(['list', 'watch', 'deletecollection']);

type Query = URLSearchParams | Record<string, string | string[] | undefined>;

function queryValues(query: Query, key: string): string[] {
  if (query instanceof URLSearchParams) return query.getAll(key);
  const v = query[key];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Splits and decodes a path; throws 400 BadRequest on traversal attempts. */
export function splitSafePath(path: string): string[] {
  const trimmed = path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (trimmed === '') return [];
  return trimmed.split('/').map((raw) => {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      throw badRequest(`invalid path segment ${JSON.stringify(raw)}`);
    }
    if (seg === '' || seg === '.' || seg === '..' || seg.includes('/')) {
      throw badRequest(`invalid path segment ${JSON.stringify(raw)}`);
    }
    return seg;
  });
}

function isWatch(query: Query): boolean {
  const values = queryValues(query, 'watch');
  if (values.length === 0) return false;
  const v = values[0]!.toLowerCase();
  return !(v === 'false' || v === '0' || v === '');
}

export function parseRequestInfo(method: string, path: string, query: Query = {}): RequestInfo {
  const info: RequestInfo = {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    parts: [],
  };
  let parts = splitSafePath(path);
  if (parts.length < 3 || !apiPrefixes.has(parts[0]!)) return info;
  info.apiPrefix = parts[0]!;
  parts = parts.slice(1);
  if (!grouplessApiPrefixes.has(info.apiPrefix)) {
    if (parts.length < 3) return info;
    info.apiGroup = parts[0]!;
    parts = parts.slice(1);
  }
  info.isResourceRequest = true;
  info.apiVersion = parts[0]!;
  parts = parts.slice(1);

  let verbViaPathPrefix = false;
  if (specialVerbs.has(parts[0]!)) {
    if (parts.length < 2) throw badRequest(`unable to determine kind and namespace from url, ${path}`);
    info.verb = parts[0]!;
    parts = parts.slice(1);
    verbViaPathPrefix = true;
  } else {
    const verbs: Record<string, string> = {
      POST: 'create',
      GET: 'get',
      HEAD: 'get',
      PUT: 'update',
      PATCH: 'patch',
      DELETE: 'delete',
    };
    info.verb = verbs[method.toUpperCase()] ?? '';
  }

  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      info.namespace = parts[1]!;
      if (parts.length > 2 && !namespaceSubresources.has(parts[2]!)) parts = parts.slice(2);
    }
  }
  info.parts = parts;
  if (parts.length >= 3 && !specialVerbsNoSubresources.has(info.verb)) info.subresource = parts[2]!;
  if (parts.length >= 2) info.name = parts[1]!;
  if (parts.length >= 1) info.resource = parts[0]!;

  if (!info.name && info.verb === 'get') info.verb = isWatch(query) ? 'watch' : 'list';
  if (!info.name && info.verb === 'delete') info.verb = 'deletecollection';

  if (!verbViaPathPrefix && verbsWithSelectors.has(info.verb)) {
    const fs = queryValues(query, 'fieldSelector');
    if (fs.length > 0) info.fieldSelector = fs[0];
    const ls = queryValues(query, 'labelSelector');
    if (ls.length > 0) info.labelSelector = ls[0];
  }
  return info;
}
