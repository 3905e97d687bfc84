// Types of bin/entry.js (plain JavaScript so that it runs before anything is built).
export interface EntryState {
  distMtime?: number;
  newestSourceMtime?: number;
  tsx: boolean;
}
export function chooseEntry(s: EntryState): { run: 'dist' | 'source' | 'none'; warning?: string };
export function mtimeOf(file: string): number | undefined;
export function newestSourceMtime(dir: string): number | undefined;
