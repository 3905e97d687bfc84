import path from 'node:path';
import { Command } from 'commander';
import { serveOptions, type ServeConfig } from '../config/serve-config.js';
import { createLogger } from '../log/logger.js';
import { HealthChecks } from '../server/health.js';
import { startServer, type TenantHandler, type VersionInfo } from '../server/server.js';
import { tenantPipeline } from '../server/pipeline.js';
import { requestLog } from '../server/request-log.js';
import { HostClient } from '../hostapi/host-client.js';
import { loadHostConnection } from '../hostapi/host-config.js';
import { installTenantCRD } from '../tenancy/tenant-admin.js';
import { TenantDirectory } from '../tenancy/tenant-directory.js';
import { TenantStatusWriter, tenantEndpoint } from '../tenancy/tenant-status.js';
import { KeyRing } from '../auth/signing-keys.js';
import { FileKeyStore, HostSecretKeyStore } from '../auth/key-store.js';
import { FileClientCAStore, HostSecretClientCAStore, type ClientCAStore } from '../auth/client-ca-store.js';
import { RbacAuthorizer } from '../rbac/rbac-authorizer.js';
import { StorePool } from '../store/store-pool.js';
import { markServing } from '../store/serve-marker.js';
import { auditLog } from './serve-audit.js';
import { HostNamespaces } from '../tenancy/host-namespaces.js';
import { grantExisting, hostNamespaceGrant } from '../tenancy/host-namespace-grant.js';
import { TenantNamespaceObjects } from '../tenancy/namespace-objects.js';
import type { KplexEndpoint } from '../tenancy/network-isolation.js';
import { RuntimeCache } from '../tenancy/runtime-cache.js';
import { removeTenant } from '../tenancy/tenant-removal.js';
import { tenantIdentity } from '../auth/tenant-identity.js';
import { webhookCallersFromFile } from '../auth/webhook-callers.js';
import { loadOrCreateServingTLS } from '../server/tls.js';
import { kplexVersion } from '../version.js';
import { addConfigOptions } from './options.js';
import { TenantLimitsBook } from '../limits/tenant-limits.js';
import { TenantPolicyBook } from '../limits/tenant-policy.js';
import { TenantQuotaLedger } from '../tenancy/tenant-quota-ledger.js';
import { namespacesQuota } from '../limits/tenant-quota.js';
import { PodSecurityReconciler } from '../tenancy/pod-security-reconcile.js';
import { Fairness } from '../limits/fairness.js';
import {
  KUBERNETES_SERVICE_NAMES,
  podApiHost,
  podDnsAddress,
  podEndpoints,
  podSyncer,
} from '../syncer/pod-syncer.js';
import { startTenantDns } from '../dns/tenant-dns.js';
import { KplexMetrics } from '../metrics/metrics.js';
import { startMetricsServer } from '../metrics/metrics-server.js';
import { serveGauges } from './serve-metrics.js';
import { startSharding } from '../sharding/sharding.js';
import { peerAddress, shardingOptions } from '../sharding/sharding-options.js';
import { listenPort, protectFromWebhooks } from '../admission/webhooks/guard.js';
import { tenantPodAdmission } from '../host/pod-admission.js';

export function serveCommand(): Command {
  const cmd = new Command('serve')
    .description('Serve the tenant API endpoints (https://<address>:<port>/clusters/<tenant>)')
    .action(async (opts: ServeConfig) => {
      await serve(opts);
    });
  return addConfigOptions(cmd, serveOptions);
}

export async function serve(cfg: ServeConfig): Promise<void> {
  const logger = createLogger(cfg.logLevel);
  const shardOpts = shardingOptions(cfg);
  const tls = await loadOrCreateServingTLS({
    dataDir: cfg.dataDir,
    certFile: cfg.tlsCertFile,
    keyFile: cfg.tlsPrivateKeyFile,
    // Tenant pods verify kplex by the names and address they reach it on (the pod syncer).
    extraNames: [...KUBERNETES_SERVICE_NAMES, podApiHost(cfg)],
  });
  const health = new HealthChecks();
  const host = new HostClient(await loadHostConnection(cfg.hostKubeconfig));
  const hostVersion = await fetchHostVersion(host);
  await installTenantCRD(host);
  const tenants = new TenantDirectory(host, logger);
  // Each tenant's limits (Tenant spec.limits), from the same watch, before the first list arrives.
  const limits = new TenantLimitsBook();
  tenants.onChange((e) => limits.observe(e));
  // A sharded replica's stores refuse writes once its shard's Lease lapsed (set when sharding starts).
  const storeFence: { writable?: (tenant: string) => Error | undefined } = {};
  const pool = new StorePool({
    dataDir: path.join(cfg.dataDir, 'tenants'),
    store: {
      // The tenant quota's namespaces count where the namespaces are: in the store's write transaction.
      limits: (t) => ({ ...limits.of(t), tenantNamespaces: namespacesQuota(policies.of(t)) }),
      writable: (tenant) => storeFence.writable?.(tenant),
    },
  });
  // `kplex tenant restore` refuses while this marker names a live process.
  const unmark = markServing(cfg.dataDir);
  // Each tenant's workload policy (Tenant spec.policy). Its host namespaces get the policy's Pod
  // Security labels when first seen (the first list: those an earlier kplex made too) and on change.
  const policies = new TenantPolicyBook();
  const grant = cfg.hostNamespaceRole ? hostNamespaceGrant(host, cfg.hostNamespaceRole) : undefined;
  const hostNamespaces = new HostNamespaces(host, policies.of, grant);
  if (grant)
    void grantExisting(host, grant, logger).then(
      (n) => logger.info({ namespaces: n }, 'kplex bound in its host namespaces'),
      (err: unknown) => logger.error({ err }, 'binding kplex in its host namespaces failed'),
    );
  const podSecurity = new PodSecurityReconciler(hostNamespaces, pool, logger);
  tenants.onChange((e) => {
    if (policies.observe(e))
      podSecurity.tenantChanged({ name: e.object.metadata?.name ?? '', uid: e.object.metadata?.uid ?? '' });
  });
  // kplex's NetworkPolicy, ResourceQuota and LimitRange in every tenant host namespace, kept by host watches.
  // Tenant pods keep reaching kplex's API and DNS whatever the isolation policy excepts.
  let kplexEndpoints: KplexEndpoint[] = [];
  const isolation = new TenantNamespaceObjects(host, policies.of, logger, () => kplexEndpoints);
  tenants.onChange((e) => isolation.tenantChanged(e.object.metadata?.uid ?? ''));
  // The tenant-wide quota's usage, counted from host watches (limits/tenant-quota.ts).
  const tenantQuota = new TenantQuotaLedger(
    host,
    policies.of,
    logger,
    (uid) => pool.peek(uid)?.usageIfOpen()?.namespaces,
  );
  await tenants.start();
  void isolation.start();
  void tenantQuota.start();
  // Sharded: this replica serves its shard's tenants while it holds the shard's Lease (src/sharding).
  const sharding = shardOpts
    ? await startSharding(host, tenants, pool, shardOpts, logger, (name, uid) => runtimes.drop(name, uid))
    : undefined;
  storeFence.writable = sharding?.writable;
  const gated = sharding?.gate ?? ((h: TenantHandler) => h);
  // Signing keys: the host Secret every replica shares, plus this data dir's (tests, migration).
  const keyRing = new KeyRing([new HostSecretKeyStore(host), new FileKeyStore(cfg.dataDir)]);
  keyRing.onStoreError = (err) =>
    logger.warn({ err }, 'a signing key store could not be read; going on with the others');
  const keys = await keyRing.start(30_000, (err) => logger.warn({ err }, 'reloading signing keys failed'));
  // Tenant client CAs: the host Secrets every replica shares, plus this data dir's.
  const clientCAs: ClientCAStore[] = [new HostSecretClientCAStore(host), new FileClientCAStore(cfg.dataDir)];
  // Stores are keyed by Tenant UID; files of tenants deleted while kplex was down go now.
  const runtimes = new RuntimeCache(
    pool,
    hostNamespaces,
    logger,
    (name) => tenants.uid(name),
    1024,
    policies.of,
    (t) => clientCAs[0]!.getOrCreate({ tenant: t.tenant, tenantUid: t.uid }),
  );
  runtimes.sweep(tenants.uids());
  // Authorization reads the tenant's RBAC view, never its runtime: a denied request builds nothing.
  const rbac = new RbacAuthorizer(async (tenant) => runtimes.rbac(tenant).policy());
  const ident = tenantIdentity({
    host,
    tenantUid: (name) => tenants.uid(name),
    runtimes,
    keys,
    clientCAs,
    decider: rbac,
  });
  tenants.onChange((e) => {
    if (e.type !== 'DELETED') return;
    const gone = { name: e.object.metadata?.name ?? '', uid: e.object.metadata?.uid ?? '' };
    ident.forget(gone.uid);
    void removeTenant(host, runtimes, gone, clientCAs).catch((err: unknown) =>
      logger.error({ err, tenant: gone.name }, 'removing a deleted tenant failed'),
    );
  });
  health.add('host', async () => {
    const res = await host.request('GET', '/readyz');
    if (res.status !== 200) throw new Error(`host readyz ${res.status}`);
  });

  const authn = ident.authn;
  const audit = auditLog(cfg, logger);
  const metrics = cfg.metricsListen
    ? new KplexMetrics({ hostOrigin: host.origin, tenantSeries: cfg.metricsTenantSeries })
    : undefined;
  if (metrics) {
    serveGauges(metrics, { tenants, pool, runtimes });
    tenants.onChange((e) => {
      if (e.type === 'DELETED') metrics.tenants?.forget(e.object.metadata?.name ?? '');
    });
  }
  const pods = podSyncer(
    {
      host,
      logger,
      tenantUid: (name) => tenants.uid(name),
      podApiAddress: cfg.podApiAddress,
      bindAddress: cfg.bindAddress,
      podDnsAddress: podDnsAddress(cfg),
      // Only the host apiserver may ask the pod webhook (its answers name tenants' namespaces).
      webhookCaller: webhookCallersFromFile(
        { caFile: cfg.webhookClientCa, insecureAnyCaller: cfg.insecureWebhookAnyCaller },
        logger,
      ),
      // Pods host controllers make from a tenant's workloads meet the tenant's own webhooks here.
      tenantAdmission: tenantPodAdmission(host, (t) => runtimes.get(t)),
      quota: async ({ tenant, pod, ...r }) => {
        const uid = tenants.uid(tenant);
        return uid ? tenantQuota.reserve({ ...r, uid, kind: 'pods', object: pod }) : undefined;
      },
    },
    tls.caCert,
  );
  // Before kplex says it serves: a scraper started with it finds /metrics.
  const metricsServer =
    metrics && cfg.metricsListen ? await startMetricsServer(metrics, cfg.metricsListen, logger) : undefined;
  const server = await startServer({
    bindAddress: cfg.bindAddress,
    port: cfg.port,
    tls,
    logger,
    health,
    routes: pods.routes,
    // Registered before kplex says it serves: no pod is admitted by a previous run's webhook.
    beforeServing: (port) => {
      // Tenant webhooks never call kplex itself nor the host's apiserver (no SSRF through kplex).
      protectFromWebhooks({
        ports: [port, ...[cfg.metricsListen, cfg.dnsListen, cfg.podApiAddress].map(listenPort)],
        hostURL: host.origin,
      });
      kplexEndpoints = podEndpoints(cfg, port);
      isolation.refresh();
      return pods.start(port);
    },
    version: () => ({
      major: '0',
      minor: kplexVersion.split('.')[1] ?? '0',
      gitVersion: `v${kplexVersion}`,
      gitCommit: '',
      gitTreeState: 'clean',
      buildDate: '',
      goVersion: `node${process.versions.node}`,
      compiler: 'tsc',
      platform: `${process.platform}/${process.arch}`,
    }),
    tenantHandler: gated(
      tenantPipeline({
        tenantUid: (name) => tenants.uid(name),
        tenantExists: (name) => tenants.has(name),
        runtimes,
        authn,
        authz: rbac,
        identity: ident.identity,
        logger,
        hostVersion: () => hostVersion,
        host,
        fairness: new Fairness({ limits: limits.of }),
        limits: limits.of,
        metrics: metrics?.requests,
        requestLog: cfg.logRequests ? requestLog(logger) : undefined,
        audit,
        watchCacheEvents: cfg.watchCacheEvents,
        tenantQuota,
      }),
    ),
  });
  sharding?.start(peerAddress(cfg, server.port), tls.caCert);
  // Each Tenant's status on the host (Ready, endpoint, usage): one periodic pass, writing only what changed.
  const statuses = new TenantStatusWriter({
    host,
    logger,
    tenants: () => tenants.names().filter((n) => sharding?.serves(n) ?? true),
    tenant: (name) => tenants.get(name),
    served: (name) => tenants.has(name) && (sharding?.serves(name) ?? true),
    storeUsage: (uid) => pool.peek(uid)?.usageIfOpen(),
    hostUsage: () => isolation.hostUsage(),
    endpoint: tenantEndpoint(
      process.env['KPLEX_ADVERTISE_ADDRESS'] ?? cfg.bindAddress,
      server.port,
      cfg.externalUrl,
    ),
  });
  statuses.start(Math.max(1, cfg.tenantStatusInterval) * 1000);
  const dns = cfg.dnsListen
    ? await startTenantDns(host, logger, {
        listen: cfg.dnsListen,
        // What pods get as KUBERNETES_SERVICE_HOST is what kubernetes.default.svc names.
        kubernetesAddress: cfg.dnsKubernetesAddress ?? podApiHost(cfg),
      })
    : undefined;
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    tenants.stop();
    statuses.stop();
    isolation.stop();
    tenantQuota.stop();
    keys.stop();
    await dns?.close();
    await metricsServer?.close();
    metrics?.close();
    await server.close(cfg.shutdownGraceSeconds * 1000);
    await sharding?.stop();
    pool.close();
    unmark();
    await audit?.close();
    await host.close();
    logger.info('stopped');
    logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

async function fetchHostVersion(host: HostClient): Promise<VersionInfo> {
  return (await host.must<VersionInfo>('GET', '/version')).body;
}
