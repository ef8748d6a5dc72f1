// RFC 9380 known-answer tests for the BLS12-381 G1 hash-to-curve suite used by
// the blind BLS tokens, and for the underlying expand_message_xmd (SHA-256).
// Vector data: tests/vectors/rfc9380-*.json (see their "source" fields).
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { expand_message_xmd } from '@noble/curves/abstract/hash-to-curve.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { hashToG1 } from '../../crypto/points.ts';

interface H2CVectors {
  source: { rfc: string; repository: string; path: string; commit: string };
  ciphersuite: string;
  dst: string;
  vectors: { msg: string; P: { x: string; y: string }; u: [string, string] }[];
}

interface XmdVectors {
  source: { rfc: string; repository: string; path: string; commit: string };
  DST: string;
  tests: { msg: string; len_in_bytes: string; uniform_bytes: string }[];
}

function loadJson<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url), 'utf8')) as T;
}

const h2c = loadJson<H2CVectors>('rfc9380-BLS12381G1_XMD-SHA-256_SSWU_RO_.json');
const xmd = loadJson<XmdVectors>('rfc9380-expand_message_xmd-SHA256.json');

/** Short, readable label for a vector message (the long ones are 128 / 512 chars). */
function label(msg: string): string {
  return msg.length <= 16 ? JSON.stringify(msg) : `"${msg.slice(0, 8)}..." (${msg.length} bytes)`;
}

describe('RFC 9380 J.9.1 BLS12381G1_XMD:SHA-256_SSWU_RO_', () => {
  it('vector file is the expected suite with all five messages', () => {
    expect(h2c.ciphersuite).toBe('BLS12381G1_XMD:SHA-256_SSWU_RO_');
    expect(h2c.dst).toBe('QUUX-V01-CS02-with-BLS12381G1_XMD:SHA-256_SSWU_RO_');
    expect(h2c.vectors.map((v) => v.msg.slice(0, 4))).toEqual(['', 'abc', 'abcd', 'q128', 'a512']);
  });

  for (const v of h2c.vectors) {
    it(`hash_to_curve(${label(v.msg)}) matches RFC 9380 J.9.1`, () => {
      const P = hashToG1(utf8ToBytes(v.msg), h2c.dst);
      const { x, y } = P.toAffine();
      expect(x).toBe(BigInt(v.P.x));
      expect(y).toBe(BigInt(v.P.y));
    });
  }
});

describe('RFC 9380 K.1 expand_message_xmd(SHA-256)', () => {
  it('vector file covers len_in_bytes 0x20 and 0x80 for all five messages', () => {
    expect(xmd.DST).toBe('QUUX-V01-CS02-with-expander-SHA256-128');
    expect(xmd.tests.filter((t) => t.len_in_bytes === '0x20')).toHaveLength(5);
    expect(xmd.tests.filter((t) => t.len_in_bytes === '0x80')).toHaveLength(5);
  });

  for (const t of xmd.tests) {
    it(`expand_message_xmd(${label(t.msg)}, ${t.len_in_bytes}) matches RFC 9380 K.1`, () => {
      const lenInBytes = Number.parseInt(t.len_in_bytes, 16);
      const out = expand_message_xmd(utf8ToBytes(t.msg), utf8ToBytes(xmd.DST), lenInBytes, sha256);
      expect(out.length).toBe(lenInBytes);
      expect(bytesToHex(out)).toBe(t.uniform_bytes);
    });
  }
});
