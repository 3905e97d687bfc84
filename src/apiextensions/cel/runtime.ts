// Evaluation of CEL programs with the apiserver's runtime cost accounting (cel-go
// interpreter/runtimecost.go plus the Kubernetes library costs). @bufbuild/cel plans an
// expression into a tree of interpretables but tracks no cost, so the planned tree is
// instrumented: every attribute, call and literal list/map charges what cel-go charges, and
// evaluation is aborted with cel-go's error once the limit is crossed. Every loop of a
// comprehension evaluates instrumented nodes, so no expression can run unbounded.
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { celEnv, celError, parse, type CelValue } from '@bufbuild/cel';
import { LRUCache } from 'lru-cache';
import { callCost } from './call-cost.js';
import { kubernetesFunctions, re2 } from './library.js';

/** k8s.io/apiserver/pkg/apis/cel: cost of one expression call, and of all calls for one object. */
export const PER_CALL_LIMIT = 1_000_000;
export const RUNTIME_CEL_COST_BUDGET = 10_000_000;
export const COST_LIMIT_EXCEEDED = 'operation cancelled: actual cost limit exceeded';

/**
 * kplex's own bound, on top of the apiserver's: the CEL work for one request may hold the shared
 * event loop this long. The apiserver's budgets are sized for Go on a goroutine of its own
 * (PerCallLimit is "roughly 0.1 second", the object budget 1 s); here they would stall every
 * tenant for seconds. Only pathological rules reach the bound (see UNTIMED_COST), and they fail
 * as out of budget. It is wall time, because wall time is what the other tenants wait (CPU time
 * would also count V8's helper threads).
 */
export const CEL_TIME_BUDGET_MS = 15;

/**
 * The time budget applies only once a request's CEL cost passed this: objects that cost less
 * (a Gateway with 64 listeners costs 55,000) never fail for the machine's load or a cold start.
 */
export const UNTIMED_COST = 100_000;

/** Thrown through the interpretables to unwind an evaluation over its limit. */
class CostLimitExceeded extends Error {
  constructor(readonly outOfTime: boolean) {
    super(COST_LIMIT_EXCEEDED);
  }
}

interface Tracker {
  cost: number;
  limit: number;
  deadline: number;
  ticks: number;
  /** Cost the request spent before this evaluation. */
  spent: number;
}
let tracker: Tracker | undefined;

function charge(n: number): void {
  const t = tracker;
  if (!t || n === 0) return;
  t.cost += n;
  if (t.cost > t.limit) throw new CostLimitExceeded(false);
  // The clock is read every 256 charges: cheap, and still within a fraction of a millisecond.
  if ((++t.ticks & 0xff) === 0 && t.spent + t.cost > UNTIMED_COST && celClock() > t.deadline) {
    throw new CostLimitExceeded(true);
  }
}

/** The clock of the time budget (ms). */
export const celClock = (): number => performance.now();

/** A deadline CEL_TIME_BUDGET_MS from now, for one request's evaluations. */
export const celDeadline = (): number => celClock() + CEL_TIME_BUDGET_MS;

// The planner is not part of @bufbuild/cel's public exports; it is loaded from the same
// directory as the package's ESM entry, so it is the very module instance `plan` uses.
const celDir = path.join(path.dirname(createRequire(import.meta.url).resolve('@bufbuild/cel')), '..', 'esm');
const load = async <T>(file: string): Promise<T> =>
  (await import(pathToFileURL(path.join(celDir, file)).href)) as T;
type Interpretable = { id: number; eval(ctx: unknown): CelValue };
interface PlannerModule {
  Planner: new (
    funcs: unknown,
    registry: unknown,
    namespace: string,
  ) => { plan(expr: unknown): Interpretable };
}
const { Planner } = await load<PlannerModule>('planner.js');
const { withEvalContext } = await load<{ withEvalContext(c: unknown, i: Interpretable): Interpretable }>(
  'eval.js',
);
// Internals may move in another @bufbuild/cel release: fail at startup, not on a tenant's rule.
if (typeof Planner !== 'function' || typeof withEvalContext !== 'function') {
  throw new Error(
    '@bufbuild/cel internals (planner.js, eval.js) not found: CEL cost tracking needs @bufbuild/cel 0.6.x',
  );
}
const { ObjectActivation } = await load<{ ObjectActivation: new (data: Record<string, unknown>) => unknown }>(
  'activation.js',
);

const env = celEnv({ funcs: kubernetesFunctions, re2 });
const planner = new Planner(env.funcs, env.registry, env.namespace);

type Node = Record<string, unknown> & { constructor: { name: string } };
type Group = { call(id: number, target: CelValue | undefined, args: CelValue[]): CelValue | undefined };

/** cel-go charges one per identifier or select, so an attribute costs 1 + its qualifiers. */
function instrumentAttr(a: Node): void {
  const kind = a.constructor.name;
  if (kind !== 'AbsoluteAttr' && kind !== 'RelativeAttr') return;
  const resolve = (a['resolve'] as (v: unknown) => unknown).bind(a);
  const accesses = a['accesses_'] as unknown[];
  const base = kind === 'AbsoluteAttr' ? 1 : 0;
  a['resolve'] = (vars: unknown) => {
    const v = resolve(vars);
    if (v !== undefined) charge(base + accesses.length);
    return v;
  };
}

function instrumentInterpretable(n: Node): void {
  const evalFn = (n['eval'] as (ctx: unknown) => CelValue).bind(n);
  switch (n.constructor.name) {
    case 'EvalCall': {
      const func = n['func'] as Group | undefined;
      if (!func) return;
      const name = n['name'] as string;
      // Charged after the call, from its arguments and result, as CostTracker.costCall does.
      n['func'] = {
        call(id: number, target: CelValue | undefined, args: CelValue[]) {
          const r = func.call(id, target, args);
          charge(callCost(name, target === undefined ? args : [target, ...args], r));
          return r;
        },
      };
      return;
    }
    case 'EvalNotStrictlyFalse':
    case 'EvalHas':
      n['eval'] = (ctx: unknown) => {
        const v = evalFn(ctx);
        charge(1);
        return v;
      };
      return;
    case 'EvalList':
    case 'EvalMap':
    case 'EvalObj': {
      const c = n.constructor.name === 'EvalList' ? 10 : n.constructor.name === 'EvalMap' ? 30 : 40;
      n['eval'] = (ctx: unknown) => {
        const v = evalFn(ctx);
        charge(c);
        return v;
      };
      return;
    }
  }
}

// Shared, immutable parts of the planner's tree that instrumentation must not walk into.
const SKIP = new Set(['registry', 'factory', 'func', 'celVal', 'nsNames', 'typeName']);

function instrument(root: unknown): void {
  const seen = new Set<unknown>();
  const visit = (x: unknown): void => {
    if (x === null || typeof x !== 'object' || seen.has(x)) return;
    seen.add(x);
    if (Array.isArray(x)) {
      x.forEach(visit);
      return;
    }
    const n = x as Node;
    for (const [k, v] of Object.entries(n)) if (!SKIP.has(k)) visit(v);
    if (typeof n['resolve'] === 'function' && Array.isArray(n['accesses_'])) instrumentAttr(n);
    if (typeof n['eval'] === 'function' && n.constructor.name.startsWith('Eval')) instrumentInterpretable(n);
  };
  visit(root);
}

export type Bindings = Record<string, unknown>;
export interface EvalResult {
  value: CelValue;
  /** Actual cost, as cel-go's EvalDetails.ActualCost reports it. */
  cost: number;
  /** True when the evaluation was cancelled at the limit (value is then a CEL error). */
  exceeded: boolean;
  /** True when it was cancelled at the request's deadline (kplex's time budget). */
  outOfTime: boolean;
}
export interface Program {
  /** `spent`: what the request's earlier evaluations cost (see UNTIMED_COST). */
  eval(bindings: Bindings, limit?: number, deadline?: number, spent?: number): EvalResult;
}

const parsed = new LRUCache<string, ReturnType<typeof parse>['expr']>({ max: 10_000 });

/**
 * The parsed expression, cached by its text: parsing costs about 25 µs per character, and both
 * the planner and the cost estimator need it, on every CRD write that carries the rule.
 */
export function parseExpr(expr: string): ReturnType<typeof parse>['expr'] {
  let e = parsed.get(expr);
  if (!e) {
    e = parse(expr).expr;
    parsed.set(expr, e);
  }
  return e;
}

/** Parses and plans `expr` into a cost-tracked program; throws the parse error. */
export function compileProgram(expr: string): Program {
  const planned = planner.plan(parseExpr(expr));
  instrument(planned);
  const run = withEvalContext({ registry: env.registry }, planned);
  return {
    eval(bindings, limit = PER_CALL_LIMIT, deadline = celDeadline(), spent = 0) {
      const outer = tracker;
      const t: Tracker = { cost: 0, limit, deadline, ticks: 0, spent };
      tracker = t;
      try {
        const v = run.eval(new ObjectActivation(bindings));
        return { value: v, cost: t.cost, exceeded: false, outOfTime: false };
      } catch (e) {
        if (e instanceof CostLimitExceeded)
          return {
            value: errorValue(COST_LIMIT_EXCEEDED),
            cost: t.cost,
            exceeded: !e.outOfTime,
            outOfTime: e.outOfTime,
          };
        return {
          value: errorValue(e instanceof Error ? e.message : String(e)),
          cost: t.cost,
          exceeded: false,
          outOfTime: false,
        };
      } finally {
        tracker = outer;
      }
    },
  };
}

/** A CEL error value carrying `message` (evaluations return errors as values). */
const errorValue = (message: string): CelValue => celError(message, 0n) as unknown as CelValue;
