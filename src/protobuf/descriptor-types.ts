// The shape of the generated descriptor file (descriptors/k8s-v1.32.json): protobuf messages of
// the built-in API with the JSON facts of their Go structs.

/** Field flags, a bitmask. */
export const F = {
  repeated: 1,
  /** Go json tag has omitempty. */
  omitempty: 2,
  /** Go field is a pointer: present or nil (`null`). */
  pointer: 4,
  /** Go field is embedded with `json:",inline"`: its fields render in the parent object. */
  inline: 8,
} as const;

/**
 * [proto field number, JSON name, type, flags]. Type: a scalar (`string`, `int64`, ...), a
 * message in the same proto package by short name, another package's message as `.pkg.Name`,
 * or `map:<value type>` (keys are always strings).
 */
export type FieldTuple = [number: number, json: string, type: string, flags: number];

export interface MessageDescriptor {
  f: FieldTuple[];
  /** A Go named slice (`type ExtraValue []string`) wrapped as `{items}`: JSON renders the array. */
  array?: boolean;
}

export interface DescriptorFile {
  source: string;
  /** apiVersion -> proto package. */
  groupVersions: Record<string, string>;
  /** apiVersion -> top-level kinds (runtime.Object types) that have a message. */
  kinds: Record<string, string[]>;
  /** Fully qualified message name -> descriptor. */
  messages: Record<string, MessageDescriptor>;
}

/** Protobuf scalar types: a field of another type names a message. */
export const SCALAR_TYPES: ReadonlySet<string> = new Set([
  'string',
  'bool',
  'bytes',
  'int32',
  'int64',
  'uint32',
  'uint64',
  'double',
  'float',
  'sint32',
  'sint64',
  'fixed32',
  'fixed64',
]);
