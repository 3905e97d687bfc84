// The host namespace names and labels are the namespace translator's (rewrite/namespace-translator.ts);
// these names stay importable from here for modules not yet moved to it.
export {
  LABEL_MANAGED_BY,
  LABEL_NAMESPACE,
  LABEL_TENANT,
  LABEL_TENANT_UID,
  type TenantIdentity,
} from '../rewrite/namespace-translator.js';
