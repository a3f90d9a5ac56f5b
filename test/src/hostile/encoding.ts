/**
 * How a hostile client can put a string into a URL. Strings are sequences of UTF-16 code
 * units, lone surrogates included: `wtf8` writes each code point (or lone surrogate) as the
 * bytes of its generalised UTF-8 encoding, so a lone surrogate becomes `%ED%A0%80`, which is
 * not UTF-8 at all.
 */
export type Encoding = 'escaped' | 'as-is' | 'double' | 'broken' | 'raw-bytes';

export const ENCODINGS: readonly Encoding[] = ['escaped', 'as-is', 'double', 'broken', 'raw-bytes'];

const UNRESERVED = /[A-Za-z0-9\-._~]/;
const hex = (byte: number) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;

/** The generalised UTF-8 (WTF-8) bytes of a string: lone surrogates are encoded like any other code point. */
export function wtf8(text: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i += 1) {
    let point = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (point >= 0xd800 && point <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      point = 0x10000 + ((point - 0xd800) << 10) + (next - 0xdc00);
      i += 1;
    }
    if (point < 0x80) bytes.push(point);
    else if (point < 0x800) bytes.push(0xc0 | (point >> 6), 0x80 | (point & 0x3f));
    else if (point < 0x10000) bytes.push(0xe0 | (point >> 12), 0x80 | ((point >> 6) & 0x3f), 0x80 | (point & 0x3f));
    else bytes.push(0xf0 | (point >> 18), 0x80 | ((point >> 12) & 0x3f), 0x80 | ((point >> 6) & 0x3f), 0x80 | (point & 0x3f));
  }
  return bytes;
}

/** Percent-encodes every byte except the unreserved characters (and those in `keep`). */
export function percentEncode(text: string, keep = ''): string {
  return wtf8(text)
    .map((byte) => (byte < 0x80 && (UNRESERVED.test(String.fromCharCode(byte)) || keep.includes(String.fromCharCode(byte))) ? String.fromCharCode(byte) : hex(byte)))
    .join('');
}

const BREAKAGES = ['%', '%z', '%zz', '%E2%82', '%C0%80', '%FF', '%ED%B0%80', '%%', '%0'];

/**
 * One URL component for `text` as a client may send it:
 * - `escaped`: every byte outside the unreserved set percent-encoded (lone surrogates give invalid UTF-8);
 * - `as-is`: printable ASCII left alone (a `/`, `?`, `#`, `%` or `&` then changes the URL's shape), the rest escaped;
 * - `double`: escaped twice (`%2500`), as nested repository names are;
 * - `broken`: escaped, with a malformed or non-UTF-8 escape spliced in at `salt`;
 * - `raw-bytes`: characters up to U+00FF as single raw bytes, which HTTP parsers must refuse.
 */
export function encodeComponent(text: string, encoding: Encoding, salt = 0): string {
  switch (encoding) {
    case 'escaped':
      return percentEncode(text);
    case 'as-is':
      return percentEncode(text, "!$&'()*+,;=:@/?#%[]{}|\\^`\"<> ");
    case 'double':
      return percentEncode(percentEncode(text));
    case 'broken': {
      const escaped = percentEncode(text);
      const at = escaped.length === 0 ? 0 : salt % (escaped.length + 1);
      return `${escaped.slice(0, at)}${BREAKAGES[salt % BREAKAGES.length]}${escaped.slice(at)}`;
    }
    case 'raw-bytes':
      return [...text].map((char) => (char.charCodeAt(0) <= 0xff && char.length === 1 && char.charCodeAt(0) > 0x20 ? char : percentEncode(char))).join('');
  }
}
