// Canonical byte encodings (crypto/encoding.ts, protocol §3): the field/message layout, and
// canonical() — deterministic whatever the key order, injective, and refusing every value
// that has no single encoding (floats, NaN, unsafe integers, undefined, lone surrogates…).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import {
  canonical, field, fields, message, toHex, u32be, utf8,
  type CanonicalValue,
} from '../../crypto/index.ts';
import { expectCode } from '../helpers/expect-code.ts';

const hexOf = (s: string) => toHex(utf8(s));

/** JSON-like values canonical() accepts: safe integers, well-formed strings, arrays, plain objects. */
const canonicalValue: fc.Arbitrary<CanonicalValue> = fc.letrec<{ value: CanonicalValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
    fc.string({ unit: 'grapheme' }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 6 }), tie('value'), { maxKeys: 4, noNullPrototype: true }),
  ),
})).value;

/** The same value with every object's keys inserted in reverse order. */
function reverseKeys(v: CanonicalValue): CanonicalValue {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, CanonicalValue> = {};
    // defineProperty, so a generated "__proto__" key stays an own data member.
    for (const k of Object.keys(v).reverse())
      Object.defineProperty(out, k, { value: reverseKeys((v as Record<string, CanonicalValue>)[k]!), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

describe('u32be / field / fields / message', () => {
  it('u32be is 4 big-endian bytes', () => {
    expect(toHex(u32be(0))).toBe('00000000');
    expect(toHex(u32be(0x01020304))).toBe('01020304');
    expect(toHex(u32be(0xffffffff))).toBe('ffffffff');
  });

  it('u32be refuses negatives, 2^32, fractions and NaN with BAD_VALUE', () => {
    for (const n of [-1, 2 ** 32, 1.5, NaN, Infinity]) expectCode(() => u32be(n), 'BAD_VALUE');
  });

  it('field(b) = u32be(len b) ‖ b', () => {
    expect(toHex(field(new Uint8Array(0)))).toBe('00000000');
    expect(toHex(field(Uint8Array.of(0xab, 0xcd)))).toBe('00000002abcd');
    expect(toHex(field(new Uint8Array(300))).slice(0, 8)).toBe('0000012c');
  });

  it('field refuses a non-Uint8Array with BAD_TYPE', () => expectCode(() => field('ab' as unknown as Uint8Array), 'BAD_TYPE'));

  it('fields concatenates fields, so a split point cannot move', () => {
    expect(toHex(fields(Uint8Array.of(1), Uint8Array.of(2, 3)))).toBe('0000000101' + '000000020203');
    expect(fields(Uint8Array.of(1, 2), Uint8Array.of(3))).not.toEqual(fields(Uint8Array.of(1), Uint8Array.of(2, 3)));
  });

  it('message(dst, …) puts the UTF-8 DST first as a field', () => {
    expect(toHex(message('AB', Uint8Array.of(0xff)))).toBe('00000002' + hexOf('AB') + '00000001ff');
    expect(toHex(message('票'))).toBe('00000003e7a5a8');
  });

  it('message refuses a DST with a lone surrogate (BAD_VALUE)', () => expectCode(() => message('\ud800'), 'BAD_VALUE'));
});

describe('canonical layout', () => {
  it('encodes each kind with its tag', () => {
    expect(toHex(canonical(null))).toBe('6e');
    expect(toHex(canonical(true))).toBe('74');
    expect(toHex(canonical(false))).toBe('66');
    expect(toHex(canonical(1))).toBe('69' + '0000000000000001');
    expect(toHex(canonical(-1))).toBe('69' + 'ffffffffffffffff');
    expect(toHex(canonical(Number.MAX_SAFE_INTEGER))).toBe('69' + '001fffffffffffff');
    expect(toHex(canonical('ab'))).toBe('73' + '00000002' + '6162');
    expect(toHex(canonical([]))).toBe('61' + '00000000');
    expect(toHex(canonical([null, 'a']))).toBe('61' + '00000002' + '6e' + '73' + '0000000161');
    expect(toHex(canonical({}))).toBe('6f' + '00000000');
    expect(toHex(canonical({ b: true, a: null }))).toBe('6f' + '00000002' + '0000000161' + '6e' + '0000000162' + '74');
  });

  it('sorts keys by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF61 is EF BD A1 in UTF-8, U+1F600 is F0 9F 98 80; in UTF-16 the surrogate D83D sorts first.
    const enc = toHex(canonical({ '\u{1f600}': 1, '\uff61': 2 }));
    expect(enc.indexOf(hexOf('\uff61'))).toBeLessThan(enc.indexOf(hexOf('\u{1f600}')));
  });

  it('encodes -0 as 0', () => expect(canonical(-0)).toEqual(canonical(0)));

  it('encodes a value of 300 000 parts (a large bundle) without exhausting the stack', () => {
    const enc = canonical(new Array(300_000).fill(null));
    expect(enc.length).toBe(5 + 300_000);
    expect(toHex(enc.subarray(0, 6))).toBe('61' + '000493e0' + '6e');
  });
});

describe('canonical properties', () => {
  it('is deterministic whatever the key insertion order (property)', () => {
    fc.assert(
      fc.property(canonicalValue, (v) => {
        expect(canonical(reverseKeys(v))).toEqual(canonical(v));
      }),
      { numRuns: 300 },
    );
  });

  it('is injective: equal encodings iff deeply equal values (property)', () => {
    fc.assert(
      fc.property(canonicalValue, canonicalValue, (a, b) => {
        expect(toHex(canonical(a)) === toHex(canonical(b))).toBe(isDeepStrictEqual(a, b));
      }),
      { numRuns: 300 },
    );
  });

  it('distinguishes values JSON.stringify-like encodings confuse', () => {
    const pairs: [CanonicalValue, CanonicalValue][] = [
      ['1', 1], [[], {}], [null, 'null'], [true, 'true'], [['a', 'b'], ['ab']], [{ a: 'b' }, ['a', 'b']], [[[]], [[], []]],
    ];
    for (const [a, b] of pairs) expect(canonical(a)).not.toEqual(canonical(b));
  });
});

describe('canonical refusals (BAD_VALUE)', () => {
  const bad: [string, unknown][] = [
    ['a float', 1.5],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['2^53', 2 ** 53],
    ['-(2^53)', -(2 ** 53)],
    ['undefined', undefined],
    ['a bigint', 1n],
    ['a symbol', Symbol('s')],
    ['a function', () => 1],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a Uint8Array', new Uint8Array(1)],
    ['a null-prototype object', Object.create(null)],
    ['a lone high surrogate', '\ud800'],
    ['a lone low surrogate', 'a\udc00b'],
    ['reversed surrogates', '\udc00\ud800'],
    ['an undefined member', { a: undefined }],
    ['a key with a lone surrogate', { '\ud800': 1 }],
    ['a float inside an array', [1, [2.5]]],
    ['a float inside an object', { a: { b: 0.1 } }],
    ['an array nested 70 deep', JSON.parse('['.repeat(70) + ']'.repeat(70))],
  ];
  for (const [name, v] of bad) it(`refuses ${name}`, () => expectCode(() => canonical(v as CanonicalValue), 'BAD_VALUE'));

  it('accepts a well-formed surrogate pair', () => expect(() => canonical('\ud83d\ude00')).not.toThrow());

  it('refuses every non-integer number (property)', () => {
    fc.assert(
      fc.property(fc.double(), (x) => {
        fc.pre(!Number.isSafeInteger(x));
        expectCode(() => canonical({ x }), 'BAD_VALUE');
      }),
      { numRuns: 200 },
    );
  });
});
