// Subresources of host-backed resources and how passthrough treats each, as data.
export type SubresourceMode =
  | 'object' //  a Kubernetes object in and out, rewritten both ways
  | 'stream' //  raw bytes out (container logs), never rewritten
  | 'upgrade' // a connection upgrade (SPDY / WebSocket)
  | 'refused'; // never proxied for a tenant

export const SUBRESOURCE_MODES: Readonly<Record<string, SubresourceMode>> = {
  status: 'object',
  scale: 'object',
  ephemeralcontainers: 'object',
  resize: 'object',
  eviction: 'object',
  binding: 'object',
  token: 'object', // serviceaccounts/token: a host-issued token kplex maps back to the tenant
  log: 'stream',
  exec: 'upgrade',
  attach: 'upgrade',
  portforward: 'upgrade',
  // pods/proxy, services/proxy, nodes/proxy: the HOST apiserver would open connections from inside
  // the host network with its own credentials (kubelet client cert) to any address the object
  // names; a tenant must not borrow that reach.
  proxy: 'refused',
};

/** Query parameters a tenant may send to the host (anything else is dropped). */
export const PASSED_QUERY = new Set([
  'pretty',
  'dryRun',
  'fieldManager',
  'fieldValidation',
  'force',
  'gracePeriodSeconds',
  'propagationPolicy',
  'orphanDependents',
  'labelSelector',
  'fieldSelector',
  'limit',
  'resourceVersion',
  'resourceVersionMatch',
  'watch',
  'allowWatchBookmarks',
  'sendInitialEvents',
  'timeoutSeconds',
  'includeObject',
  // pods/log
  'container',
  'follow',
  'previous',
  'sinceSeconds',
  'sinceTime',
  'timestamps',
  'tailLines',
  'limitBytes',
  // not insecureSkipTLSVerifyBackend: how the host talks to its kubelets is the host's decision,
  // and a tenant must not be able to weaken it (the parameter is dropped, logs are still served)
  // exec / attach / portforward
  'command',
  'stdin',
  'stdout',
  'stderr',
  'tty',
  'ports',
]);
