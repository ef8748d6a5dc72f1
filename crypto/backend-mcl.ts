/**
 * @module crypto/backend-mcl
 * The fast implementation of crypto/backend's `PairingBackend`: herumi's mcl (BSD-3-Clause)
 * compiled to WebAssembly, the npm package mcl-wasm, whose JavaScript embeds the module, so
 * the same code loads in Node and in a browser worker. Its results are byte-identical to the
 * reference (tests/crypto/backend.test.ts):
 *
 * - points use the ZCash compressed encoding (`setETHserialization(true)`), the encoding of
 *   protocol §4.2, and deserialization checks the subgroup (`verifyOrderG1/G2(true)`);
 * - hash_to_curve is RFC 9380's: `hash_to_field` (expand_message_xmd with the protocol's DST)
 *   from @noble/curves, then mcl's simplified SWU map with the 11-isogeny and cofactor
 *   clearing (`setMapToMode(IRTF)`) of each field element, and the sum;
 * - a point the fast path refuses is decoded again by the reference, which throws the code the
 *   protocol names, so refusals carry the same codes whatever the backend.
 */
import * as mcl from 'mcl-wasm';
import { hash_to_field } from '@noble/curves/abstract/hash-to-curve.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { abytes, equalBytes, toHex, utf8 } from './bytes.ts';
import type { G1Handle, G2Handle, PairingBackend, PairingTerm } from './backend.ts';
import { G1, G2, decodeG1, decodeG2, Fr, type G1Point } from './points.ts';

const P = G1.Fp.ORDER;

const m1 = (p: G1Handle) => p as unknown as mcl.G1;
const m2 = (p: G2Handle) => p as unknown as mcl.G2;
const h1 = (p: mcl.G1) => p as unknown as G1Handle;
const h2 = (p: mcl.G2) => p as unknown as G2Handle;

function bigEndian(n: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = len - 1, v = n; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

function frOf(k: bigint): mcl.Fr {
  if (typeof k !== 'bigint' || k < 0n || k >= Fr.ORDER) throw new RangeError('scalar must be in [0, r)');
  const f = new mcl.Fr();
  f.setBigEndianMod(bigEndian(k, 32));
  return f;
}

/**
 * The fast path accepts only what mcl decodes (on the curve, in the subgroup), that is not the
 * identity and that re-encodes to the very same bytes; everything else goes to the reference.
 */
function decodeWith<T extends mcl.G1 | mcl.G2>(
  make: () => T,
  len: number,
  reference: (b: Uint8Array, name?: string) => unknown,
  bytes: Uint8Array,
  name: string | undefined,
): T {
  if (bytes instanceof Uint8Array && bytes.length === len && (bytes[0]! & 0xc0) === 0x80) {
    const p = make();
    let ok = false;
    try {
      p.deserialize(bytes);
      ok = !p.isZero() && equalBytes(p.serialize(), bytes);
    } catch {
      ok = false;
    }
    if (ok) return p;
  }
  abytes(bytes, len, name ?? 'point');
  reference(bytes, name); // throws the protocol's code
  throw new Error(`crypto backends disagree on ${name ?? 'a point'}: the reference accepts what mcl-wasm refuses`);
}

/** Parse mcl's affine "1 x y" (base 16) of a normalized point. */
function affineOf(p: mcl.G1): { x: bigint; y: bigint } {
  const parts = mcl.normalize(p).getStr(16).split(' ');
  if (parts.length !== 3 || parts[0] !== '1') throw new Error('mcl-wasm: unexpected point string');
  return { x: BigInt('0x' + parts[1]), y: BigInt('0x' + parts[2]) };
}

let loaded: PairingBackend | undefined;

/** Initialise mcl-wasm for BLS12-381 with the protocol's encodings; once per thread. */
export async function loadMclBackend(): Promise<PairingBackend> {
  if (loaded) return loaded;
  await mcl.init(mcl.BLS12_381);
  mcl.setETHserialization(true);
  mcl.setMapToMode(mcl.IRTF);
  mcl.verifyOrderG1(true);
  mcl.verifyOrderG2(true);
  // G2 points recur (g2, a ballot's token key, the devices' public shares): each of the first
  // PRECOMPUTED decoded is kept with its Miller-loop lines, which saves a quarter of a pairing
  // product. Never evicted (a handle in use must stay valid), so the cache only fills.
  const PRECOMPUTED = 64;
  const known = new Map<string, mcl.G2>();
  const lines = new WeakMap<mcl.G2, mcl.PrecomputedG2>();
  const remember = (q: mcl.G2, hex: string): mcl.G2 => {
    if (known.size >= PRECOMPUTED) return q;
    known.set(hex, q);
    lines.set(q, new mcl.PrecomputedG2(q));
    return q;
  };
  const base2 = new mcl.G2();
  base2.deserialize(G2.BASE.toBytes(true));
  remember(base2, toHex(G2.BASE.toBytes(true)));
  const backend: PairingBackend = Object.freeze({
    name: 'mcl-wasm' as const,
    decodeG1: (bytes: Uint8Array, name?: string) => h1(decodeWith(() => new mcl.G1(), 48, decodeG1, bytes, name)),
    decodeG2(bytes: Uint8Array, name?: string): G2Handle {
      const hex = bytes instanceof Uint8Array && bytes.length === 96 ? toHex(bytes) : '';
      const hit = known.get(hex);
      return h2(hit ?? remember(decodeWith(() => new mcl.G2(), 96, decodeG2, bytes, name), hex));
    },
    encodeG1: (p: G1Handle) => m1(p).serialize(),
    hashToG1(msg: Uint8Array, dst: string): G1Handle {
      abytes(msg, undefined, 'message');
      const [u0, u1] = hash_to_field(msg, 2, { DST: utf8(dst), p: P, m: 1, k: 128, expand: 'xmd', hash: sha256 });
      const f0 = new mcl.Fp();
      f0.setBigEndianMod(bigEndian(u0![0]!, 48));
      const f1 = new mcl.Fp();
      f1.setBigEndianMod(bigEndian(u1![0]!, 48));
      return h1(mcl.add(f0.mapToG1(), f1.mapToG1()));
    },
    msmG1(points: readonly G1Handle[], scalars: readonly bigint[]): G1Handle {
      if (points.length !== scalars.length) throw new RangeError('msm: as many scalars as points');
      if (points.length === 0) return h1(new mcl.G1());
      return h1(mcl.mulVec(points.map(m1), scalars.map(frOf)));
    },
    isZeroG1: (p: G1Handle) => m1(p).isZero(),
    toReferenceG1(p: G1Handle): G1Point {
      if (m1(p).isZero()) return G1.ZERO;
      return G1.fromAffine(affineOf(m1(p)));
    },
    pairingIsOne(pairs: readonly PairingTerm[]): boolean {
      if (pairs.length === 0) return true;
      const terms = pairs.map((t) => ({ P: t.negate ? mcl.neg(m1(t.g1)) : m1(t.g1), Q: m2(t.g2), lines: lines.get(m2(t.g2)) }));
      let acc: mcl.GT | undefined;
      for (let i = 0; i < terms.length; i++) {
        const a = terms[i]!;
        const b = terms[i + 1];
        let ml: mcl.GT;
        if (b && a.lines && b.lines) {
          ml = mcl.precomputedMillerLoop2(a.P, a.lines, b.P, b.lines);
          i++;
        } else ml = a.lines ? mcl.precomputedMillerLoop(a.P, a.lines) : mcl.millerLoop(a.P, a.Q);
        acc = acc ? mcl.mul(acc, ml) : ml;
      }
      return mcl.finalExp(acc!).isOne();
    },
    g2Base: () => h2(base2),
  });
  loaded = backend;
  return backend;
}
