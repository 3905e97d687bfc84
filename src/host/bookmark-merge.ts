// The BOOKMARKs of one tenant watch merged from several host watches. A merged bookmark carries
// the smallest resourceVersion every stream has reached (resuming from it misses nothing). A
// watch-list's initial-events-end bookmark goes out once every stream sent its own, and no bookmark
// goes before it, as the apiserver does: a progress bookmark there would end the initial state early.

import { INITIAL_EVENTS_END as INITIAL_END, LIST_BLUEPRINT } from '../api/watch-list-blueprint.js';

export { INITIAL_END };

type Meta = { resourceVersion?: string; annotations?: Record<string, string> };

export class BookmarkMerge {
  private readonly progress: (bigint | undefined)[] = [];
  private readonly initialDone: boolean[] = [];
  private streams: number;
  private emitted = -1n;
  private initialEndSent: boolean;
  /** The host's empty-list blueprint (in the client's encoding), for the merged end bookmark. */
  private blueprint: string | undefined;

  constructor(streams: number, watchList: boolean) {
    this.streams = streams;
    this.initialEndSent = !watchList;
  }

  /** A stream joined after the start: it has no initial phase of this watch. Returns its index. */
  addStream(): number {
    const idx = this.streams++;
    this.initialDone[idx] = true;
    return idx;
  }

  /** Records an event's resourceVersion; for a BOOKMARK, returns the merged bookmark's metadata to send, if any. */
  observe(idx: number, type: string, meta: Meta | undefined): Meta | undefined {
    const rv = /^\d+$/.test(meta?.resourceVersion ?? '') ? BigInt(meta!.resourceVersion!) : undefined;
    if (rv !== undefined && type !== 'ERROR') this.progress[idx] = rv;
    if (type !== 'BOOKMARK') return undefined;
    if (meta?.annotations?.[INITIAL_END] === 'true') {
      this.initialDone[idx] = true;
      this.blueprint ??= meta.annotations[LIST_BLUEPRINT];
    }
    let min: bigint | undefined;
    for (let i = 0; i < this.streams; i++) {
      const p = this.progress[i];
      if (p === undefined) return undefined;
      if (min === undefined || p < min) min = p;
    }
    let initialEnd = !this.initialEndSent;
    for (let i = 0; i < this.streams; i++) initialEnd &&= this.initialDone[i] === true;
    if (!this.initialEndSent && !initialEnd) return undefined;
    if (min === undefined || (min <= this.emitted && !initialEnd)) return undefined;
    if (min > this.emitted) this.emitted = min;
    this.initialEndSent ||= initialEnd;
    return {
      resourceVersion: String(this.emitted),
      ...(initialEnd
        ? {
            annotations: {
              [INITIAL_END]: 'true',
              ...(this.blueprint !== undefined ? { [LIST_BLUEPRINT]: this.blueprint } : {}),
            },
          }
        : {}),
    };
  }
}
