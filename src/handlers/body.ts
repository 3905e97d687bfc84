// Request bodies: the apiserver's 3 MiB limit (413), JSON (with duplicate-key detection for
// strict field validation) and YAML.
import type { IncomingMessage } from 'node:http';
import { parse as parseYAML, parseDocument } from 'yaml';
import { badRequest, requestEntityTooLarge } from '../api/status.js';
import { JSONSyntaxError, parseJSONStrict } from '../api/strict-json.js';
import { ProtobufError, protobufMediaType, protobufToObject } from '../protobuf/index.js';

/** MaxRequestBodyBytes of the apiserver: 3 MiB. */
export const maxRequestBodyBytes = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit = maxRequestBodyBytes): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw requestEntityTooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw requestEntityTooLarge(limit);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export interface DecodedBody {
  value: unknown;
  /** Strict-decoding errors (`duplicate field "x"`). */
  duplicates: string[];
  text: string;
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The endpoint's kind, which a protobuf envelope without apiVersion/kind defaults to. */
export interface ExpectedKind {
  apiVersion: string;
  kind: string;
}

function decodeProtobuf(buf: Buffer, expect: ExpectedKind | undefined): DecodedBody {
  try {
    // Compact: Go's zero values (`null` timestamps, empty structs) read as absent, as from a JSON client.
    return { value: protobufToObject(buf, { defaults: expect, compact: true }), duplicates: [], text: '' };
  } catch (e) {
    if (!(e instanceof ProtobufError) && !(e instanceof SyntaxError) && !(e instanceof RangeError)) throw e;
    const what = expect ? ` (must be of type ${expect.kind})` : '';
    throw badRequest(`the object provided is unrecognized${what}: ${e.message}`);
  }
}

/** Duplicate keys of a YAML body, worded as sigs.k8s.io/yaml's strict decoder words them. */
function yamlDuplicates(text: string): string[] {
  const lines = text.split('\n');
  return parseDocument(text, { uniqueKeys: true })
    .errors.filter((e) => e.code === 'DUPLICATE_KEY' && e.linePos)
    .map((e) => {
      const line = e.linePos![0].line;
      const key = /^\s*(?:-\s+)?["']?([^"':]+)["']?\s*:/.exec(lines[line - 1] ?? '')?.[1] ?? '';
      return `line ${line}: key "${key}" already set in map`;
    });
}

export function decodeBody(buf: Buffer, contentType: string | undefined, expect?: ExpectedKind): DecodedBody {
  const mt = mediaType(contentType);
  if (mt === protobufMediaType) return decodeProtobuf(buf, expect);
  const text = buf.toString('utf8');
  if (mt === 'application/yaml' || mt === 'application/apply-patch+yaml' || mt === 'text/yaml') {
    try {
      return {
        value: parseYAML(text, { uniqueKeys: false }) as unknown,
        duplicates: yamlDuplicates(text),
        text,
      };
    } catch (e) {
      throw badRequest(`error converting YAML to JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  try {
    const r = parseJSONStrict(text);
    return { value: r.value, duplicates: r.duplicates.map((d) => `duplicate field "${d}"`), text };
  } catch (e) {
    if (e instanceof JSONSyntaxError)
      throw badRequest(`couldn't get version/kind; json parse error: ${e.message}`);
    throw e;
  }
}
