// RFC 9496 known-answer tests for the ristretto255 boundary (crypto/group.ts decodeElement,
// protocol §4.6): the multiples of the generator (§A.1) decode and re-encode (the identity is
// refused, as piaojue never accepts it), every bad encoding of §A.2 is refused with the code
// its class maps to, and the outputs of §A.3 (element derivation, not used by piaojue) are valid
// encodings. Vector data: tests/vectors/rfc9496.json (see its "source").
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { ristretto255_hasher } from '@noble/curves/ed25519.js';
import { BASE, RP, decodeElement, encodeElement, fromHex, mulPublic, toHex } from '../../crypto/index.ts';
import { expectCode } from '../helpers/expect-code.ts';

type Rfc9496 = {
  source: { document: string; transcribed_from: string; note: string };
  multiples: string[];
  badEncodings: { reason: string; encodings: string[] }[];
  uniformBytes: { input: string; output: string }[];
};
const rfc = JSON.parse(readFileSync(new URL('../vectors/rfc9496.json', import.meta.url), 'utf8')) as Rfc9496;
const bytes = (h: string) => fromHex(h, undefined, 'vector');

/** What decodeElement answers for each class of RFC 9496 §A.2 (protocol §4.6). */
const CODE: Record<string, 'POINT_NOT_CANONICAL' | 'POINT_NOT_ON_CURVE'> = {
  'non-canonical field encoding': 'POINT_NOT_CANONICAL',
  'negative field element': 'POINT_NOT_CANONICAL',
  'non-square x²': 'POINT_NOT_ON_CURVE',
  'negative xy': 'POINT_NOT_ON_CURVE',
  's = −1 (y = 0)': 'POINT_NOT_ON_CURVE',
};

describe('RFC 9496 §A.1 multiples of the generator', () => {
  it('has the 16 encodings 0·G … 15·G, and the file names its source', () => {
    expect(rfc.multiples).toHaveLength(16);
    expect(rfc.source.document).toContain('RFC 9496');
    expect(rfc.multiples[1]).toBe(toHex(encodeElement(BASE)));
  });
  it('refuses 0·G, the identity, with POINT_IDENTITY', () => {
    expectCode(() => decodeElement(bytes(rfc.multiples[0]!)), 'POINT_IDENTITY');
    expect(toHex(encodeElement(RP.ZERO))).toBe(rfc.multiples[0]);
  });
  for (let k = 1; k < 16; k++)
    it(`decodes ${k}·G, which re-encodes to the same bytes and equals ${k}·G`, () => {
      const e = decodeElement(bytes(rfc.multiples[k]!));
      expect(toHex(encodeElement(e))).toBe(rfc.multiples[k]);
      expect(e.equals(mulPublic(BASE, BigInt(k)))).toBe(true);
    });
});

describe('RFC 9496 §A.2 invalid encodings', () => {
  it('covers the five classes of the RFC, 29 encodings in all', () => {
    expect(rfc.badEncodings.map((c) => c.reason)).toEqual(Object.keys(CODE));
    expect(rfc.badEncodings.reduce((n, c) => n + c.encodings.length, 0)).toBe(29);
  });
  for (const c of rfc.badEncodings)
    for (const enc of c.encodings)
      it(`refuses ${enc.slice(0, 16)}… (${c.reason}) with ${CODE[c.reason]}`, () => {
        expectCode(() => decodeElement(bytes(enc)), CODE[c.reason]!);
        expect(() => RP.fromBytes(bytes(enc))).toThrow(); // the library refuses it too
      });
});

describe('RFC 9496 §A.3 element derivation (not used by piaojue)', () => {
  for (const v of rfc.uniformBytes)
    it(`the output ${v.output.slice(0, 16)}… is a valid encoding, and noble derives it from its input`, () => {
      expect(toHex(encodeElement(decodeElement(bytes(v.output))))).toBe(v.output);
      expect(toHex(ristretto255_hasher.deriveToCurve!(bytes(v.input)).toBytes())).toBe(v.output);
    });
});
