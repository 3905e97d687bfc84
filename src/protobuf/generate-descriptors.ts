// Dev-time generator (not run in CI): builds src/protobuf/descriptors/k8s-v1.32.json, the protobuf
// schema kplex transcodes with, from the Go module cache.
//
// Source: the `generated.proto` files of k8s.io/api@v0.32.5, k8s.io/apimachinery@v0.32.5 and
// k8s.io/apiextensions-apiserver@v0.32.5, plus the Go struct tags of the same packages (the proto
// files do not say which fields are `omitempty`, pointers or `,inline`, nor the JSON names that
// differ from the proto names such as `x-kubernetes-*` and `$ref`).
//
// Regenerate: npx tsx src/protobuf/generate-descriptors.ts [/root/go/pkg/mod]
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import type { DescriptorFile, FieldTuple, MessageDescriptor } from './descriptor-types.js';
import { F, SCALAR_TYPES } from './descriptor-types.js';

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(`Usage: npx tsx src/protobuf/generate-descriptors.ts [GOMODCACHE]

Dev-time: rebuilds src/protobuf/descriptors/k8s-v1.32.json from the generated.proto files and Go
struct tags in the Go module cache (default /root/go/pkg/mod).`);
  process.exit(0);
}

const modCache = process.argv[2] ?? '/root/go/pkg/mod';
const api = 'k8s.io/api@v0.32.5';
const machinery = 'k8s.io/apimachinery@v0.32.5';
const apiext = 'k8s.io/apiextensions-apiserver@v0.32.5';
const aggregator = 'k8s.io/kube-aggregator@v0.32.5';

/** Go package directories (module-relative), GA versions a v1.32 apiserver serves. */
const packages: Array<[module: string, dir: string]> = [
  [machinery, 'pkg/apis/meta/v1'],
  [machinery, 'pkg/runtime'],
  [machinery, 'pkg/api/resource'],
  [machinery, 'pkg/util/intstr'],
  ...[
    'core/v1',
    'apps/v1',
    'batch/v1',
    'rbac/v1',
    'policy/v1',
    'networking/v1',
    'storage/v1',
    'coordination/v1',
    'discovery/v1',
    'events/v1',
    'autoscaling/v1',
    'autoscaling/v2',
    'scheduling/v1',
    'node/v1',
    'certificates/v1',
    'admissionregistration/v1',
    'flowcontrol/v1',
    'authentication/v1',
    'authorization/v1',
  ].map((d): [string, string] => [api, d]),
  [apiext, 'pkg/apis/apiextensions/v1'],
  [aggregator, 'pkg/apis/apiregistration/v1'],
];

interface GoField {
  json: string;
  omitempty: boolean;
  pointer: boolean;
  inline: boolean;
}

/** Go structs of a package: struct -> proto field number -> JSON facts; and named slice types. */
function readGoTypes(dir: string): {
  structs: Map<string, Map<number, GoField>>;
  sliceTypes: Set<string>;
  kinds: Set<string>;
} {
  const structs = new Map<string, Map<number, GoField>>();
  const sliceTypes = new Set<string>();
  const kinds = new Set<string>();
  for (const f of readdirSync(dir)) {
    if (
      !f.endsWith('.go') ||
      f.endsWith('_test.go') ||
      f.startsWith('zz_generated') ||
      f.startsWith('generated.')
    )
      continue;
    const lines = readFileSync(join(dir, f), 'utf8').split('\n');
    let current: Map<number, GoField> | undefined;
    let comments: string[] = [];
    for (const line of lines) {
      const start = /^type (\w+) struct \{/.exec(line);
      if (start) {
        current = new Map();
        structs.set(start[1]!, current);
        if (
          comments.some((c) =>
            c.includes('+k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object'),
          )
        )
          kinds.add(start[1]!);
        comments = [];
        continue;
      }
      const slice = /^type (\w+) \[\]/.exec(line);
      if (slice) sliceTypes.add(slice[1]!);
      if (line.startsWith('//')) comments.push(line);
      else if (!current && line.trim() !== '') comments = [];
      if (!current) continue;
      if (line.startsWith('}')) {
        current = undefined;
        comments = [];
        continue;
      }
      const m = /^\s+(?:(\w+)\s+)?(\S+)\s+`([^`]*)`/.exec(line);
      if (!m) continue;
      const tag = m[3]!;
      const pb = /protobuf:"[^"]*?,(\d+),/.exec(tag);
      const js = /json:"([^"]*)"/.exec(tag);
      if (!pb || !js) continue;
      const [name = '', ...opts] = js[1]!.split(',');
      current.set(Number(pb[1]), {
        json: name,
        omitempty: opts.includes('omitempty'),
        pointer: m[2]!.startsWith('*'),
        inline: opts.includes('inline'),
      });
    }
  }
  return { structs, sliceTypes, kinds };
}

interface ProtoField {
  label: 'optional' | 'repeated' | 'map';
  type: string;
  mapValue?: string;
  name: string;
  number: number;
}

function readProto(file: string): { pkg: string; messages: Map<string, ProtoField[]> } {
  const text = readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.replace(/\/\/.*$/, ''))
    .join('\n');
  const pkg = /^package ([\w.]+);/m.exec(text)![1]!;
  const messages = new Map<string, ProtoField[]>();
  for (const mm of text.matchAll(/message (\w+) \{([^}]*)\}/g)) {
    const fields: ProtoField[] = [];
    for (const fm of mm[2]!.matchAll(
      /(optional|repeated)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)|map<\s*(\w+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)/g,
    )) {
      if (fm[1])
        fields.push({
          label: fm[1] as 'optional' | 'repeated',
          type: fm[2]!,
          name: fm[3]!,
          number: Number(fm[4]),
        });
      else {
        if (fm[5] !== 'string') throw new Error(`map key ${fm[5]} in ${mm[1]}`);
        fields.push({ label: 'map', type: 'string', mapValue: fm[6]!, name: fm[7]!, number: Number(fm[8]) });
      }
    }
    messages.set(mm[1]!, fields);
  }
  return { pkg, messages };
}

/** Type reference as stored: scalars by name, messages of the same package by short name, others fully qualified with a leading dot. */
function typeRef(t: string, pkg: string): string {
  if (SCALAR_TYPES.has(t)) return t;
  const full = t.startsWith('.') ? t.slice(1) : `${pkg}.${t}`;
  return full.startsWith(`${pkg}.`) ? full.slice(pkg.length + 1) : `.${full}`;
}

/** The API group: register.go's GroupName constant, else doc.go's +groupName tag. */
function groupOf(dir: string): string {
  const files = readdirSync(dir);
  const register = files.includes('register.go') ? readFileSync(join(dir, 'register.go'), 'utf8') : '';
  const c = /GroupName\s*=\s*"([^"]*)"/.exec(register);
  if (c) return c[1]!;
  const doc = readFileSync(join(dir, 'doc.go'), 'utf8');
  return /\+groupName=([\w.]*)/.exec(doc)?.[1] ?? '';
}

const out: DescriptorFile = {
  source: `${api}, ${machinery}, ${apiext}: generated.proto + Go json tags (src/protobuf/generate-descriptors.ts)`,
  groupVersions: {},
  kinds: {},
  messages: {},
};

for (const [mod, rel] of packages) {
  const dir = join(modCache, mod, rel);
  const proto = readProto(join(dir, 'generated.proto'));
  const go = readGoTypes(dir);
  const version = rel.split('/').pop()!;
  const isMetaLike = rel === 'pkg/runtime' || rel === 'pkg/api/resource' || rel === 'pkg/util/intstr';
  if (!isMetaLike) {
    const group = groupOf(dir);
    const gv = group ? `${group}/${version}` : version;
    out.groupVersions[gv] = proto.pkg;
    out.kinds[gv] = [...go.kinds].filter((k) => proto.messages.has(k)).sort();
  }
  for (const [name, fields] of proto.messages) {
    const goStruct = go.structs.get(name);
    const desc: MessageDescriptor = { f: [] };
    if (go.sliceTypes.has(name) && fields.length === 1 && fields[0]!.name === 'items') desc.array = true;
    for (const pf of fields) {
      const g = goStruct?.get(pf.number);
      let flags = 0;
      if (pf.label === 'repeated') flags |= F.repeated;
      if (g?.omitempty) flags |= F.omitempty;
      if (g?.pointer) flags |= F.pointer;
      if (g?.inline) flags |= F.inline;
      if (!g && goStruct && !desc.array)
        console.warn(`no Go field for ${proto.pkg}.${name}.${pf.name} (${pf.number})`);
      const t = pf.label === 'map' ? `map:${typeRef(pf.mapValue!, proto.pkg)}` : typeRef(pf.type, proto.pkg);
      const tuple: FieldTuple = [pf.number, g?.json || pf.name, t, flags];
      desc.f.push(tuple);
    }
    desc.f.sort((a, b) => a[0] - b[0]);
    out.messages[`${proto.pkg}.${name}`] = desc;
  }
}

const target = join(dirname(fileURLToPath(import.meta.url)), 'descriptors', 'k8s-v1.32.json');
mkdirSync(dirname(target), { recursive: true });
// Formatted as the repository's prettier check expects, so regenerating gives no spurious diff.
const text = await format(JSON.stringify(out), {
  ...(await resolveConfig(target)),
  parser: 'json',
  filepath: target,
});
writeFileSync(target, text);
console.log(`wrote ${target}: ${Object.keys(out.messages).length} messages, ${text.length} bytes`);
