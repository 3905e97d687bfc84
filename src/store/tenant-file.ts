// Maps a store key to a database file name that is safe on every file system, for any string.
// Stores are keyed by Tenant UID (RuntimeCache), so this is no tenant-name rule: that rule is
// src/tenancy/tenant-name.ts alone. The DNS-label test only keeps well-formed keys readable.
import { createHash } from 'node:crypto';

const dnsLabel = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * DNS-label tenants keep their readable name (`acme.db`). Anything else is hex-escaped behind a
 * `_` prefix, which no DNS label contains, so escaped names never collide with readable ones;
 * names too long to escape within file-name limits use `_h` + sha256 ('h' is not a hex digit).
 */
export function tenantFileName(tenant: string): string {
  if (tenant === '') throw new Error('tenant name must not be empty');
  if (dnsLabel.test(tenant)) return `${tenant}.db`;
  const hex = Buffer.from(tenant, 'utf8').toString('hex');
  if (hex.length <= 200) return `_${hex}.db`;
  return `_h${createHash('sha256').update(tenant, 'utf8').digest('hex')}.db`;
}

/** The files SQLite keeps for one database in WAL mode. */
export function databaseFiles(dbPath: string): string[] {
  return [dbPath, `${dbPath}-wal`, `${dbPath}-shm`, `${dbPath}-journal`];
}
