// The OpenAPI v2 document as protobuf (application/com.github.proto-openapi.spec.v2@v1.0+protobuf),
// the form kube-openapi serves from gnostic's openapi_v2.Document and that kubectl asks for
// (`explain --output=plaintext-openapiv2`, validation of kinds OpenAPI v3 does not describe).
// Field numbers are those of gnostic-models openapiv2/OpenAPIv2.proto; maps are repeated Named*
// pairs, `x-` keys vendor extensions, and every free-form value an Any holding its YAML (JSON
// text is YAML, which is how consumers read it back).
import { Writer } from '../protobuf/wire.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A field encoder: writes `v` (known to be present) as field `n`. */
type Enc = (w: Writer, n: number, v: unknown) => void;

const str: Enc = (w, n, v) => {
  if (typeof v === 'string' && v !== '') w.stringField(n, v);
};
const bool: Enc = (w, n, v) => {
  if (v === true) w.varintField(n, 1);
};
const int: Enc = (w, n, v) => {
  if (typeof v === 'number' && v !== 0) w.varintField(n, v);
};
const dbl: Enc = (w, n, v) => {
  if (typeof v === 'number' && v !== 0) w.doubleField(n, v);
};
const strs: Enc = (w, n, v) => {
  for (const s of Array.isArray(v) ? v : []) if (typeof s === 'string') w.stringField(n, s);
};
const msg =
  (encode: (w: Writer, v: unknown) => void): Enc =>
  (w, n, v) => {
    const inner = new Writer();
    encode(inner, v);
    w.bytesField(n, inner.finish());
  };
const repeated =
  (enc: Enc): Enc =>
  (w, n, v) => {
    for (const item of Array.isArray(v) ? v : []) enc(w, n, item);
  };

/** Any { yaml = 2 } */
const any: Enc = msg((w, v) => w.stringField(2, `${JSON.stringify(v)}\n`));
const anys: Enc = repeated(any);

/** A message of named fields: JSON key -> [field number, encoder]; `x-` keys to `ext` when given. */
function fields(spec: Record<string, [number, Enc]>, ext?: number): (w: Writer, v: unknown) => void {
  return (w, v) => {
    if (!isObj(v)) return;
    for (const [key, f] of Object.entries(spec)) if (v[key] !== undefined) f[1](w, f[0], v[key]);
    if (ext !== undefined) vendorExtensions(w, ext, v);
  };
}

/** NamedAny { name = 1; value = 2 } for each `x-` key. */
function vendorExtensions(w: Writer, n: number, v: Obj): void {
  for (const [key, val] of Object.entries(v))
    if (key.startsWith('x-'))
      msg((inner) => {
        inner.stringField(1, key);
        any(inner, 2, val);
      })(w, n, undefined);
}

/** A map as repeated Named* { name = 1; value = 2 } in field `n` of the enclosing message. */
const named =
  (value: Enc): Enc =>
  (w, n, v) => {
    if (!isObj(v)) return;
    for (const [key, val] of Object.entries(v))
      msg((inner) => {
        inner.stringField(1, key);
        value(inner, 2, val);
      })(w, n, undefined);
  };
/** A message whose only field (1) is such a map (Definitions, Properties, Headers...). */
const mapMessage = (value: Enc): Enc => msg((w, v) => named(value)(w, 1, v));

const externalDocs = msg(fields({ description: [1, str], url: [2, str] }, 3));
const xml = msg(
  fields(
    { name: [1, str], namespace: [2, str], prefix: [3, str], attribute: [4, bool], wrapped: [5, bool] },
    6,
  ),
);

// Schema refers to itself: declared as a function.
function schemaFields(w: Writer, v: unknown): void {
  schemaSpec(w, v);
}
const schema: Enc = msg(schemaFields);
const schemaSpec = fields(
  {
    $ref: [1, str],
    format: [2, str],
    title: [3, str],
    description: [4, str],
    default: [5, any],
    multipleOf: [6, dbl],
    maximum: [7, dbl],
    exclusiveMaximum: [8, bool],
    minimum: [9, dbl],
    exclusiveMinimum: [10, bool],
    maxLength: [11, int],
    minLength: [12, int],
    pattern: [13, str],
    maxItems: [14, int],
    minItems: [15, int],
    uniqueItems: [16, bool],
    maxProperties: [17, int],
    minProperties: [18, int],
    required: [19, strs],
    enum: [20, anys],
    // AdditionalPropertiesItem { oneof: Schema schema = 1; bool boolean = 2 }
    additionalProperties: [
      21,
      msg((w, v) => (typeof v === 'boolean' ? w.varintField(2, v ? 1 : 0) : schema(w, 1, v))),
    ],
    // TypeItem { repeated string value = 1 }
    type: [22, msg((w, v) => strs(w, 1, Array.isArray(v) ? v : [v]))],
    // ItemsItem { repeated Schema schema = 1 }
    items: [23, msg((w, v) => repeated(schema)(w, 1, Array.isArray(v) ? v : [v]))],
    allOf: [24, repeated(schema)],
    properties: [25, mapMessage(schema)],
    discriminator: [26, str],
    readOnly: [27, bool],
    xml: [28, xml],
    externalDocs: [29, externalDocs],
    example: [30, any],
  },
  31,
);

// PrimitivesItems refers to itself too.
function primitivesFields(w: Writer, v: unknown): void {
  primitivesSpec(w, v);
}
const primitives: Enc = msg(primitivesFields);
/** The primitive fields PrimitivesItems, Header and the non-body parameters share, in field order. */
const PRIMITIVE_KEYS = [
  ['type', str],
  ['format', str],
  ['items', primitives],
  ['collectionFormat', str],
  ['default', any],
  ['maximum', dbl],
  ['exclusiveMaximum', bool],
  ['minimum', dbl],
  ['exclusiveMinimum', bool],
  ['maxLength', int],
  ['minLength', int],
  ['pattern', str],
  ['maxItems', int],
  ['minItems', int],
  ['uniqueItems', bool],
  ['enum', anys],
  ['multipleOf', dbl],
] as const;
/** `head`, then the primitive fields numbered from `from`. */
function withPrimitives(
  from: number,
  head: Record<string, [number, Enc]> = {},
): Record<string, [number, Enc]> {
  const spec = { ...head };
  PRIMITIVE_KEYS.forEach(([k, e], i) => (spec[k] = [from + i, e]));
  return spec;
}
const primitivesSpec = fields(withPrimitives(1), 1 + PRIMITIVE_KEYS.length);

/** The fields every non-body parameter shares, numbered from `from` (after required, in, description, name[, allowEmptyValue]). */
function simpleParameter(allowEmpty: boolean): (w: Writer, v: unknown) => void {
  const base = allowEmpty ? 6 : 5;
  const head: Record<string, [number, Enc]> = {
    required: [1, bool],
    in: [2, str],
    description: [3, str],
    name: [4, str],
    ...(allowEmpty ? { allowEmptyValue: [5, bool] as [number, Enc] } : {}),
  };
  return fields(withPrimitives(base, head), base + PRIMITIVE_KEYS.length);
}
const NON_BODY: Record<string, [number, (w: Writer, v: unknown) => void]> = {
  header: [1, simpleParameter(false)],
  formData: [2, simpleParameter(true)],
  query: [3, simpleParameter(true)],
  path: [4, simpleParameter(false)],
};
const bodyParameter = fields(
  { description: [1, str], name: [2, str], in: [3, str], required: [4, bool], schema: [5, schema] },
  6,
);
const jsonReference = msg(fields({ $ref: [1, str], description: [2, str] }));
/** Parameter { oneof: BodyParameter = 1; NonBodyParameter = 2 } */
const parameter: Enc = msg((w, v) => {
  if (!isObj(v)) return;
  if (v['in'] === 'body') return msg(bodyParameter)(w, 1, v);
  const sub = NON_BODY[String(v['in'])];
  if (sub) msg((inner) => msg(sub[1])(inner, sub[0], v))(w, 2, v);
});
/** ParametersItem { oneof: Parameter = 1; JsonReference = 2 } */
const parametersItem: Enc = msg((w, v) =>
  isObj(v) && v['$ref'] !== undefined ? jsonReference(w, 2, v) : parameter(w, 1, v),
);

const header = msg(
  fields({ ...withPrimitives(1), description: [1 + PRIMITIVE_KEYS.length, str] }, 2 + PRIMITIVE_KEYS.length),
);
const response = msg(
  fields(
    {
      description: [1, str],
      // SchemaItem { oneof: Schema schema = 1; FileSchema = 2 }
      schema: [2, msg((w, v) => schema(w, 1, v))],
      headers: [3, mapMessage(header)],
      examples: [4, mapMessage(any)],
    },
    5,
  ),
);
/** ResponseValue { oneof: Response = 1; JsonReference = 2 } */
const responseValue: Enc = msg((w, v) =>
  isObj(v) && v['$ref'] !== undefined ? jsonReference(w, 2, v) : response(w, 1, v),
);
/** Responses { repeated NamedResponseValue response_code = 1; vendor_extension = 2 } */
const responses: Enc = msg((w, v) => {
  if (!isObj(v)) return;
  named(responseValue)(w, 1, Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith('x-'))));
  vendorExtensions(w, 2, v);
});
/** SecurityRequirement { repeated NamedStringArray = 1 }, StringArray { repeated string value = 1 } */
const securityRequirement = mapMessage(msg((w, v) => strs(w, 1, v)));

const operation = msg(
  fields(
    {
      tags: [1, strs],
      summary: [2, str],
      description: [3, str],
      externalDocs: [4, externalDocs],
      operationId: [5, str],
      produces: [6, strs],
      consumes: [7, strs],
      parameters: [8, repeated(parametersItem)],
      responses: [9, responses],
      schemes: [10, strs],
      deprecated: [11, bool],
      security: [12, repeated(securityRequirement)],
    },
    13,
  ),
);
const pathItem = msg(
  fields(
    {
      $ref: [1, str],
      get: [2, operation],
      put: [3, operation],
      post: [4, operation],
      delete: [5, operation],
      options: [6, operation],
      head: [7, operation],
      patch: [8, operation],
      parameters: [9, repeated(parametersItem)],
    },
    10,
  ),
);
/** Paths { vendor_extension = 1; repeated NamedPathItem path = 2 } */
const paths: Enc = msg((w, v) => {
  if (!isObj(v)) return;
  vendorExtensions(w, 1, v);
  named(pathItem)(w, 2, Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith('x-'))));
});

const SECURITY_KINDS: Record<string, number> = { basic: 1, apiKey: 2 };
const securityScheme = fields({ type: [1, str], name: [2, str], in: [3, str], description: [4, str] }, 5);
const basicScheme = fields({ type: [1, str], description: [2, str] }, 3);
/** SecurityDefinitionsItem { oneof: basic = 1; apiKey = 2; oauth2... } (kube-apiserver uses apiKey). */
const securityDefinitionsItem: Enc = msg((w, v) => {
  if (!isObj(v)) return;
  const n = SECURITY_KINDS[String(v['type'])];
  if (n === 1) msg(basicScheme)(w, 1, v);
  else if (n === 2) msg(securityScheme)(w, 2, v);
});

const info = msg(
  fields(
    {
      title: [1, str],
      version: [2, str],
      description: [3, str],
      termsOfService: [4, str],
      contact: [5, msg(fields({ name: [1, str], url: [2, str], email: [3, str] }, 4))],
      license: [6, msg(fields({ name: [1, str], url: [2, str] }, 3))],
    },
    7,
  ),
);

const document = fields(
  {
    swagger: [1, str],
    info: [2, info],
    host: [3, str],
    basePath: [4, str],
    schemes: [5, strs],
    consumes: [6, strs],
    produces: [7, strs],
    paths: [8, paths],
    definitions: [9, mapMessage(schema)],
    parameters: [10, mapMessage(parameter)],
    responses: [11, mapMessage(response)],
    security: [12, repeated(securityRequirement)],
    securityDefinitions: [13, mapMessage(securityDefinitionsItem)],
    tags: [
      14,
      repeated(msg(fields({ name: [1, str], description: [2, str], externalDocs: [3, externalDocs] }, 4))),
    ],
    externalDocs: [15, externalDocs],
  },
  16,
);

/** The gnostic openapi_v2.Document bytes of a swagger 2.0 document. */
export function openAPIv2Protobuf(doc: unknown): Uint8Array {
  const w = new Writer();
  document(w, doc);
  return w.finish();
}
