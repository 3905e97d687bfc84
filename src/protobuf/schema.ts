// The built-in protobuf schema: resolved message descriptors and the apiVersion/kind -> message
// lookup, read from the generated descriptor file.
import descriptorData from './descriptors/k8s-v1.32.json' with { type: 'json' };
import { type DescriptorFile, F, SCALAR_TYPES } from './descriptor-types.js';

const data = descriptorData as unknown as DescriptorFile;

export const metaPackage = 'k8s.io.apimachinery.pkg.apis.meta.v1';

export interface FieldDescriptor {
  num: number;
  json: string;
  /** Scalar type name, or a fully qualified message name. */
  type: string;
  scalar: boolean;
  repeated: boolean;
  map: boolean;
  omitempty: boolean;
  pointer: boolean;
  inline: boolean;
}

export interface Message {
  name: string;
  fields: FieldDescriptor[];
  byNum: Map<number, FieldDescriptor>;
  array: boolean;
}

const cache = new Map<string, Message>();

function resolve(ref: string, pkg: string): string {
  if (SCALAR_TYPES.has(ref)) return ref;
  return ref.startsWith('.') ? ref.slice(1) : `${pkg}.${ref}`;
}

/** The message descriptor by fully qualified name; throws for unknown names. */
export function message(name: string): Message {
  const hit = cache.get(name);
  if (hit) return hit;
  const d = data.messages[name];
  if (!d) throw new Error(`protobuf: no descriptor for message ${name}`);
  const pkg = name.slice(0, name.lastIndexOf('.'));
  const fields = d.f.map(([num, json, t, flags]): FieldDescriptor => {
    const isMap = t.startsWith('map:');
    const type = resolve(isMap ? t.slice(4) : t, pkg);
    return {
      num,
      json,
      type,
      scalar: SCALAR_TYPES.has(type),
      repeated: (flags & F.repeated) !== 0,
      map: isMap,
      omitempty: (flags & F.omitempty) !== 0,
      pointer: (flags & F.pointer) !== 0,
      inline: (flags & F.inline) !== 0,
    };
  });
  const m: Message = { name, fields, byNum: new Map(fields.map((f) => [f.num, f])), array: d.array === true };
  cache.set(name, m);
  return m;
}

/**
 * The message of a top-level kind. meta.k8s.io/v1 kinds (Status, WatchEvent, DeleteOptions,
 * ListOptions...) are registered in every group version, as AddToGroupVersion does.
 */
export function messageNameForKind(apiVersion: string, kind: string): string | undefined {
  const pkg = data.groupVersions[apiVersion];
  if (pkg && data.kinds[apiVersion]?.includes(kind)) return `${pkg}.${kind}`;
  if (data.kinds['meta.k8s.io/v1']?.includes(kind)) return `${metaPackage}.${kind}`;
  return undefined;
}

/** Whether the apiserver serves this kind as protobuf (built-in types only; custom resources never). */
export function hasProtobuf(apiVersion: string, kind: string): boolean {
  return messageNameForKind(apiVersion, kind) !== undefined;
}
