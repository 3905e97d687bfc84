// Label values that come from requests (resource names: tenants define CRDs, and any path parses
// to some resource) are admitted up to a fixed number of distinct values; later ones share one
// value, so no client can grow the number of series without bound.
export const OTHER = 'other';

export class LabelBudget {
  private readonly admitted = new Set<string>();

  constructor(private readonly max: number) {}

  /** `value` if already admitted or room is left and `admit` is true; otherwise OTHER. */
  label(value: string, admit: boolean): string {
    if (this.admitted.has(value)) return value;
    if (!admit || this.admitted.size >= this.max) return OTHER;
    this.admitted.add(value);
    return value;
  }
}
