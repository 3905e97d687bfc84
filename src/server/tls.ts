// The serving certificate: given by flags, or generated once (self-signed CA + leaf) into the
// data dir and reused, so kubeconfigs written earlier keep trusting it.
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCA, issueCert, loadCA } from '../pki/certs.js';

export interface ServingTLS {
  cert: string;
  key: string;
  /** The CA that clients should trust (the generated CA, or the given cert itself). */
  caCert: string;
}

export async function loadOrCreateServingTLS(opts: {
  dataDir: string;
  certFile?: string;
  keyFile?: string;
  extraNames?: string[];
}): Promise<ServingTLS> {
  if (opts.certFile || opts.keyFile) {
    if (!opts.certFile || !opts.keyFile)
      throw new Error('--tls-cert-file and --tls-private-key-file go together');
    const cert = readFileSync(opts.certFile, 'utf8');
    return { cert, key: readFileSync(opts.keyFile, 'utf8'), caCert: cert };
  }
  const dir = path.join(opts.dataDir, 'pki');
  const files = {
    ca: path.join(dir, 'ca.crt'),
    caKey: path.join(dir, 'ca.key'),
    cert: path.join(dir, 'serving.crt'),
    key: path.join(dir, 'serving.key'),
  };
  const reuse = existsSync(files.cert) && existsSync(files.key) && existsSync(files.ca);
  if (reuse && namesAll(readFileSync(files.cert, 'utf8'), opts.extraNames ?? [])) {
    return {
      cert: readFileSync(files.cert, 'utf8'),
      key: readFileSync(files.key, 'utf8'),
      caCert: readFileSync(files.ca, 'utf8'),
    };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A name asked for now (e.g. the pods' address) gets a new leaf of the SAME CA: clients keep trusting it.
  const ca =
    reuse && existsSync(files.caKey)
      ? await loadCA({ cert: readFileSync(files.ca, 'utf8'), key: readFileSync(files.caKey, 'utf8') })
      : await createCA('kplex-serving-ca');
  const leaf = await issueCert(ca, {
    commonName: 'kplex',
    server: true,
    dnsNames: [
      'localhost',
      'kplex',
      os.hostname(),
      ...(opts.extraNames ?? []).filter((n) => !/^[\d.:]+$/.test(n)),
    ],
    ipAddresses: ['127.0.0.1', '::1', ...(opts.extraNames ?? []).filter((n) => /^[\d.:]+$/.test(n))],
    days: 3650,
  });
  writeFileSync(files.ca, ca.cert);
  writeFileSync(files.caKey, ca.key, { mode: 0o600 });
  writeFileSync(files.cert, leaf.cert);
  writeFileSync(files.key, leaf.key, { mode: 0o600 });
  return { cert: leaf.cert, key: leaf.key, caCert: ca.cert };
}

/** True when the certificate names every one of `names` (DNS names and IP addresses). */
function namesAll(pem: string, names: string[]): boolean {
  const san = (new X509Certificate(pem).subjectAltName ?? '').split(', ');
  return names.every((n) => san.includes(/^[\d.:]+$/.test(n) ? `IP Address:${n}` : `DNS:${n}`));
}
