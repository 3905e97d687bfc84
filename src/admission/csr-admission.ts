// The apiserver's CSR admission plugins (plugin/pkg/admission/certificates): approval needs the
// `approve` verb on the request's signer (CertificateApproval), a certificate written through
// /status needs `sign` (CertificateSigning), and no kube-apiserver-client request may ask for
// system:masters (CertificateSubjectRestriction). Signers are RBAC resources `signers` of group
// certificates.k8s.io named by the signer name, or by `<domain>/*`.
import { forbidden } from '../api/status.js';
import type { UserInfo } from '../authorizer/user.js';
import { parseCSR } from '../pki/csr-sign.js';
import { decide } from '../rbac/rbac-authorizer.js';
import type { RbacPolicy } from '../rbac/policy.js';
import type { AdmissionAttributes } from './attributes.js';
import type { AdmissionPlugin } from './chain.js';
import { KUBE_APISERVER_CLIENT_SIGNER } from './csr.js';

const GROUP = 'certificates.k8s.io';
const isCSR = (a: AdmissionAttributes): boolean =>
  a.resource.group === GROUP && a.resource.resource === 'certificatesigningrequests';

interface CsrShape {
  spec?: { signerName?: string; request?: string };
  status?: { certificate?: string };
}
const signerOf = (o: unknown): string => (o as CsrShape | null)?.spec?.signerName ?? '';

function authorizedForSigner(policy: RbacPolicy, user: UserInfo, verb: string, signerName: string): boolean {
  const attrs = (name: string) => ({
    user,
    verb,
    isResourceRequest: true,
    path: '',
    namespace: '',
    apiGroup: GROUP,
    apiVersion: '*',
    resource: 'signers',
    subresource: '',
    name,
  });
  if (decide(policy, attrs(signerName)).allowed) return true;
  const slash = signerName.indexOf('/');
  return slash >= 0 && decide(policy, attrs(`${signerName.slice(0, slash)}/*`)).allowed;
}

const denied = (a: AdmissionAttributes, reason: string) =>
  forbidden({ group: a.resource.group, resource: a.resource.resource }, a.name, reason);

export function certificateApproval(rbac: () => RbacPolicy): AdmissionPlugin {
  return {
    name: 'CertificateApproval',
    handles: (a) => a.operation === 'UPDATE' && a.subresource === 'approval' && isCSR(a),
    async validate(a) {
      const signer = signerOf(a.oldObject);
      if (!authorizedForSigner(rbac(), a.user, 'approve', signer))
        throw denied(a, `user not permitted to approve requests with signerName "${signer}"`);
      return [];
    },
  };
}

export function certificateSigning(rbac: () => RbacPolicy): AdmissionPlugin {
  return {
    name: 'CertificateSigning',
    handles: (a) => a.operation === 'UPDATE' && a.subresource === 'status' && isCSR(a),
    async validate(a) {
      const cert = (o: unknown) => (o as CsrShape | null)?.status?.certificate ?? '';
      if (cert(a.object) === cert(a.oldObject)) return [];
      const signer = signerOf(a.oldObject);
      if (!authorizedForSigner(rbac(), a.user, 'sign', signer))
        throw denied(a, `user not permitted to sign requests with signerName "${signer}"`);
      return [];
    },
  };
}

export function certificateSubjectRestriction(): AdmissionPlugin {
  return {
    name: 'CertificateSubjectRestriction',
    handles: (a) => a.operation === 'CREATE' && !a.subresource && isCSR(a),
    async validate(a) {
      if (signerOf(a.object) !== KUBE_APISERVER_CLIENT_SIGNER) return [];
      const csr = parseCSR(
        Buffer.from((a.object as CsrShape).spec?.request ?? '', 'base64').toString('latin1'),
      );
      if (typeof csr === 'string') throw denied(a, `failed to parse CSR: ${csr}`);
      if (csr.subjectName.getField('O').includes('system:masters'))
        throw denied(
          a,
          `use of ${KUBE_APISERVER_CLIENT_SIGNER} signer with system:masters group is not allowed`,
        );
      return [];
    },
  };
}
