// PKCS#10 certificate requests: parsed and verified as the apiserver's CSR validation does
// (pkg/apis/certificates ParseCSR + CheckSignature), and signed as kube-controller-manager's
// signer does (pkg/controller/certificates/authority): the request's subject, SANs and public key,
// key usages from spec.usages, NotBefore backdated 5 minutes, NotAfter capped at the CA's end.
import 'reflect-metadata'; // @peculiar/x509's DI container needs it loaded first
import { createPublicKey, verify, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { loadCA, type KeyPairPem } from './certs.js';

const KEY_USAGES: Readonly<Record<string, number>> = {
  signing: x509.KeyUsageFlags.digitalSignature,
  'digital signature': x509.KeyUsageFlags.digitalSignature,
  'content commitment': x509.KeyUsageFlags.nonRepudiation,
  'key encipherment': x509.KeyUsageFlags.keyEncipherment,
  'key agreement': x509.KeyUsageFlags.keyAgreement,
  'data encipherment': x509.KeyUsageFlags.dataEncipherment,
  'cert sign': x509.KeyUsageFlags.keyCertSign,
  'crl sign': x509.KeyUsageFlags.cRLSign,
  'encipher only': x509.KeyUsageFlags.encipherOnly,
  'decipher only': x509.KeyUsageFlags.decipherOnly,
};

// In Go's x509.ExtKeyUsage order (the signer sorts them).
const EXT_KEY_USAGES: readonly (readonly [string, string])[] = [
  ['any', '2.5.29.37.0'],
  ['server auth', '1.3.6.1.5.5.7.3.1'],
  ['client auth', '1.3.6.1.5.5.7.3.2'],
  ['code signing', '1.3.6.1.5.5.7.3.3'],
  ['email protection', '1.3.6.1.5.5.7.3.4'],
  ['s/mime', '1.3.6.1.5.5.7.3.4'],
  ['ipsec end system', '1.3.6.1.5.5.7.3.5'],
  ['ipsec tunnel', '1.3.6.1.5.5.7.3.6'],
  ['ipsec user', '1.3.6.1.5.5.7.3.7'],
  ['timestamping', '1.3.6.1.5.5.7.3.8'],
  ['ocsp signing', '1.3.6.1.5.5.7.3.9'],
  ['microsoft sgc', '1.3.6.1.4.1.311.10.3.3'],
  ['netscape sgc', '2.16.840.1.113730.4.1'],
];

const SAN_OID = '2.5.29.17';

/** The request in `pemText`, or the apiserver's reason why it is not one. */
export function parseCSR(pemText: string): x509.Pkcs10CertificateRequest | string {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)\r?\n-----END \1-----/.exec(pemText);
  if (!m || m[1] !== 'CERTIFICATE REQUEST') return 'PEM block type must be CERTIFICATE REQUEST';
  try {
    return new x509.Pkcs10CertificateRequest(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64'));
  } catch (err) {
    return `asn1: ${(err as Error).message}`;
  }
}

const HASH_OF: Readonly<Record<string, string | null>> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null, // Ed25519
};

/** One DER element at `at`: where its content starts and where it ends. */
function derElement(der: Buffer, at: number): { start: number; end: number } {
  let len = der[at + 1] ?? 0;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (der[start + i] ?? 0);
    start += n;
  }
  if (start + len > der.length) throw new Error('truncated DER');
  return { start, end: start + len };
}

/**
 * Whether the request is signed by the key it carries (Go's CheckSignature), synchronously:
 * validation runs inside the store's write.
 */
export function csrSignatureValid(csr: x509.Pkcs10CertificateRequest): boolean {
  try {
    const der = Buffer.from(csr.rawData);
    const outer = derElement(der, 0);
    const info = derElement(der, outer.start);
    const tbs = der.subarray(outer.start, info.end);
    const hash = HASH_OF[signatureOid(der, info.end)];
    if (hash === undefined) return false;
    const key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
    return verify(hash, tbs, key, Buffer.from(csr.signature));
  } catch {
    return false;
  }
}

/** The OID of the signature AlgorithmIdentifier that starts at `at`. */
function signatureOid(der: Buffer, at: number): string {
  const alg = derElement(der, at);
  const oid = derElement(der, alg.start);
  const bytes = der.subarray(oid.start, oid.end);
  const parts = [Math.floor(bytes[0]! / 40), bytes[0]! % 40];
  let v = 0;
  for (const b of bytes.subarray(1)) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

export interface SignOptions {
  usages: readonly string[];
  /** The certificate's lifetime (the signer's duration for the request). */
  ttlMs: number;
  now?: Date;
}

const BACKDATE_MS = 5 * 60_000;
const SHORT_MS = 8 * 3600_000;

/** A PEM certificate for the request, signed by `caPem`; throws when the request cannot be signed. */
export async function signCSR(caPem: KeyPairPem, csrPem: string, o: SignOptions): Promise<string> {
  const csr = parseCSR(csrPem);
  if (typeof csr === 'string') throw new Error(`unable to parse certificate request: ${csr}`);
  if (!csrSignatureValid(csr)) throw new Error('unable to verify certificate request signature');
  const ca = await loadCA(caPem);
  const now = o.now ?? new Date();
  const caEnd = ca.certificate.notAfter;
  if (now >= caEnd) throw new Error(`refusing to sign a certificate that expired in the past`);
  let keyUsage = 0;
  const eku = new Set<string>();
  for (const u of o.usages) {
    const ku = KEY_USAGES[u];
    const ext = EXT_KEY_USAGES.find(([name]) => name === u)?.[1];
    if (ku !== undefined) keyUsage |= ku;
    else if (ext) eku.add(ext);
    else throw new Error(`unrecognized usage values: ["${u}"]`);
  }
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  let notAfter = new Date(now.getTime() + o.ttlMs - (o.ttlMs < SHORT_MS ? 0 : BACKDATE_MS));
  if (notAfter >= caEnd) notAfter = caEnd;
  const san = csr.getExtension(SAN_OID);
  const ekuOrdered = EXT_KEY_USAGES.map(([, oid]) => oid).filter(
    (oid, i, all) => eku.has(oid) && all.indexOf(oid) === i,
  );
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: goSubject(csr.subjectName),
    issuer: ca.certificate.subjectName,
    notBefore,
    notAfter,
    signingKey: ca.keys.privateKey,
    publicKey: csr.publicKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [
      ...(keyUsage ? [new x509.KeyUsagesExtension(keyUsage, true)] : []),
      ...(ekuOrdered.length ? [new x509.ExtendedKeyUsageExtension(ekuOrdered, false)] : []),
      new x509.BasicConstraintsExtension(false, undefined, true),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
      ...(san ? [new x509.Extension(SAN_OID, san.critical, san.value)] : []),
    ],
  });
  return cert.toString('pem') + '\n';
}

// pkix.Name.ToRDNSequence: the attributes Go knows, in its order, each kind's values in one RDN.
const GO_NAME_ORDER = [
  '2.5.4.6', // C
  '2.5.4.8', // ST
  '2.5.4.7', // L
  '2.5.4.9', // street
  '2.5.4.17', // postalCode
  '2.5.4.10', // O
  '2.5.4.11', // OU
  '2.5.4.3', // CN
  '2.5.4.5', // serialNumber
];
const SINGLE_VALUED = new Set(['2.5.4.3', '2.5.4.5']);

/** The request's subject as Go's signer writes it into the certificate. */
function goSubject(name: x509.Name): x509.JsonName {
  const out: x509.JsonName = [];
  for (const oid of GO_NAME_ORDER) {
    let values = name.getField(oid);
    if (SINGLE_VALUED.has(oid)) values = values.slice(-1);
    if (values.length) out.push({ [oid]: values });
  }
  return out;
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}
