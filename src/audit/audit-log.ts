// Audit events (`audit.k8s.io/v1` Event, one JSON line each) of tenant requests, at the level the
// policy gives them. Everything in an event is what the tenant's client sent and received (its
// URL, its bodies, kplex's rewritten answers): virtual names only, never a host namespace.
// kplex writes the ResponseStarted (long-running requests) and ResponseComplete stages.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestInfo } from '../api/request-info.js';
import type { Logger } from '../log/logger.js';
import { hasEnvelopeMagic, protobufToObject } from '../protobuf/envelope.js';
import {
  evaluatePolicy,
  levelAtLeast,
  type AuditDecision,
  type AuditPolicy,
  type AuditStage,
} from './policy.js';
import { LineFile, TenantFiles } from './sink.js';

/** Who made the request (the authenticator's user.Info). */
interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** Bodies larger than this are left out of events (the line would dwarf the request). */
const MAX_BODY_BYTES = 1024 * 1024;
/** Error answers are read for responseStatus (reason, message) up to this size. */
const MAX_STATUS_BYTES = 64 * 1024;
const TENANT_ANNOTATION = 'kplex.io/tenant';

export interface AuditOptions {
  policy: AuditPolicy;
  /** One file for every tenant's events. */
  file?: string;
  /** One file per tenant: `<dir>/<tenant>.log`. */
  dir?: string;
  logger: Logger;
}

export interface AuditedRequest {
  req: IncomingMessage;
  res: ServerResponse;
  /** The validated tenant name (absent when the request named no live tenant). */
  tenant?: string;
  info?: RequestInfo;
  /** The authenticated user (before impersonation), absent when authentication failed. */
  user?: UserInfo;
  longRunning: boolean;
}

/** `2026-12-01T07:52:10.123456Z`, as the apiserver's MicroTime. */
function microTime(ms: number): string {
  const iso = new Date(Math.floor(ms)).toISOString();
  const micros = String(Math.floor((ms % 1) * 1000)).padStart(3, '0');
  return `${iso.slice(0, -1)}${micros}Z`;
}
const nowMs = (): number => performance.timeOrigin + performance.now();

function userOf(u: UserInfo): Record<string, unknown> {
  return {
    username: u.username,
    ...(u.uid ? { uid: u.uid } : {}),
    ...(u.groups.length ? { groups: u.groups } : {}),
    ...(u.extra && Object.keys(u.extra).length ? { extra: u.extra } : {}),
  };
}

/** The body as an object: JSON, or kplex's protobuf envelope decoded as the apiserver does. */
function decodeBody(chunks: Buffer[], overflow: boolean): Record<string, unknown> | undefined {
  if (overflow || chunks.length === 0) return undefined;
  const buf = Buffer.concat(chunks);
  try {
    if (hasEnvelopeMagic(buf)) return protobufToObject(buf);
    const v: unknown = JSON.parse(buf.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined; // YAML, a stream, a kind without protobuf: not an object the event can carry
  }
}

function withoutManagedFields(o: Record<string, unknown>): Record<string, unknown> {
  const meta = o['metadata'] as Record<string, unknown> | undefined;
  if (!meta || !('managedFields' in meta)) return o;
  const { managedFields: _dropped, ...rest } = meta;
  return { ...o, metadata: rest };
}

/** Keeps copies of the chunks a stream passes along, up to a bound. */
class Capture {
  chunks: Buffer[] = [];
  size = 0;
  overflow = false;
  constructor(private readonly max: number) {}
  add(chunk: unknown): void {
    if (this.overflow || chunk === undefined || chunk === null || typeof chunk === 'function') return;
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    this.size += b.length;
    if (this.size > this.max) {
      this.overflow = true;
      this.chunks = [];
    } else this.chunks.push(Buffer.from(b));
  }
}

export class AuditRecord {
  readonly id = randomUUID();
  private readonly received = nowMs();
  private requestBody?: Capture;
  private readonly responseBody: Capture;
  private completed = false;
  /** The user the request acts as, when it impersonates (set before completion). */
  impersonated?: UserInfo;

  constructor(
    private readonly log: AuditLog,
    private readonly r: AuditedRequest,
    private readonly decision: AuditDecision,
  ) {
    const { req, res } = r;
    if (!res.headersSent) res.setHeader('Audit-ID', this.id);
    // Bodies are observed as they pass (the handlers read and write them as always).
    if (levelAtLeast(decision.level, 'Request')) {
      const capture = (this.requestBody = new Capture(MAX_BODY_BYTES));
      const emit = req.emit.bind(req);
      req.emit = ((event: string, ...args: unknown[]) => {
        if (event === 'data') capture.add(args[0]);
        return emit(event, ...args);
      }) as typeof req.emit;
    }
    const full = levelAtLeast(decision.level, 'RequestResponse') && !r.longRunning;
    this.responseBody = new Capture(full ? MAX_BODY_BYTES : MAX_STATUS_BYTES);
    const body = this.responseBody;
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    const wanted = () => full || res.statusCode >= 400;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (wanted()) body.add(chunk);
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (wanted()) body.add(chunk);
      return (end as (...a: unknown[]) => ServerResponse)(chunk, ...rest);
    }) as typeof res.end;
    if (r.longRunning) {
      const writeHead = res.writeHead.bind(res);
      let started = false;
      res.writeHead = ((...args: Parameters<typeof res.writeHead>) => {
        if (!started) {
          started = true;
          this.emitStage('ResponseStarted', typeof args[0] === 'number' ? args[0] : res.statusCode);
        }
        return writeHead(...args);
      }) as typeof res.writeHead;
    }
  }

  /** The response has ended (or its connection closed). */
  complete(code: number): void {
    if (this.completed) return;
    this.completed = true;
    this.emitStage('ResponseComplete', code);
  }

  private emitStage(stage: AuditStage, code: number): void {
    if (this.decision.omitStages.has(stage)) return;
    const { req, info, user, tenant } = this.r;
    const level = this.decision.level;
    const status: Record<string, unknown> = { metadata: {}, code };
    if (stage === 'ResponseComplete' && code >= 400) {
      const s = decodeBody(this.responseBody.chunks, this.responseBody.overflow);
      if (s?.['kind'] === 'Status')
        for (const k of ['status', 'message', 'reason'] as const) if (s[k] !== undefined) status[k] = s[k];
    }
    const event: Record<string, unknown> = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level,
      auditID: this.id,
      stage,
      requestURI: req.url ?? '',
      verb: info?.verb ?? (req.method ?? '').toLowerCase(),
      user: user ? userOf(user) : {},
      ...(this.impersonated ? { impersonatedUser: userOf(this.impersonated) } : {}),
      sourceIPs: req.socket.remoteAddress ? [req.socket.remoteAddress.replace(/^::ffff:/, '')] : [],
      ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
    };
    if (info?.isResourceRequest) {
      const ref: Record<string, string> = { resource: info.resource };
      if (info.namespace) ref['namespace'] = info.namespace;
      if (info.name) ref['name'] = info.name;
      ref['apiGroup'] = info.apiGroup;
      ref['apiVersion'] = info.apiVersion;
      if (info.subresource) ref['subresource'] = info.subresource;
      event['objectRef'] = ref;
    }
    event['responseStatus'] = status;
    if (stage === 'ResponseComplete') {
      const strip = (o: Record<string, unknown> | undefined) =>
        o && this.decision.omitManagedFields ? withoutManagedFields(o) : o;
      const reqObj =
        this.requestBody && strip(decodeBody(this.requestBody.chunks, this.requestBody.overflow));
      if (reqObj) event['requestObject'] = reqObj;
      if (levelAtLeast(level, 'RequestResponse') && !this.r.longRunning) {
        const resObj = strip(decodeBody(this.responseBody.chunks, this.responseBody.overflow));
        if (resObj) event['responseObject'] = resObj;
      }
    }
    event['requestReceivedTimestamp'] = microTime(this.received);
    event['stageTimestamp'] = microTime(nowMs());
    if (tenant) event['annotations'] = { [TENANT_ANNOTATION]: tenant };
    this.log.write(tenant, `${JSON.stringify(event)}\n`);
  }
}

export class AuditLog {
  private readonly file?: LineFile;
  private readonly dir?: TenantFiles;

  constructor(private readonly opts: AuditOptions) {
    if (opts.file) this.file = new LineFile(opts.file, opts.logger);
    if (opts.dir) this.dir = new TenantFiles(opts.dir, opts.logger);
  }

  /** Starts the record of a request; undefined when the policy's level for it is None. */
  begin(r: AuditedRequest): AuditRecord | undefined {
    const info = r.info;
    const decision = evaluatePolicy(this.opts.policy, {
      user: r.user,
      verb: info?.verb ?? (r.req.method ?? '').toLowerCase(),
      isResourceRequest: info?.isResourceRequest ?? false,
      path: info?.path ?? (r.req.url ?? '').split('?')[0] ?? '',
      namespace: info?.namespace ?? '',
      apiGroup: info?.apiGroup ?? '',
      resource: info?.resource ?? '',
      subresource: info?.subresource ?? '',
      name: info?.name ?? '',
    });
    return decision.level === 'None' ? undefined : new AuditRecord(this, r, decision);
  }

  write(tenant: string | undefined, line: string): void {
    this.file?.write(line);
    if (tenant) this.dir?.write(tenant, line);
  }

  async close(): Promise<void> {
    await Promise.all([this.file?.close(), this.dir?.close()]);
  }
}
