// The state behind a tenant's view of the nodes that run its pods: its bound pods (host pod ->
// node), the host nodes, and which nodes that makes visible. Fed by the shared host watches of
// pods and nodes (replayed from their rings for a watch that resumes, then live); every change
// says which node entered, changed in or left the view, so a watch can send ADDED, MODIFIED and
// DELETED as pods come and go. Changes are applied by state, so an event seen twice changes nothing.
import { type FieldSelector, matchesFields } from '../api/field-selector.js';
import { type LabelSelector, matchesLabels } from '../api/labels.js';
import { isObject } from '../api/object.js';
import type { CachedEvent, CachedItem, ChangeType } from '../hostwatch/types.js';
import { isHiddenHostObject } from '../rewrite/object-rewrite.js';

/** What a cache can tell about its state at a version, for the view's purposes. */
export interface CacheReader {
  readonly resourceVersion: number;
  readonly listResourceVersion: number;
  inNamespace(ns: string): Iterable<CachedItem>;
  /** The ring's events after `rv`, undefined when it no longer reaches back to it. */
  eventsAfter(rv: number): readonly CachedEvent[] | undefined;
}

export interface NodeSelection {
  labels: LabelSelector;
  fields: FieldSelector;
}

/** The fields the apiserver selects nodes by (NodeToSelectableFields). */
export function nodeFields(node: Record<string, unknown>): Record<string, string> {
  const meta = isObject(node['metadata']) ? node['metadata'] : {};
  const spec = isObject(node['spec']) ? node['spec'] : {};
  return {
    'metadata.name': typeof meta['name'] === 'string' ? meta['name'] : '',
    'spec.unschedulable': String(spec['unschedulable'] === true),
  };
}

export function selectsNode(sel: NodeSelection, node: Record<string, unknown>): boolean {
  const meta = isObject(node['metadata']) ? node['metadata'] : {};
  const labels = isObject(meta['labels']) ? (meta['labels'] as Record<string, string>) : undefined;
  return (
    (!sel.labels.length || matchesLabels(sel.labels, labels)) &&
    (!sel.fields.length || matchesFields(sel.fields, nodeFields(node)))
  );
}

const key = (i: CachedItem): string => `${i.ns}/${i.name}`;

/** The node a pod is bound to ('' while unscheduled). */
export function nodeOfPod(pod: Record<string, unknown>): string {
  const spec = isObject(pod['spec']) ? pod['spec'] : {};
  return typeof spec['nodeName'] === 'string' ? spec['nodeName'] : '';
}

/**
 * The items of `namespaces` at version `rv`: the current ones with the ring's later events undone
 * (newest first). Undefined when the ring no longer reaches back to `rv`.
 */
export function itemsAt(
  cache: CacheReader,
  namespaces: ReadonlySet<string>,
  rv: number,
): Map<string, CachedItem> | undefined {
  const items = new Map<string, CachedItem>();
  for (const ns of namespaces) for (const i of cache.inNamespace(ns)) items.set(key(i), i);
  if (rv >= cache.resourceVersion) return items;
  const later = cache.eventsAfter(rv);
  if (!later) return undefined;
  for (let j = later.length - 1; j >= 0; j--) {
    const ev = later[j]!;
    if (!namespaces.has(ev.item.ns)) continue;
    if (ev.prev) items.set(key(ev.item), ev.prev);
    else if (ev.type === 'DELETED') items.set(key(ev.item), ev.item);
    else items.delete(key(ev.item));
  }
  return items;
}

/** One change of the view: a node entering (ADDED), changing in (MODIFIED) or leaving it (DELETED). */
export interface ViewChange {
  type: ChangeType;
  node: CachedItem;
}

export class TenantNodeState {
  /** Host pod (ns/name) -> its node. */
  private readonly pods = new Map<string, string>();
  /** Node -> how many of the tenant's pods it holds. */
  private readonly counts = new Map<string, number>();
  private readonly nodes = new Map<string, CachedItem>();

  constructor(
    private readonly sel: NodeSelection,
    /** Every node regardless of pods (Tenant spec.policy.nodes.view `all`). */
    private readonly all = false,
  ) {}

  visible(name: string): boolean {
    const node = this.nodes.get(name);
    return !!node && (this.all || (this.counts.get(name) ?? 0) > 0) && selectsNode(this.sel, node.object);
  }

  /** The visible nodes, by name. */
  visibleNodes(): CachedItem[] {
    return [...this.nodes.values()]
      .filter((n) => this.visible(n.name))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Node names holding the tenant's pods (whether the node exists or is selected). */
  podNodes(): Set<string> {
    return new Set(this.counts.keys());
  }

  /** A pod's state (undefined: gone). */
  pod(item: CachedItem, gone: boolean): ViewChange[] {
    const k = key(item);
    const before = this.pods.get(k) ?? '';
    const after = gone || isHiddenHostObject(item.object) ? '' : nodeOfPod(item.object);
    if (before === after) return [];
    const changed = [before, after].filter((n) => n);
    const was = new Map(changed.map((n) => [n, this.visible(n)]));
    if (before) {
      const c = (this.counts.get(before) ?? 1) - 1;
      if (c > 0) this.counts.set(before, c);
      else this.counts.delete(before);
    }
    if (after) {
      this.pods.set(k, after);
      this.counts.set(after, (this.counts.get(after) ?? 0) + 1);
    } else this.pods.delete(k);
    return changed.flatMap((n) => this.transition(n, was.get(n)!, this.nodes.get(n), false));
  }

  /** A node's state (undefined: gone). */
  node(item: CachedItem, gone: boolean): ViewChange[] {
    const was = this.visible(item.name);
    const before = this.nodes.get(item.name);
    if (gone) this.nodes.delete(item.name);
    else this.nodes.set(item.name, item);
    return this.transition(item.name, was, before, before !== item);
  }

  private transition(
    name: string,
    was: boolean,
    before: CachedItem | undefined,
    changed: boolean,
  ): ViewChange[] {
    const is = this.visible(name);
    const now = this.nodes.get(name);
    if (!was && is) return [{ type: 'ADDED', node: now! }];
    if (was && !is) return [{ type: 'DELETED', node: before ?? now! }];
    if (was && is && changed) return [{ type: 'MODIFIED', node: now! }];
    return [];
  }

  /** Applies one cache event of pods or nodes. */
  apply(kind: 'pods' | 'nodes', type: ChangeType, item: CachedItem): ViewChange[] {
    return kind === 'pods' ? this.pod(item, type === 'DELETED') : this.node(item, type === 'DELETED');
  }
}
