// A watch-list's initial-events-end bookmark carries an empty list of the collection, encoded as
// the client asked (JSON or protobuf) and base64'd: client-go's watch-list client builds its list
// from it and refuses a bookmark without it ("annotation is missing content").
import { objectToProtobuf } from '../protobuf/index.js';

export const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';
export const LIST_BLUEPRINT = 'kubernetes.io/initial-events-list-blueprint';

export interface ListType {
  apiVersion: string;
  /** The list kind (PodList; PartialObjectMetadataList for metadata-only watches). */
  kind: string;
}

/** The empty list as the apiserver encodes it: Go's JSON of a nil items slice, or the protobuf envelope. */
export function listBlueprint(list: ListType, protobuf = false): string {
  const empty = { kind: list.kind, apiVersion: list.apiVersion, metadata: {}, items: null };
  if (protobuf) {
    try {
      return objectToProtobuf({ ...empty, items: [] }, list.apiVersion, list.kind).toString('base64');
    } catch {
      // a kind without a protobuf message is never served as protobuf; JSON is what it would be
    }
  }
  return Buffer.from(JSON.stringify(empty) + '\n').toString('base64');
}

/** The annotations of the bookmark that ends a watch-list's initial events. */
export function initialEventsEnd(list: ListType, protobuf = false): Record<string, string> {
  return { [INITIAL_EVENTS_END]: 'true', [LIST_BLUEPRINT]: listBlueprint(list, protobuf) };
}

/** The list type a watch's bookmarks describe: the collection's, or metadata-only. */
export function listTypeOf(apiVersion: string, listKind: string, partial: boolean): ListType {
  return partial
    ? { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadataList' }
    : { apiVersion, kind: listKind };
}

/**
 * A host bookmark (read as JSON) re-encoded for a protobuf client: its blueprint is the host's JSON
 * list and becomes the protobuf one (the list kind of a built-in is its kind + "List").
 */
export function blueprintForProtobuf(bookmark: Record<string, unknown>): void {
  const meta = bookmark['metadata'] as { annotations?: Record<string, string> } | undefined;
  const a = meta?.annotations;
  if (!a || a[INITIAL_EVENTS_END] !== 'true' || a[LIST_BLUEPRINT] === undefined) return;
  const list = {
    apiVersion: String(bookmark['apiVersion'] ?? ''),
    kind: `${String(bookmark['kind'] ?? '')}List`,
  };
  a[LIST_BLUEPRINT] = listBlueprint(list, true);
}
