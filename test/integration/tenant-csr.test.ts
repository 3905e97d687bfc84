// CertificateSigningRequests side by side with the host, with the real kubectl: the `csr` short
// name, `kubectl certificate approve/deny` (PUT .../approval), the `approve` verb on signers, the
// system:masters restriction, and the kube-apiserver-client signer: on the host its certificate
// authenticates to the host; in a tenant, kplex signs with the tenant's client CA, so the
// certificate authenticates to that tenant (how a user onboards on a real cluster).
import { X509Certificate, webcrypto } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../../src/pki/certs.js'; // loads reflect-metadata and gives @peculiar/x509 its crypto provider
import * as x509 from '@peculiar/x509';
import Database from 'better-sqlite3';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { startTenantEnv, type TenantEnv } from '../helpers/tenant-env.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const suffix = Math.random().toString(36).slice(2, 8);

interface Csr {
  metadata: { name: string; generation?: number };
  spec: { username: string; groups?: string[]; signerName: string; usages: string[] };
  status: { certificate?: string; conditions?: { type: string; status: string; reason?: string }[] };
}

describe('CertificateSigningRequests: tenant and host', () => {
  const host = inject('host');
  let env: TenantEnv;
  let tenant: string;
  let dir: string;
  const sides = () => ({ host: host.kubeconfig, tenant });
  const hostObjects: string[][] = [];

  /** A private key (its file) and a PEM CSR for CN=`cn`, O=`orgs`, as a user makes them. */
  const request = async (name: string, cn: string, orgs: string[]) => {
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = (await webcrypto.subtle.generateKey(alg, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: [{ CN: [cn] }, ...orgs.map((o) => ({ O: [o] }))],
      keys,
      signingAlgorithm: alg,
    });
    const key = path.join(dir, `${name}.key`);
    writeFileSync(
      key,
      x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'),
    );
    return { key, csr: csr.toString('pem') };
  };

  const manifest = (name: string, csr: string, signerName = 'kubernetes.io/kube-apiserver-client') =>
    JSON.stringify({
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name },
      spec: { request: b64(csr), signerName, usages: ['client auth'], expirationSeconds: 3600 },
    });

  const get = (kc: string, name: string) =>
    JSON.parse(kubectlOk(kc, ['get', 'csr', name, '-o', 'json'])) as Csr;

  /** The signed certificate, once the side's signer wrote it (bounded wait, no timing asserted). */
  const certificate = async (kc: string, name: string): Promise<string> => {
    for (let i = 0; i < 150; i++) {
      const c = get(kc, name).status.certificate;
      if (c) return Buffer.from(c, 'base64').toString('utf8');
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`csr ${name} was not signed`);
  };

  beforeAll(async () => {
    env = await startTenantEnv(host);
    dir = env.dataDir;
    tenant = await env.tenant('csr-t');
  }, 120_000);
  afterAll(async () => {
    for (const args of hostObjects) kubectl(host.kubeconfig, ['delete', '--ignore-not-found', ...args]);
    await env?.close();
  });

  it('lists the short name csr in discovery, as the host', () => {
    const line = (kc: string) =>
      kubectlOk(kc, ['api-resources', '--api-group=certificates.k8s.io', '--no-headers'])
        .split('\n')
        .find((l) => l.startsWith('certificatesigningrequests'))
        ?.split(/\s+/);
    expect(line(tenant)).toEqual(line(host.kubeconfig));
    expect(line(tenant)?.[1]).toBe('csr');
  });

  it('approves with kubectl certificate approve; the tenant signs with its own client CA', async () => {
    const name = `alice-${suffix}`;
    const { key, csr } = await request(name, `alice-${suffix}`, ['devs']);
    const certs: Record<string, string> = {};
    for (const [side, kc] of Object.entries(sides())) {
      const created = JSON.parse(
        kubectlOk(kc, ['create', '-o', 'json', '-f', '-'], manifest(name, csr)),
      ) as Csr;
      if (side === 'host') hostObjects.push(['csr', name]);
      // the requester's identity in spec, an empty status, no generation
      expect(created.spec.groups).toContain('system:authenticated');
      expect(created.status).toEqual({});
      expect(created.metadata.generation).toBeUndefined();
      expect(kubectlOk(kc, ['certificate', 'approve', name])).toBe(
        `certificatesigningrequest.certificates.k8s.io/${name} approved\n`,
      );
      const approved = get(kc, name).status.conditions ?? [];
      expect(approved.map((c) => [c.type, c.status, c.reason])).toEqual([
        ['Approved', 'True', 'KubectlApprove'],
      ]);
      certs[side] = await certificate(kc, name);
    }
    const [h, t] = [new X509Certificate(certs['host']!), new X509Certificate(certs['tenant']!)];
    expect(t.subject).toBe(h.subject);
    expect(t.keyUsage).toEqual(h.keyUsage);
    // both backdated 5 minutes, an hour long (expirationSeconds 3600: short, so not cut at the end)
    const life = (c: X509Certificate) => Date.parse(c.validTo) - Date.parse(c.validFrom);
    expect(life(t)).toBe(life(h));
    expect(t.issuer).toMatch(/^CN=kplex-client-ca-/);
    // the certificate authenticates to the tenant, as the host's does to the host
    for (const [side, kc] of Object.entries(sides())) {
      const file = path.join(dir, `${side}-${name}.kubeconfig`);
      const text = readFileSync(kc, 'utf8').replace(
        /users:\n- name: (\S+)\n {2}user:\n( {4}.*\n)+/,
        `users:\n- name: $1\n  user:\n    client-certificate-data: ${b64(certs[side]!)}\n    client-key-data: ${b64(readFileSync(key, 'utf8'))}\n`,
      );
      writeFileSync(file, text, { mode: 0o600 });
      const who = JSON.parse(kubectlOk(file, ['auth', 'whoami', '-o', 'json'])) as {
        status: { userInfo: { username: string; groups: string[] } };
      };
      expect(who.status.userInfo.username).toBe(`alice-${suffix}`);
      expect(who.status.userInfo.groups).toEqual(['devs', 'system:authenticated']);
    }
  });

  it('signs after a restart a request approved but not yet signed when kplex stopped', async () => {
    const name = `carol-${suffix}`;
    const { csr } = await request(name, name, []);
    kubectlOk(tenant, ['create', '-f', '-'], manifest(name, csr));
    kubectlOk(tenant, ['certificate', 'approve', name]);
    const first = new X509Certificate(await certificate(tenant, name));
    // A stop between the approval's commit and the signature: the stored request has no certificate.
    const uid = kubectlOk(host.kubeconfig, [
      'get',
      'tenants.kplex.io',
      'csr-t',
      '-o',
      'jsonpath={.metadata.uid}',
    ]);
    await env.restart('SIGKILL', () => {
      const db = new Database(path.join(dir, 'tenants', `${uid}.db`), { fileMustExist: true });
      const row = db
        .prepare(`SELECT json FROM objects WHERE resource = 'certificatesigningrequests' AND name = ?`)
        .get(name) as { json: string };
      const obj = JSON.parse(row.json) as Csr;
      delete obj.status.certificate;
      db.prepare(
        `UPDATE objects SET json = ? WHERE resource = 'certificatesigningrequests' AND name = ?`,
      ).run(JSON.stringify(obj), name);
      db.close();
    });
    // signed again when the tenant's runtime starts: a new certificate of the same subject
    const again = new X509Certificate(await certificate(tenant, name));
    expect(again.subject).toBe(`CN=${name}`);
    expect(again.serialNumber).not.toBe(first.serialNumber);
  });

  it('denies with kubectl certificate deny: no certificate', async () => {
    const name = `mallory-${suffix}`;
    const { csr } = await request(name, 'mallory', []);
    for (const [side, kc] of Object.entries(sides())) {
      kubectlOk(kc, ['create', '-f', '-'], manifest(name, csr));
      if (side === 'host') hostObjects.push(['csr', name]);
      expect(kubectlOk(kc, ['certificate', 'deny', name])).toBe(
        `certificatesigningrequest.certificates.k8s.io/${name} denied\n`,
      );
    }
    // the host's signer has had time to act on it, had it wanted to
    await certificate(host.kubeconfig, `alice-${suffix}`);
    const view = (kc: string) => {
      const s = get(kc, name).status;
      return {
        certificate: s.certificate,
        conditions: s.conditions?.map((c) => [c.type, c.status, c.reason]),
      };
    };
    expect(view(tenant)).toEqual(view(host.kubeconfig));
    expect(view(tenant).conditions).toEqual([['Denied', 'True', 'KubectlDeny']]);
    // approving a denied request is invalid on both
    const again = (kc: string) => kubectl(kc, ['certificate', 'approve', name]);
    expect(again(tenant).stderr).toBe(again(host.kubeconfig).stderr);
  });

  it('needs the approve verb on the signer, as the apiserver', async () => {
    const user = `csr-approver-${suffix}`;
    const name = `bob-${suffix}`;
    const { csr } = await request(name, 'bob', []);
    const role = `csr-approval-${suffix}`;
    const rbac = [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: role },
        rules: [
          { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests'], verbs: ['get'] },
          {
            apiGroups: ['certificates.k8s.io'],
            resources: ['certificatesigningrequests/approval'],
            verbs: ['update'],
          },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: role },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
      },
    ].map((o) => JSON.stringify(o));
    const results: Record<string, string[]> = {};
    for (const [side, kc] of Object.entries(sides())) {
      for (const o of rbac) kubectlOk(kc, ['create', '-f', '-'], o);
      kubectlOk(kc, ['create', '-f', '-'], manifest(name, csr));
      if (side === 'host')
        hostObjects.push(['csr', name], ['clusterrole', role], ['clusterrolebinding', role]);
      const refused = kubectl(kc, ['certificate', 'approve', name, `--as=${user}`]);
      // then the signer permission, for this signer only
      kubectlOk(
        kc,
        ['create', '-f', '-'],
        JSON.stringify({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: `${role}-signer` },
          rules: [
            {
              apiGroups: ['certificates.k8s.io'],
              resources: ['signers'],
              resourceNames: ['kubernetes.io/*'],
              verbs: ['approve'],
            },
          ],
        }),
      );
      kubectlOk(kc, [
        'create',
        'clusterrolebinding',
        `${role}-signer`,
        `--clusterrole=${role}-signer`,
        `--user=${user}`,
      ]);
      if (side === 'host')
        hostObjects.push(['clusterrole', `${role}-signer`], ['clusterrolebinding', `${role}-signer`]);
      const allowed = kubectl(kc, ['certificate', 'approve', name, `--as=${user}`]);
      results[side] = [refused.stderr, allowed.stdout];
    }
    expect(results['tenant']).toEqual(results['host']);
    expect(results['tenant']![0]).toContain(
      `user not permitted to approve requests with signerName "kubernetes.io/kube-apiserver-client"`,
    );
    expect(results['tenant']![1]).toContain('approved');
  });

  it('refuses a kube-apiserver-client request for system:masters, as the host', async () => {
    const name = `root-${suffix}`;
    const { csr } = await request(name, 'root', ['system:masters']);
    const answer = (kc: string) => kubectl(kc, ['create', '-f', '-'], manifest(name, csr));
    const [h, t] = [answer(host.kubeconfig), answer(tenant)];
    expect(t.code).not.toBe(0);
    expect(t.stderr).toBe(h.stderr);
    expect(t.stderr).toContain(
      'use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed',
    );
  });

  it('refuses what is not a certificate request, as the host', () => {
    const name = `junk-${suffix}`;
    const answer = (kc: string) => kubectl(kc, ['create', '-f', '-'], manifest(name, 'not a request'));
    const [h, t] = [answer(host.kubeconfig), answer(tenant)];
    expect(t.code).not.toBe(0);
    expect(t.stderr).toContain('PEM block type must be CERTIFICATE REQUEST');
    expect(h.stderr).toContain('PEM block type must be CERTIFICATE REQUEST');
  });
});
