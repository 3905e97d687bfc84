// Dependency rules for src/ (npm run lint): the folders form a DAG drawn in docs/architecture.md
// ("Layers"). A folder may import folders of its own layer or lower ones, never a higher layer;
// no file cycles and no folder cycles (so folders of one layer also form a DAG).

/** Bottom to top. Every folder of src/ must be listed. */
const LAYERS = [
  ['api', 'log', 'pki', 'config', 'protobuf'], // apimachinery core, logging, certificates, options, protobuf
  ['limits', 'patch', 'resources', 'metrics', 'audit'], // limits and quotas, patch engines, the resource row type and host placement, Prometheus metrics, the audit log
  ['store', 'hostapi', 'discovery'], // tenant store; the low-level host client; discovery and OpenAPI
  ['hostwatch'], // shared host watches (one per resource type), the apiserver's watch cache pattern
  ['registry'], // generic registry semantics, the Strategy contract
  ['apiextensions', 'authorizer'], // CRDs; user.Info and the Authorizer contract
  ['rbac'], // RBAC kinds and authorizer
  ['admission'], // admission kinds and policies
  ['builtin', 'handlers'], // the built-in rows of every tenant's table; HTTP handlers of virtual resources
  ['syncer'], // pod translation between a tenant and the host
  ['rewrite'], // the namespace translator and rewriting both ways
  ['tenancy'], // tenants, the per-tenant runtime, namespaces
  ['dns', 'host'], // tenant DNS; host passthrough
  ['auth'], // authentication, tenant identity, reviews
  ['server'], // HTTPS server and the tenant request path
  ['sharding'], // shard Leases, the shard gate, forwarding between replicas
  ['cli'], // the kplex command
];

const folder = (names) => `^src/(${names.join('|')})/`;

const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer.join('-')}`,
  comment: `${layer.join(', ')} must not import a higher layer`,
  severity: 'error',
  from: { path: folder(layer) },
  to: { path: folder(LAYERS.slice(i + 1).flat()) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-file-cycles',
      comment: 'files of src/ must not import each other in a cycle',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-folder-cycles',
      comment: 'folders of src/ must not import each other in a cycle',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'folder-in-a-layer',
      comment: 'every folder of src/ has a place in LAYERS (.dependency-cruiser.cjs)',
      severity: 'error',
      from: { path: '^src/[^/]+/', pathNot: folder(LAYERS.flat()) },
      to: {},
    },
    {
      name: 'top-level-files-at-the-bottom',
      comment: 'src/*.ts files (version) import no folder',
      severity: 'error',
      from: { path: '^src/[^/]+$' },
      to: { path: '^src/[^/]+/' },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/.*\\.d\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
