// The HTTP handler for computed resources: objects kplex answers from the request alone and never
// stores (the review APIs, TokenRequest). The resource (src/auth) turns a decoded body into the
// answer; this handler reads and decodes the body, negotiates the output and writes the 201.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../api/object.js';
import type { RequestInfo } from '../api/request-info.js';
import { notAcceptable } from '../api/status.js';
import type { UserInfo } from '../registry/strategy.js';
import { hasProtobuf } from '../protobuf/index.js';
import { decodeBody, readBody } from './body.js';
import { negotiateOutput } from './negotiate.js';
import { writeResult } from './output.js';

export interface ComputedRequest {
  tenant: string;
  info: RequestInfo;
  user: UserInfo;
  /** `Warning` texts earlier stages of the pipeline collected for the response. */
  warnings?: string[];
}

export interface ComputedResource {
  /** The apiVersion and kind of the body and of the answer. */
  typeOf(info: RequestInfo): { apiVersion: string; kind: string };
  /** Refuses what the resource does not serve (405) before the body is read. */
  check(info: RequestInfo): void;
  /** No Table or metadata view exists (406, as the apiserver's review registries). */
  objectsOnly: boolean;
  answer(r: ComputedRequest, body: unknown): Promise<KubeObject>;
}

export async function handleComputedRequest(
  req: IncomingMessage,
  res: ServerResponse,
  resource: ComputedResource,
  r: ComputedRequest,
): Promise<void> {
  resource.check(r.info);
  const type = resource.typeOf(r.info);
  if (resource.objectsOnly) {
    const wanted = negotiateOutput(req.headers.accept, true).kind;
    if (wanted === 'table' || wanted === 'partial')
      throw notAcceptable(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
  }
  const body = decodeBody(await readBody(req), req.headers['content-type'], type).value;
  const out = await resource.answer(r, body);
  writeResult(res, 201, out, false, {
    out: negotiateOutput(req.headers.accept, hasProtobuf(type.apiVersion, type.kind)),
    columns: [],
    includeObject: 'Metadata',
    warnings: r.warnings ?? [],
  });
}
