import fc from 'fast-check';

/**
 * Hostile values, as text (for paths, queries, headers and form fields) and as JSON (for
 * bodies): NUL bytes, lone surrogates, numbers past every integer type a server may parse
 * them into, overlong strings, wrong types, and text that looks like syntax of some layer
 * (SQL, LIKE patterns, Harbor's `q`, paths, JSON).
 */

const NUMBERS = [
  '1e308', '-1e308', '1e309', '4.9e-324', '9223372036854775807', '9223372036854775808', '-9223372036854775809',
  '18446744073709551616', '99999999999999999999', '2147483647', '2147483648', '-2147483648', '-2147483649',
  '4294967296', '9007199254740993', '-1', '0', '-0', '00', '1.5', '1.0', '0x10', '1e3', '+1', ' 1', '1 ', 'NaN', 'Infinity', '-Infinity',
] as const;

const TEXTS = [
  '', ' ', 'a\u0000b', '\u0000', '%00', 'x\ud800', '\udfff', '\ud800\ud800', 'caf\u00e9', '\u{1f433}', '\ufffd', '\u202e\u0000',
  '\u0001\u0002\u001f', '\u007f', 'true', 'false', 'null', 'undefined', '[]', '{}', '[1]', '{"a":1}', '"', "'", '\\', '/', '..', '../../etc/passwd',
  '%', '%%', '%zz', '_', '%_%', "' OR '1'='1", '1; DROP TABLE project; --', '$1', '${jndi:ldap://x}', '<script>alert(1)</script>',
  'name=~x', 'id=[1~99999999999999999999]', 'id={1 2 99999999999999999999}', 'creation_time=[-271821-04-20~]', 'a,b,,=', '=', '==',
  'constructor', '__proto__', 'toString', 'hasOwnProperty', 'repository:a\u0000:pull', 'sha256:', 'sha256:zz', `sha256:${'0'.repeat(64)}`,
] as const;

/** A string of `length` characters, repeated from a short alphabet (overlong input without megabytes of randomness). */
const overlong = (length: number, unit = 'a') => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);

/** Any hostile text: picked cases, random code units (lone surrogates included), numbers written oddly, overlong strings. */
export function hostileText(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...TEXTS) },
    { weight: 4, arbitrary: fc.constantFrom(...NUMBERS) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('\u0000', '\ud800', '\udc00', 'a', '%', '/', '=', ',', '~', '[', ']', '{', '}', ' '), maxLength: 16 }) },
    { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String) },
    { weight: 1, arbitrary: fc.double({ noNaN: false }).map(String) },
    { weight: 1, arbitrary: fc.constantFrom(300, 5_000, 12_000, 100_000).chain((length) => fc.constantFrom(overlong(length), overlong(length, '\u00e9'), overlong(length, 'a\u0000'))) },
  );
}

/** A JSON number written as its literal, so it can hold values JavaScript's JSON.stringify never writes. */
export class RawNumber {
  readonly literal: string;

  constructor(literal: string) {
    this.literal = literal;
  }

  [fc.toStringMethod](): string {
    return this.literal;
  }
}

/**
 * `[[[…leaf…]]]` (arrays and objects alternating) `depth` levels deep, written out only when
 * sent: a plain nested value would be walked recursively by whatever prints it (fast-check
 * printing a counterexample included) and exhaust the stack.
 */
export class DeepNesting {
  readonly depth: number;
  readonly leaf: string;

  constructor(depth: number, leaf: string) {
    this.depth = depth;
    this.leaf = leaf;
  }

  [fc.toStringMethod](): string {
    return `DeepNesting(${this.depth})`;
  }
}

export type HostileJson = null | boolean | string | RawNumber | DeepNesting | number | HostileJson[] | { [key: string]: HostileJson };

const JSON_NUMBERS = ['1e308', '-1e308', '1e400', '-1e400', '4.9e-324', '9223372036854775807', '9223372036854775808', '-9223372036854775809', '99999999999999999999', '2147483648', '-2147483649', '4294967296', '-1', '0', '-0', '1.5', '1E2', '123456789012345678901234567890'];

/** A hostile JSON value for one field (or a whole body). */
export function hostileJson(): fc.Arbitrary<HostileJson> {
  const leaf: fc.Arbitrary<HostileJson> = fc.oneof(
    { weight: 4, arbitrary: hostileText() },
    { weight: 4, arbitrary: fc.constantFrom(...JSON_NUMBERS).map((literal) => new RawNumber(literal)) },
    { weight: 1, arbitrary: fc.constantFrom<HostileJson>(null, true, false, [], {}, [null], { '': null }) },
    { weight: 1, arbitrary: fc.integer().map((n) => n) },
  );
  return fc.oneof(
    { weight: 8, arbitrary: leaf },
    { weight: 1, arbitrary: fc.array(leaf, { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.dictionary(hostileText().filter((key) => key.length < 64), leaf, { maxKeys: 3 }) },
    { weight: 1, arbitrary: fc.constantFrom(40, 1_000, 20_000).map((depth) => new DeepNesting(depth, 'deep')) },
    // JSON.parse makes `__proto__` an own key, as a server's parser sees it.
    { weight: 1, arbitrary: fc.constantFrom<HostileJson>(JSON.parse('{"__proto__":{"admin":true}}') as HostileJson, { constructor: { prototype: { polluted: true } } }) },
  );
}

/** Text written as it is while a value is serialised: punctuation, or a key with its colon. */
class Token {
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }
}

/** JSON text for a value with raw number literals; lone surrogates and NULs are written as `\u` escapes, as JSON allows. */
export function toJsonText(value: HostileJson): string {
  // An explicit stack: a 20,000-deep value would exhaust recursion.
  const out: string[] = [];
  const pending: (HostileJson | Token)[] = [value];
  while (pending.length > 0) {
    const item = pending.pop()!;
    if (item instanceof Token) out.push(item.text);
    else if (item instanceof RawNumber) out.push(item.literal);
    else if (item instanceof DeepNesting) {
      const levels = Array.from({ length: item.depth }, (_, i) => (i % 2 === 0 ? ['[', ']'] : ['{"a":', '}']));
      out.push(levels.map(([open]) => open).join(''), JSON.stringify(item.leaf), levels.map(([, close]) => close).reverse().join(''));
    }
    else if (Array.isArray(item)) {
      out.push('[');
      pending.push(new Token(']'));
      for (let i = item.length - 1; i >= 0; i -= 1) {
        pending.push(item[i]!);
        if (i > 0) pending.push(new Token(','));
      }
    } else if (item !== null && typeof item === 'object') {
      out.push('{');
      pending.push(new Token('}'));
      const entries = Object.entries(item);
      for (let i = entries.length - 1; i >= 0; i -= 1) {
        const [key, entry] = entries[i]!;
        pending.push(entry);
        pending.push(new Token(`${JSON.stringify(key)}:`));
        if (i > 0) pending.push(new Token(','));
      }
    } else out.push(JSON.stringify(item));
  }
  return out.join('');
}
