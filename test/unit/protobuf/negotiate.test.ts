// Output negotiation as the apiserver: protobuf for built-in kinds, never for custom resources
// except as PartialObjectMetadata, and never for Tables.
import { describe, expect, it } from 'vitest';
import { negotiateOutput } from '../../../src/handlers/negotiate.js';
import { hasProtobuf } from '../../../src/protobuf/index.js';

const pb = 'application/vnd.kubernetes.protobuf';

describe('negotiateOutput with protobuf', () => {
  it('knows which kinds have protobuf', () => {
    expect(hasProtobuf('v1', 'Namespace')).toBe(true);
    expect(hasProtobuf('apiextensions.k8s.io/v1', 'CustomResourceDefinition')).toBe(true);
    expect(hasProtobuf('rbac.authorization.k8s.io/v1', 'ClusterRole')).toBe(true);
    expect(hasProtobuf('v1', 'Status')).toBe(true);
    expect(hasProtobuf('example.com/v1', 'Widget')).toBe(false);
    expect(hasProtobuf('v1', 'Widget')).toBe(false);
  });

  it('answers protobuf to client-go typed clients of built-in kinds', () => {
    expect(negotiateOutput(`${pb}, application/json`, true)).toEqual({ kind: 'json', protobuf: true });
    expect(negotiateOutput(pb, true)).toEqual({ kind: 'json', protobuf: true });
    expect(negotiateOutput(`application/json, ${pb}`, true)).toEqual({ kind: 'json' });
    expect(negotiateOutput(`${pb};q=0.5, application/json`, true)).toEqual({ kind: 'json' });
    expect(negotiateOutput('*/*', true)).toEqual({ kind: 'json' });
  });

  it('falls back to JSON for custom resources and refuses protobuf alone', () => {
    expect(negotiateOutput(`${pb}, application/json`, false)).toEqual({ kind: 'json' });
    expect(() => negotiateOutput(pb, false)).toThrow(
      'only the following media types are accepted: application/json, application/yaml',
    );
  });

  it('offers protobuf PartialObjectMetadata for every resource, and Table only as JSON or YAML', () => {
    const partial = `${pb};as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json`;
    expect(negotiateOutput(partial, false)).toEqual({ kind: 'partial', protobuf: true });
    expect(negotiateOutput(`${pb};as=Table;g=meta.k8s.io;v=v1, application/json`, true)).toEqual({
      kind: 'json',
    });
    expect(() => negotiateOutput(`${pb};as=Table;g=meta.k8s.io;v=v1`, true)).toThrow(
      'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf',
    );
  });
});
