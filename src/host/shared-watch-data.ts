// Which host resources are never watched host-wide for tenants (their -A watches keep the
// per-namespace fan-out), and why, as data.
export const NOT_SHARED: Readonly<Record<string, string>> = {
  // A host-wide Secret watch would hold every Secret of the host (other tenants', kube-system's
  // tokens) in kplex's memory and need cluster-wide secret read in kplex's ClusterRole.
  '/secrets': 'cluster-wide secret read',
};
