// The field manager name the apiserver uses when a request names none (handlers/create.go
// prefixFromUserAgent): the User-Agent up to its first '/', printable characters only, at most
// 128 bytes.

export const FIELD_MANAGER_MAX_LENGTH = 128;

const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

export function defaultFieldManager(userAgent: string | undefined): string {
  const prefix = (userAgent ?? '').split('/')[0] ?? '';
  let out = '';
  let bytes = 0;
  for (const ch of prefix) {
    if (!printable.test(ch)) continue;
    const len = Buffer.byteLength(ch);
    if (bytes + len > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
    bytes += len;
  }
  return out;
}
