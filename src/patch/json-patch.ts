// RFC 6902 JSON patch with the exact behaviour of gopkg.in/evanphx/json-patch.v4 as the apiserver
// uses it (k8s.io/apiserver/pkg/endpoints/handlers/patch.go): a patch that is not a list of
// operations is 400 BadRequest; any failure while applying is a 422 whose message is generic.
import { isDeepStrictEqual } from 'node:util';
import { badRequest, invalid, statusFailure } from '../api/status.js';
import type { KubeObject } from '../api/object.js';
import { genericUnprocessable } from './errors.js';
import { deepClone, goJSON, isMap, type JsonMap, type JsonValue } from './json-value.js';

/** patch.go maxJSONPatchOperations. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

type Container = JsonValue[] | JsonMap;

class PatchFailure extends Error {}

function fail(): never {
  throw new PatchFailure();
}

/** What Go's encoding/json calls a JSON value's type in "cannot unmarshal X into ...". */
function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (isMap(v)) return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v; // string, number
}

function decodePatch(patch: unknown): JsonMap[] {
  if (patch === null || patch === undefined) return []; // json "null" decodes to a nil Patch
  if (!Array.isArray(patch))
    throw badRequest(`json: cannot unmarshal ${jsonKind(patch)} into Go value of type jsonpatch.Patch`);
  for (const op of patch) {
    if (op !== null && !isMap(op))
      throw badRequest(`json: cannot unmarshal ${jsonKind(op)} into Go value of type jsonpatch.Operation`);
  }
  return patch.map((op) => (op === null ? {} : (op as JsonMap)));
}

function decodeKey(k: string): string {
  return k.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** strconv.Atoi */
function atoi(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) fail();
  const n = Number(s);
  if (!Number.isSafeInteger(n)) fail();
  return n;
}

function stringField(op: JsonMap, name: 'path' | 'from'): string {
  const v = op[name];
  if (typeof v !== 'string') fail(); // missing, null or not a string: the library errors out
  return v;
}

/** Value of the operation; a missing "value" behaves as null when stored. */
function opValue(op: JsonMap): JsonValue | undefined {
  return Object.prototype.hasOwnProperty.call(op, 'value') ? op.value : undefined;
}

/** findObject: walk all but the last segment; the first segment is skipped, as the library does. */
function findObject(doc: Container, path: string): { con: Container; key: string } | undefined {
  const split = path.split('/');
  if (split.length < 2) return undefined;
  let cur: Container = doc;
  for (const part of split.slice(1, -1)) {
    let next: JsonValue | undefined;
    try {
      next = get(cur, decodeKey(part));
    } catch {
      return undefined;
    }
    if (next === undefined || next === null) return undefined;
    if (!Array.isArray(next) && !isMap(next)) return undefined;
    cur = next;
  }
  return { con: cur, key: decodeKey(split[split.length - 1]!) };
}

function get(con: Container, key: string): JsonValue | undefined {
  if (!Array.isArray(con)) return Object.prototype.hasOwnProperty.call(con, key) ? con[key] : undefined;
  let idx = atoi(key);
  if (idx < 0) {
    if (idx < -con.length) fail();
    idx += con.length;
  }
  if (idx >= con.length) fail();
  return con[idx];
}

function set(con: Container, key: string, val: JsonValue): void {
  if (!Array.isArray(con)) {
    con[key] = val;
    return;
  }
  let idx = atoi(key);
  if (idx < 0) {
    if (idx < -con.length) fail();
    idx += con.length;
  }
  if (idx >= con.length) fail();
  con[idx] = val;
}

function add(con: Container, key: string, val: JsonValue): void {
  if (!Array.isArray(con)) {
    con[key] = val;
    return;
  }
  if (key === '-') {
    con.push(val);
    return;
  }
  let idx = atoi(key);
  const size = con.length + 1;
  if (idx >= size) fail();
  if (idx < 0) {
    if (idx < -size) fail();
    idx += size;
  }
  con.splice(idx, 0, val);
}

function remove(con: Container, key: string): void {
  if (!Array.isArray(con)) {
    if (!Object.prototype.hasOwnProperty.call(con, key)) fail();
    delete con[key];
    return;
  }
  let idx = atoi(key);
  if (idx >= con.length) fail();
  if (idx < 0) {
    if (idx < -con.length) fail();
    idx += con.length;
  }
  con.splice(idx, 1);
}

function applyOp(root: { doc: Container }, op: JsonMap): void {
  const kind = typeof op.op === 'string' ? op.op : 'unknown';
  switch (kind) {
    case 'add': {
      const t = findObject(root.doc, stringField(op, 'path')) ?? fail();
      add(t.con, t.key, deepClone(opValue(op) ?? null));
      return;
    }
    case 'remove': {
      const t = findObject(root.doc, stringField(op, 'path')) ?? fail();
      remove(t.con, t.key);
      return;
    }
    case 'replace': {
      const path = stringField(op, 'path');
      const val = opValue(op);
      if (path === '') {
        if (!Array.isArray(val) && !isMap(val)) fail();
        root.doc = deepClone(val);
        return;
      }
      const t = findObject(root.doc, path) ?? fail();
      get(t.con, t.key); // errors only for bad array indices; a missing object key is simply set
      set(t.con, t.key, deepClone(val ?? null));
      return;
    }
    case 'move': {
      const from = findObject(root.doc, stringField(op, 'from')) ?? fail();
      const val = get(from.con, from.key);
      remove(from.con, from.key);
      const to = findObject(root.doc, stringField(op, 'path')) ?? fail();
      add(to.con, to.key, val ?? null);
      return;
    }
    case 'copy': {
      const from = findObject(root.doc, stringField(op, 'from')) ?? fail();
      const val = get(from.con, from.key);
      const to = findObject(root.doc, stringField(op, 'path')) ?? fail();
      add(to.con, to.key, deepClone(val ?? null));
      return;
    }
    case 'test': {
      const path = stringField(op, 'path');
      const expected = opValue(op);
      if (path === '') {
        if (!isDeepStrictEqual(root.doc, expected)) fail();
        return;
      }
      const t = findObject(root.doc, path) ?? fail();
      const actual = get(t.con, t.key);
      if (actual === undefined || actual === null) {
        if (expected === null) return;
        fail();
      }
      if (expected === undefined || !isDeepStrictEqual(actual, expected)) fail();
      return;
    }
    default:
      fail();
  }
}

export function jsonPatch(original: KubeObject, patch: unknown): KubeObject {
  const ops = decodePatch(patch);
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw statusFailure(
      413,
      'RequestEntityTooLarge',
      `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`,
    );
  }
  const root: { doc: Container } = { doc: deepClone(original as JsonMap) };
  try {
    for (const op of ops) applyOp(root, op);
  } catch (err) {
    if (err instanceof PatchFailure) throw genericUnprocessable();
    throw err;
  }
  return asObject(root.doc);
}

/** The decode of the patched JSON into an object (patch.go: DecodeInto failure -> 422 on "patch"). */
export function asObject(doc: JsonValue): KubeObject {
  if (isMap(doc)) return doc as KubeObject;
  throw invalid({ group: '', kind: '' }, '', [
    {
      type: 'FieldValueInvalid',
      field: 'patch',
      value: goJSON(doc),
      detail: `json: cannot unmarshal ${jsonKind(doc)} into Go value of type map[string]interface {}`,
    },
  ]);
}
