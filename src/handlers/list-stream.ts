// Virtual LISTs in JSON (objects, Table, PartialObjectMetadataList) are streamed: each item is
// serialized on its own and the next page is read only once the client took the previous one, so
// a LIST costs memory in proportion to one page, not to the collection. Errors found before the
// first byte are answered as a Status; a failure mid-stream cuts the connection, as the apiserver does.
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { KubeObject } from '../api/object.js';
import type { ListOptions } from '../registry/options.js';
import type { VirtualRegistry } from '../registry/registry.js';
import { streamList } from '../registry/list.js';
import { type OutputContext, warningHeaders } from './output.js';
import { partialMetadata, toTable } from './table.js';
import { cpuTurn } from '../limits/cpu-lanes.js';

/** Whether this LIST's negotiated form is streamed (protobuf and YAML are encoded whole). */
export function streamable(o: OutputContext): boolean {
  return !o.out.protobuf && o.out.kind !== 'yaml';
}

interface Framing {
  head: string;
  item: (obj: KubeObject) => string;
  /** Items of this framing are the objects' JSON: a stored object's text may be written as it is. */
  plain?: true;
}

function framing(reg: VirtualRegistry, o: OutputContext): Framing {
  const now = new Date();
  switch (o.out.kind) {
    case 'table': {
      const defs = (
        toTable([], undefined, o.columns, o.includeObject, true, now) as unknown as {
          columnDefinitions: unknown;
        }
      ).columnDefinitions;
      return {
        head: `{"kind":"Table","apiVersion":"meta.k8s.io/v1","columnDefinitions":${JSON.stringify(defs)},"rows":[`,
        item: (obj) =>
          JSON.stringify(
            (
              toTable([obj], undefined, o.columns, o.includeObject, false, now) as unknown as {
                rows: unknown[];
              }
            ).rows[0],
          ),
      };
    }
    case 'partial':
      return {
        head: `{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","items":[`,
        item: (obj) => JSON.stringify(partialMetadata(obj)),
      };
    default:
      return {
        head: `{"kind":${JSON.stringify(reg.info.listKind)},"apiVersion":${JSON.stringify(reg.apiVersion)},"items":[`,
        item: (obj) => JSON.stringify(obj),
        plain: true,
      };
  }
}

class ClientGone extends Error {}

/** Resolves when `res` can take more (after letting other work run); rejects when the client went away. */
async function drained(res: ServerResponse): Promise<void> {
  if (res.destroyed || res.writableEnded) throw new ClientGone();
  if (res.writableNeedDrain) {
    const closed = once(res, 'close').then(() => {
      throw new ClientGone();
    });
    closed.catch(() => {});
    await Promise.race([once(res, 'drain'), closed]);
  }
  // Other requests get their turn between pages: one tenant's big LIST does not hold the event loop.
  await nextTurn();
}

export async function writeListStream(
  res: ServerResponse,
  reg: VirtualRegistry,
  namespace: string,
  opts: ListOptions,
  o: OutputContext,
): Promise<void> {
  const f = framing(reg, o);
  let n = 0;
  const writeItem = (text: string): number => {
    res.write(n++ > 0 ? ',' + text : text);
    return text.length + 1;
  };
  try {
    const metadata = await streamList(reg, namespace, opts, {
      begin: () => {
        res.writeHead(200, {
          'Content-Type': 'application/json',
          ...(o.warnings.length ? { Warning: warningHeaders(o.warnings) } : {}),
        });
        res.write(f.head);
      },
      // A tenant's concurrent LISTs take turns page by page (src/limits/cpu-lanes.ts).
      turn: () => cpuTurn(reg.deps.tenant),
      item: (obj) => writeItem(f.item(obj)),
      itemJSON: f.plain ? writeItem : undefined,
      flush: () => drained(res),
    });
    res.end(`],"metadata":${JSON.stringify(metadata)}}`);
  } catch (err) {
    if (err instanceof ClientGone) return;
    if (!res.headersSent) throw err;
    res.destroy();
  }
}
