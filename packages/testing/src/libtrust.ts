import { createHash, type KeyObject } from 'node:crypto';

/**
 * libtrust's key ID (docker/libtrust keyIDFromCryptoKey): the first 240 bits of the SPKI's
 * SHA-256, base32, in groups of 4. Distribution 2.8 finds a token's signing key by it.
 */
export function libtrustKeyId(publicKey: KeyObject): string {
  const digest = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest().subarray(0, 30);
  return base32(digest).match(/.{4}/g)!.join(':');
}

/** RFC 4648 base32 without padding. */
function base32(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let text = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      text += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) text += alphabet[(value << (5 - bits)) & 31];
  return text;
}
