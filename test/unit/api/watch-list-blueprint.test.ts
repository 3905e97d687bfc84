// The empty-list blueprint of a watch-list's end bookmark, byte for byte as the host apiserver
// (v1.32) encodes it: the expected strings were read from the local host's answers.
import { describe, expect, it } from 'vitest';
import { blueprintForProtobuf, listBlueprint } from '../../../src/api/watch-list-blueprint.js';

const PVC_LIST = { apiVersion: 'v1', kind: 'PersistentVolumeClaimList' };

describe('listBlueprint', () => {
  it('JSON: Go encoding of the empty list with nil items and a trailing newline', () => {
    expect(listBlueprint(PVC_LIST)).toBe(
      'eyJraW5kIjoiUGVyc2lzdGVudFZvbHVtZUNsYWltTGlzdCIsImFwaVZlcnNpb24iOiJ2MSIsIm1ldGFkYXRhIjp7fSwiaXRlbXMiOm51bGx9Cg==',
    );
    expect(listBlueprint({ apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadataList' })).toBe(
      'eyJraW5kIjoiUGFydGlhbE9iamVjdE1ldGFkYXRhTGlzdCIsImFwaVZlcnNpb24iOiJtZXRhLms4cy5pby92MSIsIm1ldGFkYXRhIjp7fSwiaXRlbXMiOm51bGx9Cg==',
    );
  });

  it('protobuf: the envelope of the empty list', () => {
    expect(listBlueprint(PVC_LIST, true)).toBe(
      'azhzAAofCgJ2MRIZUGVyc2lzdGVudFZvbHVtZUNsYWltTGlzdBIICgYKABIAGgAaACIA',
    );
  });

  it('a kind with no protobuf message falls back to JSON', () => {
    const list = { apiVersion: 'example.com/v1', kind: 'WidgetList' };
    expect(listBlueprint(list, true)).toBe(listBlueprint(list, false));
  });

  it("re-encodes a host bookmark's JSON blueprint for a protobuf stream, and leaves other bookmarks alone", () => {
    const end = {
      kind: 'PersistentVolumeClaim',
      apiVersion: 'v1',
      metadata: {
        resourceVersion: '9',
        annotations: {
          'k8s.io/initial-events-end': 'true',
          'kubernetes.io/initial-events-list-blueprint': listBlueprint(PVC_LIST),
        },
      },
    };
    blueprintForProtobuf(end);
    expect(end.metadata.annotations['kubernetes.io/initial-events-list-blueprint']).toBe(
      listBlueprint(PVC_LIST, true),
    );
    const progress = { kind: 'PersistentVolumeClaim', apiVersion: 'v1', metadata: { resourceVersion: '10' } };
    blueprintForProtobuf(progress);
    expect(progress).toEqual({
      kind: 'PersistentVolumeClaim',
      apiVersion: 'v1',
      metadata: { resourceVersion: '10' },
    });
  });
});
