// Strategic merge patch, following k8s.io/apimachinery/pkg/util/strategicpatch (StrategicMergeMapPatch
// with MergeParallelList and IgnoreUnmatchedNulls, as the apiserver runs it). Patch metadata
// (patchStrategy, patchMergeKey) comes from the SchemaNode; fields without it are replaced (lists)
// or merged (maps), as for Go fields without struct tags.
import { badRequest } from '../api/status.js';
import type { KubeObject } from '../api/object.js';
import { genericUnprocessable, unknownServerError } from './errors.js';
import { goSliceStable } from './go-sort.js';
import { deepClone, goFormatV, goTypeName, isMap, type JsonMap, type JsonValue } from './json-value.js';
import { withObjectMeta } from './object-meta-schema.js';
import type { SchemaNode } from './types.js';

const directiveMarker = '$patch';
const deleteDirective = 'delete';
const replaceDirective = 'replace';
const mergeDirective = 'merge';
const retainKeysStrategy = 'retainKeys';
const deleteFromPrimitiveListPrefix = '$deleteFromPrimitiveList';
const retainKeysDirective = '$retainKeys';
const setElementOrderPrefix = '$setElementOrder';

/** mergepatch errors, by how interpretStrategicMergePatchError maps them to HTTP. */
class SmpError extends Error {
  constructor(
    readonly kind: 'badRequest' | 'unprocessable' | 'other',
    message: string,
  ) {
    super(message);
  }
}
const errBadPatchFormatForPrimitiveList = () =>
  new SmpError('badRequest', 'invalid patch format of primitive list');
const errBadPatchFormatForRetainKeys = () => new SmpError('badRequest', 'invalid patch format of retainKeys');
const errBadPatchFormatForSetElementOrderList = () =>
  new SmpError('badRequest', 'invalid patch format of setElementOrder list');
const errNoListOfLists = () => new SmpError('unprocessable', 'lists of lists are not supported');
const errOther = (message: string) => new SmpError('other', message);
const errNoMergeKey = (m: JsonMap, k: string) =>
  errOther(`map: ${goFormatV(m)} does not contain declared merge key: ${k}`);
const errBadArgType = (expected: string, actual: unknown) =>
  errOther(`expected a ${expected}, but received a ${goTypeName(actual)}`);
const errBadPatchType = (t: unknown, m: JsonMap) =>
  errOther(`unknown patch type: ${goFormatV(t)} in map: ${goFormatV(m)}`);

interface PatchMeta {
  sub: SchemaNode | undefined;
  strategies: string[];
  mergeKey: string;
}

function lookupField(schema: SchemaNode | undefined, key: string): SchemaNode | undefined {
  if (!schema) return undefined;
  const prop = schema.properties?.[key];
  if (prop) return prop;
  return isMap(schema.additionalProperties) ? (schema.additionalProperties as SchemaNode) : undefined;
}

function metaFor(prop: SchemaNode | undefined, sub: SchemaNode | undefined): PatchMeta {
  return {
    sub,
    strategies: prop?.patchStrategy ? prop.patchStrategy.split(',') : [],
    mergeKey: prop?.patchMergeKey ?? '',
  };
}

const lookupStruct = (schema: SchemaNode | undefined, key: string): PatchMeta => {
  const prop = lookupField(schema, key);
  return metaFor(prop, prop);
};
const lookupSlice = (schema: SchemaNode | undefined, key: string): PatchMeta => {
  const prop = lookupField(schema, key);
  return metaFor(prop, prop?.items);
};

function extractRetainKeysPatchStrategy(strategies: string[]): string {
  if (strategies.length === 0) return '';
  if (strategies.length === 1) return strategies[0] === retainKeysStrategy ? '' : strategies[0]!;
  if (strategies.length === 2) {
    if (strategies[0] === retainKeysStrategy) return strategies[1]!;
    if (strategies[1] === retainKeysStrategy) return strategies[0]!;
  }
  throw errOther(`unexpected patch strategy: [${strategies.join(' ')}]`);
}

type Kind = 'map' | 'scalar';

export function strategicMergePatch(
  original: KubeObject,
  patch: unknown,
  schema: SchemaNode | undefined,
): KubeObject {
  if (!isMap(patch)) {
    // kjson.UnmarshalCaseSensitivePreserveInts into map[string]interface{}
    const what = Array.isArray(patch) ? 'array' : patch === null ? 'null' : typeof patch;
    if (patch === null) return deepClone(original);
    throw badRequest(
      `json: cannot unmarshal ${what === 'boolean' ? 'bool' : what} into Go value of type map[string]interface {}`,
    );
  }
  try {
    const merged = mergeMap(deepClone(original as JsonMap), deepClone(patch), withObjectMeta(schema));
    return stripDirectiveKeys(merged) as KubeObject;
  } catch (err) {
    if (!(err instanceof SmpError)) throw err;
    if (err.kind === 'badRequest') throw badRequest(err.message);
    if (err.kind === 'unprocessable') throw genericUnprocessable();
    throw unknownServerError(err.message);
  }
}

/** Directive keys left in newly added subtrees are unknown fields the typed decode drops. */
function stripDirectiveKeys(v: JsonValue): JsonValue {
  if (Array.isArray(v)) v.forEach(stripDirectiveKeys);
  else if (isMap(v)) {
    for (const k of Object.keys(v)) {
      if (
        k === directiveMarker ||
        k === retainKeysDirective ||
        k.startsWith(setElementOrderPrefix + '/') ||
        k.startsWith(deleteFromPrimitiveListPrefix + '/')
      )
        delete v[k];
      else stripDirectiveKeys(v[k]!);
    }
  }
  return v;
}

function mergeMap(original: JsonMap | undefined, patch: JsonMap, schema: SchemaNode | undefined): JsonMap {
  if (Object.prototype.hasOwnProperty.call(patch, directiveMarker)) {
    const directive = patch[directiveMarker];
    if (directive === replaceDirective) {
      delete patch[directiveMarker];
      return patch;
    }
    if (directive === deleteDirective) return {};
    throw errBadPatchType(directive, patch);
  }
  const orig: JsonMap = original ?? {};
  applyRetainKeysDirective(orig, patch);
  mergePatchIntoOriginal(orig, patch, schema);

  for (const [rawKey, patchV] of Object.entries(patch)) {
    let k = rawKey;
    let isDeleteList = false;
    if (rawKey.startsWith(deleteFromPrimitiveListPrefix)) {
      k = extractKey(rawKey, deleteFromPrimitiveListPrefix);
      isDeleteList = true;
    }
    if (patchV === null) {
      delete orig[k];
      continue; // IgnoreUnmatchedNulls
    }
    if (!Object.prototype.hasOwnProperty.call(orig, k)) {
      if (!isDeleteList) setWithoutDirectives(orig, k, discardNullValues(patchV));
      continue;
    }
    const origV = orig[k]!;
    if (goTypeName(origV) !== goTypeName(patchV)) {
      if (!isDeleteList) setWithoutDirectives(orig, k, discardNullValues(patchV));
      continue;
    }
    if (isMap(origV) && isMap(patchV)) {
      const meta = lookupStruct(schema, k);
      const strategy = extractRetainKeysPatchStrategy(meta.strategies);
      orig[k] = strategy !== replaceDirective ? mergeMap(origV, patchV, meta.sub) : patchV;
    } else if (Array.isArray(origV) && Array.isArray(patchV)) {
      const meta = lookupSlice(schema, k);
      const strategy = extractRetainKeysPatchStrategy(meta.strategies);
      orig[k] =
        strategy === mergeDirective || isDeleteList
          ? mergeSlice(origV, patchV, meta.sub, meta.mergeKey, isDeleteList)
          : patchV;
    } else {
      setWithoutDirectives(orig, k, patchV);
    }
  }
  return orig;
}

function setWithoutDirectives(m: JsonMap, k: string, v: JsonValue): void {
  const [out, keep] = removeDirectives(v);
  if (keep) m[k] = out;
  else delete m[k];
}

function extractKey(s: string, prefix: string): string {
  const i = s.indexOf('/');
  if (i < 0 || s.slice(0, i) !== prefix) {
    if (prefix === deleteFromPrimitiveListPrefix) throw errBadPatchFormatForPrimitiveList();
    throw errBadPatchFormatForSetElementOrderList();
  }
  return s.slice(i + 1);
}

function discardNullValues(v: JsonValue): JsonValue {
  if (isMap(v)) {
    for (const [k, child] of Object.entries(v)) {
      if (child === null) delete v[k];
      else discardNullValues(child);
    }
  } else if (Array.isArray(v)) v.forEach(discardNullValues);
  return v;
}

function removeDirectives(v: JsonValue): [JsonValue, boolean] {
  if (isMap(v)) {
    if (Object.prototype.hasOwnProperty.call(v, directiveMarker)) return [null, false];
    for (const k of Object.keys(v)) {
      const [out, keep] = removeDirectives(v[k]!);
      if (keep) v[k] = out;
      else delete v[k];
    }
    return [v, true];
  }
  if (Array.isArray(v)) {
    const res: JsonValue[] = [];
    for (const item of v) {
      const [out, keep] = removeDirectives(item);
      if (keep) res.push(out);
    }
    return [res, true];
  }
  return [v, true];
}

function applyRetainKeysDirective(original: JsonMap, patch: JsonMap): void {
  if (!Object.prototype.hasOwnProperty.call(patch, retainKeysDirective)) return;
  const list = patch[retainKeysDirective];
  delete patch[retainKeysDirective];
  if (!Array.isArray(list)) throw errBadPatchFormatForRetainKeys();
  const retained = new Set(list.filter((x): x is string => typeof x === 'string'));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(deleteFromPrimitiveListPrefix) || k.startsWith(setElementOrderPrefix))
      continue;
    if (!retained.has(k)) throw errBadPatchFormatForRetainKeys();
  }
  for (const k of Object.keys(original)) if (!retained.has(k)) delete original[k];
}

/** $setElementOrder/<list>: merge the list, then order it by the directive. */
function mergePatchIntoOriginal(original: JsonMap, patch: JsonMap, schema: SchemaNode | undefined): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(setElementOrderPrefix)) continue;
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order)) throw errBadArgType('[]interface {}', order);
    const originalKey = extractKey(key, setElementOrderPrefix);
    const foundOriginal = Object.prototype.hasOwnProperty.call(original, originalKey);
    const foundPatch = Object.prototype.hasOwnProperty.call(patch, originalKey);
    let originalList: JsonValue[] = [];
    let patchList: JsonValue[] = [];
    if (foundOriginal) {
      const v = original[originalKey];
      if (!Array.isArray(v)) throw errBadArgType('[]interface {}', v);
      originalList = v;
    }
    if (foundPatch) {
      const v = patch[originalKey];
      if (!Array.isArray(v)) throw errBadArgType('[]interface {}', v);
      patchList = v;
    }
    const meta = lookupSlice(schema, originalKey);
    const strategy = extractRetainKeysPatchStrategy(meta.strategies);
    validatePatchWithSetOrderList(patchList, order, meta.mergeKey);

    let merged: JsonValue[];
    if (foundOriginal && !foundPatch) merged = originalList;
    else if (!foundOriginal && foundPatch) merged = removeDirectives(patchList)[0] as JsonValue[];
    else if (foundOriginal && foundPatch)
      merged =
        strategy === mergeDirective
          ? mergeSlice(originalList, patchList, meta.sub, meta.mergeKey, false)
          : patchList;
    else continue;

    const [patchItems, serverOnly] = meta.mergeKey
      ? partitionMapsByPresentInList(merged, order, meta.mergeKey)
      : partitionPrimitivesByPresentInList(merged, order);
    const kind = sliceElementKind(originalList, patchList);
    original[originalKey] = normalizeElementOrder(
      patchItems,
      serverOnly,
      order,
      originalList,
      meta.mergeKey,
      kind,
    );
    delete patch[originalKey];
  }
}

function mergeKeyValueEqual(left: JsonValue, right: JsonValue, mergeKey: string): boolean {
  if (!mergeKey) return left === right;
  if (!isMap(left)) throw errBadArgType('map[string]interface {}', left);
  if (!isMap(right)) throw errBadArgType('map[string]interface {}', right);
  if (!(mergeKey in left)) throw errNoMergeKey(left, mergeKey);
  if (!(mergeKey in right)) throw errNoMergeKey(right, mergeKey);
  return left[mergeKey] === right[mergeKey];
}

function containsDirectiveMarker(item: JsonValue): boolean {
  return isMap(item) && Object.prototype.hasOwnProperty.call(item, directiveMarker);
}

function validatePatchWithSetOrderList(patchList: JsonValue[], order: JsonValue[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const nonDelete = mergeKey ? extractToDeleteItems(patchList)[0] : patchList;
  let pi = 0;
  let oi = 0;
  while (pi < nonDelete.length && oi < order.length) {
    if (containsDirectiveMarker(nonDelete[pi]!)) {
      pi++;
      continue;
    }
    if (mergeKeyValueEqual(nonDelete[pi]!, order[oi]!, mergeKey)) pi++;
    oi++;
  }
  if (pi < nonDelete.length && oi >= order.length) {
    throw errOther(
      `The order in patch list:\n${goFormatV(patchList)}\n doesn't match ${setElementOrderPrefix} list:\n${goFormatV(order)}\n`,
    );
  }
}

function extractToDeleteItems(l: JsonValue[]): [JsonValue[], JsonValue[]] {
  const keep: JsonValue[] = [];
  const del: JsonValue[] = [];
  for (const v of l) {
    if (!isMap(v)) throw errBadArgType('map[string]interface {}', v);
    if (v[directiveMarker] === deleteDirective) del.push(v);
    else keep.push(v);
  }
  return [keep, del];
}

/** sliceElementType: all elements must share one Go type, and not be lists. */
function sliceElementKind(...slices: JsonValue[][]): Kind {
  let prev: string | undefined;
  let kind: Kind = 'scalar';
  for (const s of slices) {
    for (const v of s) {
      const t = goTypeName(v);
      if (prev === undefined) {
        prev = t;
        if (Array.isArray(v)) throw errNoListOfLists();
        kind = isMap(v) ? 'map' : 'scalar';
      } else if (prev !== t) {
        throw errOther(`list element types are not identical: ${goFormatV(slices)}`);
      }
    }
  }
  if (prev === undefined) throw errOther('no elements in any of the given slices');
  return kind;
}

function mergeSlice(
  original: JsonValue[],
  patch: JsonValue[],
  schema: SchemaNode | undefined,
  mergeKey: string,
  isDeleteList: boolean,
): JsonValue[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = sliceElementKind(original, patch);
  let merged: JsonValue[];
  let serverOrder = original;
  let patchOrder = patch;
  if (kind !== 'map') {
    if (isDeleteList) {
      const del = new Set(patch);
      return original.filter((v) => !del.has(v));
    }
    merged = deduplicateScalars([...original, ...patch]);
  } else {
    if (!mergeKey) throw errOther('cannot merge lists without merge key for struct');
    [serverOrder, patchOrder] = mergeSliceWithSpecialElements(original, patch, mergeKey);
    merged = mergeSliceWithoutSpecialElements([...serverOrder], patchOrder, mergeKey, schema);
  }
  const [patchItems, serverOnly] = mergeKey
    ? partitionMapsByPresentInList(merged, patchOrder, mergeKey)
    : partitionPrimitivesByPresentInList(merged, patchOrder);
  return normalizeElementOrder(patchItems, serverOnly, patchOrder, serverOrder, mergeKey, kind);
}

/** The "clever" in-place dedupe of strategicpatch, including the order it leaves behind. */
function deduplicateScalars(s: JsonValue[]): JsonValue[] {
  let length = s.length - 1;
  for (let i = 0; i < length; i++) {
    for (let j = i + 1; j <= length; j++) {
      if (s[i] === s[j]) {
        s[j] = s[length]!;
        s.length = length;
        length--;
        j--;
      }
    }
  }
  return s;
}

function mergeSliceWithSpecialElements(
  original: JsonValue[],
  patch: JsonValue[],
  mergeKey: string,
): [JsonValue[], JsonValue[]] {
  const without: JsonValue[] = [];
  let replace = false;
  let orig = original;
  for (const v of patch) {
    const m = v as JsonMap;
    if (!Object.prototype.hasOwnProperty.call(m, directiveMarker)) {
      without.push(v);
      continue;
    }
    const t = m[directiveMarker];
    if (t === deleteDirective) {
      if (!Object.prototype.hasOwnProperty.call(m, mergeKey)) throw errNoMergeKey(m, mergeKey);
      const key = m[mergeKey];
      orig = orig.filter((item) => {
        if (!isMap(item)) throw errOther('value for key is not a map');
        return !(mergeKey in item && item[mergeKey] === key);
      });
    } else if (t === replaceDirective) {
      replace = true;
    } else if (t === mergeDirective) {
      throw errOther('merging lists cannot yet be specified in the patch');
    } else {
      throw errBadPatchType(t, m);
    }
  }
  return replace ? [without, []] : [orig, without];
}

function findByKey(list: JsonValue[], key: string, value: JsonValue): number {
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (!isMap(item)) throw errOther(`value for key ${i} is not a map`);
    if (key in item && item[key] === value) return i;
  }
  return -1;
}

function mergeSliceWithoutSpecialElements(
  original: JsonValue[],
  patch: JsonValue[],
  mergeKey: string,
  schema: SchemaNode | undefined,
): JsonValue[] {
  for (const v of patch) {
    const m = v as JsonMap;
    if (!Object.prototype.hasOwnProperty.call(m, mergeKey)) throw errNoMergeKey(m, mergeKey);
    const idx = findByKey(original, mergeKey, m[mergeKey]!);
    if (idx >= 0) original[idx] = mergeMap(original[idx] as JsonMap, m, schema);
    else original.push(v);
  }
  return original;
}

function partitionPrimitivesByPresentInList(list: JsonValue[], by: JsonValue[]): [JsonValue[], JsonValue[]] {
  const inPatch = new Set(by);
  return [list.filter((v) => inPatch.has(v)), list.filter((v) => !inPatch.has(v))];
}

function partitionMapsByPresentInList(
  list: JsonValue[],
  by: JsonValue[],
  mergeKey: string,
): [JsonValue[], JsonValue[]] {
  const patch: JsonValue[] = [];
  const serverOnly: JsonValue[] = [];
  for (const v of list) {
    if (!isMap(v)) throw errBadArgType('map[string]interface {}', v);
    if (!Object.prototype.hasOwnProperty.call(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
    if (findByKey(by, mergeKey, v[mergeKey]!) >= 0) patch.push(v);
    else serverOnly.push(v);
  }
  return [patch, serverOnly];
}

function indexOf(l: JsonValue[], v: JsonValue, mergeKey: string, kind: Kind): number {
  const val = (item: JsonValue): JsonValue | undefined =>
    kind === 'map' ? (isMap(item) ? (item[mergeKey] ?? null) : null) : item;
  const want = val(v);
  return l.findIndex((item) => val(item) === want);
}

function normalizeSliceOrder(
  toSort: JsonValue[],
  order: JsonValue[],
  mergeKey: string,
  kind: Kind,
): JsonValue[] {
  let sorted = [...toSort];
  let toDelete: JsonValue[] = [];
  if (kind === 'map') {
    for (const list of [toSort, order]) {
      for (const item of list) {
        if (!isMap(item)) throw errBadArgType('map[string]interface {}', item);
        if (!Object.prototype.hasOwnProperty.call(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
      }
    }
    [sorted, toDelete] = extractToDeleteItems(sorted);
  }
  goSliceStable(sorted, (a, b) => {
    const ia = indexOf(order, a, mergeKey, kind);
    if (ia >= 0) {
      const ib = indexOf(order, b, mergeKey, kind);
      if (ib >= 0) return ia < ib;
    }
    return true;
  });
  return [...sorted, ...toDelete];
}

function normalizeElementOrder(
  patch: JsonValue[],
  serverOnly: JsonValue[],
  patchOrder: JsonValue[],
  serverOrder: JsonValue[],
  mergeKey: string,
  kind: Kind,
): JsonValue[] {
  const p = normalizeSliceOrder(patch, patchOrder, mergeKey, kind);
  const s = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  return mergeSortedSlice(s, p, serverOrder, mergeKey, kind);
}

function mergeSortedSlice(
  left: JsonValue[],
  right: JsonValue[],
  serverOrder: JsonValue[],
  mergeKey: string,
  kind: Kind,
): JsonValue[] {
  const out: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]!);
    else if (j >= right.length) out.push(left[i++]!);
    else {
      const li = indexOf(serverOrder, left[i]!, mergeKey, kind);
      const ri = indexOf(serverOrder, right[j]!, mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]!);
      else out.push(right[j++]!);
    }
  }
  return out;
}
