// The estimated-cost limits a CRD's x-kubernetes-validations must meet when the CRD is written
// (apiextensions validation.go with CELSchemaContext): each rule's estimated cost, multiplied
// by how many times its node can occur in one object, must stay within
// StaticEstimatedCostLimit, and all rules and message expressions together within
// StaticEstimatedCRDCostLimit. Refused as the apiserver refuses them (Forbidden).
import type { FieldError } from '../../api/status.js';
import { fieldErr } from '../../api/field-errors.js';
import { additionalSchema, itemSchema, type JSONSchemaProps } from '../schema-types.js';
import { estimateCost, UNKNOWN } from './cost-estimate.js';
import { MAX_REQUEST_SIZE_BYTES, schemaDecl } from './decl-type.js';

export const STATIC_ESTIMATED_COST_LIMIT = 10_000_000;
export const STATIC_ESTIMATED_CRD_COST_LIMIT = 100_000_000;

/** getCostErrorMessage. */
export function costErrorMessage(costName: string, cost: number, limit: number): string {
  const f = cost / limit;
  const factor = f > 100 ? 'more than 100x' : f < 1.5 ? `${f.toFixed(6)}x` : `${f.toFixed(1)}x`;
  return `${costName} exceeds budget by factor of ${factor} (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)`;
}

const mulGuard = (a: number, b: number) => (a === 0 ? 0 : Math.min(UNKNOWN, a * b));

/** extractMaxElements: how much a node multiplies the occurrences of its children (undefined: unbounded). */
function maxElements(s: JSONSchemaProps): number | undefined {
  if (s.type === 'object') return additionalSchema(s) ? s.maxProperties : 1;
  if (s.type === 'array') return s.maxItems;
  return 1;
}

interface Contribution {
  path: string;
  cost: number;
}

class CostCheck {
  total = 0;
  mostExpensive: Contribution[] = [];
  errs: FieldError[] = [];

  constructor(private readonly suppressPerExpression: boolean) {}

  private observe(path: string, cost: number): void {
    this.total = Math.min(UNKNOWN, this.total + cost);
    if (cost < STATIC_ESTIMATED_CRD_COST_LIMIT / 100) return;
    this.mostExpensive.push({ path, cost });
    this.mostExpensive.sort((a, b) => b.cost - a.cost);
    this.mostExpensive.length = Math.min(4, this.mostExpensive.length);
  }

  node(s: JSONSchemaProps, p: string, cardinality: number | undefined, isRoot: boolean): void {
    const rules = s['x-kubernetes-validations'] ?? [];
    if (rules.length) {
      const decl = schemaDecl(s, isRoot || !!s['x-kubernetes-embedded-resource']);
      // Unbounded: as many as a maximal request holds (compilation.go maxCardinality).
      const card = cardinality ?? Math.floor(MAX_REQUEST_SIZE_BYTES / ((decl?.minSerializedSize ?? 1) + 1));
      rules.forEach((r, i) => {
        const rp = `${p}.x-kubernetes-validations[${i}]`;
        if (!r.rule?.trim()) return;
        let ruleCost: number;
        try {
          ruleCost = mulGuard(estimateCost(r.rule, decl), card);
        } catch {
          return; // compile errors are reported by the structural checks
        }
        if (!this.suppressPerExpression && ruleCost > STATIC_ESTIMATED_COST_LIMIT) {
          this.errs.push(
            fieldErr.forbidden(
              `${rp}.rule`,
              costErrorMessage('estimated rule cost', ruleCost, STATIC_ESTIMATED_COST_LIMIT),
            ),
          );
        }
        this.observe(`${rp}.rule`, ruleCost);
        if (!r.messageExpression?.trim()) return;
        let msgCost: number;
        try {
          msgCost = estimateCost(r.messageExpression, decl);
        } catch {
          return;
        }
        if (!this.suppressPerExpression && msgCost > STATIC_ESTIMATED_COST_LIMIT) {
          this.errs.push(
            fieldErr.forbidden(
              `${rp}.messageExpression`,
              costErrorMessage('estimated messageExpression cost', msgCost, STATIC_ESTIMATED_COST_LIMIT),
            ),
          );
        }
        this.observe(`${rp}.messageExpression`, msgCost);
      });
    }
    const factor = maxElements(s);
    const child =
      cardinality === undefined || factor === undefined ? undefined : mulGuard(cardinality, factor);
    for (const [k, sub] of Object.entries(s.properties ?? {}))
      this.node(sub, `${p}.properties[${k}]`, child, false);
    const items = itemSchema(s);
    if (items) this.node(items, `${p}.items`, child, false);
    const addl = additionalSchema(s);
    if (addl) this.node(addl, `${p}.additionalProperties`, child, false);
  }
}

/**
 * Cost errors of the rules of one (structurally valid) openAPIV3Schema at `fld`. On update,
 * `unchanged` (the version's schema is as before) suppresses the per-expression limit.
 */
export function validateCelCost(schema: JSONSchemaProps, fld: string, unchanged = false): FieldError[] {
  const c = new CostCheck(unchanged);
  c.node(schema, fld, 1, true);
  if (c.total > STATIC_ESTIMATED_CRD_COST_LIMIT) {
    for (const e of c.mostExpensive) {
      c.errs.push(
        fieldErr.forbidden(
          e.path,
          'contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema',
        ),
      );
    }
    c.errs.push(
      fieldErr.forbidden(
        fld,
        costErrorMessage(
          'x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema',
          c.total,
          STATIC_ESTIMATED_CRD_COST_LIMIT,
        ),
      ),
    );
  }
  return c.errs;
}
