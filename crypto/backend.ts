/**
 * @module crypto/backend
 * The hot operations of the protocol behind two narrow interfaces, each with a reference and
 * a fast implementation:
 *
 * - `PairingBackend`, BLS12-381 (protocol §4.2, §4.5, §4.7): the reference is @noble/curves,
 *   the specification's own arithmetic and the fallback; the fast one is herumi's mcl compiled
 *   to WebAssembly (crypto/backend-mcl.ts);
 * - `GroupBackend`, ristretto255 over encodings (protocol §4.6, §5.3, §9.1): the fast one is
 *   libsodium compiled to WebAssembly (crypto/backend-sodium.ts). With it, sealed ballots are
 *   verified equation by equation (libsodium has no multi-scalar multiplication); without it
 *   (the reference) with noble's batched MSM. Both decide the same.
 *
 * tests/crypto/backend.test.ts proves them identical to the reference: RFC 9380 and project
 * vectors, random inputs, every invalid-point class refused with the same code, the same
 * verdict on every tampered sealed ballot.
 *
 * Only **public** data goes through a backend: decoding and validating points received on the
 * wire, hashing token messages for verification, multi-scalar multiplications with public
 * coefficients and pairing products. Multiplications by a secret scalar (a device's key share,
 * a tablet's blinding factor) stay on noble's constant-time `multiply` whatever the backend,
 * because mcl-wasm's multiplication is not documented to be constant time.
 *
 * The backends are chosen once at start-up with `useBackend`: the server, its workers and the
 * CLI verifier (`PIAOJUE_CRYPTO=reference` forces the reference there), the /verify and
 * /scrutineer pages. Until then, and wherever nobody chooses (the tablet), the reference is
 * used. crypto/ stays pure: each fast module is loaded by a dynamic import of a package that
 * embeds its WebAssembly, in Node and in the browser alike.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { pippenger } from '@noble/curves/abstract/curve.js';
import { BASE, RP, decodeElement, mulPublic } from './group.ts';
import { decodeG1, decodeG2, G1, G2, hashToG1, type G1Point, type G2Point } from './points.ts';

declare const G1Tag: unique symbol;
declare const G2Tag: unique symbol;
/** A validated G1 point in a backend's own representation. */
export type G1Handle = { readonly [G1Tag]: true };
/** A validated G2 point in a backend's own representation. */
export type G2Handle = { readonly [G2Tag]: true };

/** The hot public-data operations on BLS12-381. Every method is deterministic. */
export interface PairingBackend {
  readonly name: BackendName;
  /** Decode a compressed G1 point with every check of §4.2; refusals as points.decodeG1, same code. */
  decodeG1(bytes: Uint8Array, name?: string): G1Handle;
  /** Decode a compressed G2 point with every check of §4.2; refusals as points.decodeG2, same code. */
  decodeG2(bytes: Uint8Array, name?: string): G2Handle;
  /** The 48-byte compressed encoding (the identity encodes as 0xc0 00…00). */
  encodeG1(p: G1Handle): Uint8Array;
  /** RFC 9380 hash_to_curve, suite BLS12381G1_XMD:SHA-256_SSWU_RO_, with `dst`. */
  hashToG1(msg: Uint8Array, dst: string): G1Handle;
  /** Σ kᵢ·Pᵢ for public kᵢ in [0, r) (variable time). */
  msmG1(points: readonly G1Handle[], scalars: readonly bigint[]): G1Handle;
  isZeroG1(p: G1Handle): boolean;
  /** The same point as a noble point, for constant-time multiplication by a secret. */
  toReferenceG1(p: G1Handle): G1Point;
  /** Does Π e(Pᵢ, Qᵢ) equal 1 in GT? A term with `negate` contributes e(P, −Q). */
  pairingIsOne(pairs: readonly PairingTerm[]): boolean;
  /** The generator of G2. */
  g2Base(): G2Handle;
}

/** One factor e(P, Q) — or e(P, −Q) with `negate` — of a pairing product. */
export type PairingTerm = { readonly g1: G1Handle; readonly g2: G2Handle; readonly negate?: boolean };

/** Names of the implementations. */
export type BackendName = 'reference' | 'mcl-wasm' | 'libsodium';

/**
 * ristretto255 on canonical encodings, public data only (variable time). The identity is the
 * all-zero encoding; it may be an input or a result of `add`, `sub` and `mul`.
 */
export interface GroupBackend {
  readonly name: BackendName;
  /** Is this a canonical RFC 9496 encoding of an element other than the identity (protocol §4.6)? */
  isElement(bytes: Uint8Array): boolean;
  add(a: Uint8Array, b: Uint8Array): Uint8Array;
  sub(a: Uint8Array, b: Uint8Array): Uint8Array;
  /** k·P for an element or the identity P and a public k in [0, ℓ). */
  mul(p: Uint8Array, k: bigint): Uint8Array;
  /** k·G for a public k in [0, ℓ). */
  mulBase(k: bigint): Uint8Array;
}

// ── The reference: @noble/curves ─────────────────────────────────────────────────────────

const asG1 = (p: G1Handle) => p as unknown as G1Point;
const asG2 = (p: G2Handle) => p as unknown as G2Point;
const g1h = (p: G1Point) => p as unknown as G1Handle;
const g2h = (p: G2Point) => p as unknown as G2Handle;

/** The reference backend: @noble/curves, exactly as protocol §4 specifies it. */
export const referenceBackend: PairingBackend = Object.freeze({
  name: 'reference' as const,
  decodeG1: (bytes: Uint8Array, name?: string) => g1h(decodeG1(bytes, name)),
  decodeG2: (bytes: Uint8Array, name?: string) => g2h(decodeG2(bytes, name)),
  encodeG1: (p: G1Handle) => asG1(p).toBytes(true),
  hashToG1: (msg: Uint8Array, dst: string) => g1h(hashToG1(msg, dst)),
  msmG1: (points: readonly G1Handle[], scalars: readonly bigint[]) =>
    g1h(points.length === 0 ? G1.ZERO : pippenger(G1, points.map(asG1), [...scalars])),
  isZeroG1: (p: G1Handle) => asG1(p).is0(),
  toReferenceG1: (p: G1Handle) => asG1(p),
  pairingIsOne(pairs: readonly PairingTerm[]): boolean {
    const { Fp12 } = bls12_381.fields;
    const gt = bls12_381.pairingBatch(
      pairs.map((t) => ({ g1: asG1(t.g1), g2: t.negate ? asG2(t.g2).negate() : asG2(t.g2) })),
    );
    return Fp12.eql(gt, Fp12.ONE);
  },
  g2Base: () => g2h(G2.BASE),
});

/**
 * The reference on encodings: noble's ristretto255, decoding every operand. Slow (a square
 * root per operand); it exists so the equation-by-equation verifier can be tested on both.
 */
export const referenceGroup: GroupBackend = Object.freeze({
  name: 'reference' as const,
  isElement(bytes: Uint8Array): boolean {
    try {
      decodeElement(bytes);
      return true;
    } catch {
      return false;
    }
  },
  add: (a: Uint8Array, b: Uint8Array) => element(a).add(element(b)).toBytes(),
  sub: (a: Uint8Array, b: Uint8Array) => element(a).subtract(element(b)).toBytes(),
  mul: (p: Uint8Array, k: bigint) => mulPublic(element(p), k).toBytes(),
  mulBase: (k: bigint) => mulPublic(BASE, k).toBytes(),
});

function element(b: Uint8Array) {
  return b.every((x) => x === 0) ? RP.ZERO : decodeElement(b);
}

// ── Selection ────────────────────────────────────────────────────────────────────────────

let current: PairingBackend = referenceBackend;
let currentGroup: GroupBackend | null = null;

/** The BLS12-381 backend in use (the reference until `useBackend` chose another). */
export function backend(): PairingBackend {
  return current;
}

/** The fast ristretto255 backend in use, or null for the reference (noble, batched). */
export function groupBackend(): GroupBackend | null {
  return currentGroup;
}

/** What `useBackend` chose: `reference`, or the fast implementations that loaded. */
export type Backends = { readonly pairing: BackendName; readonly group: BackendName };

/** "mcl-wasm + libsodium", "reference", …: for start-up lines and bench reports. */
export function describeBackends(b: Backends = { pairing: current.name, group: currentGroup?.name ?? 'reference' }): string {
  return b.pairing === b.group ? b.pairing : `${b.pairing} + ${b.group}`;
}

/**
 * Choose the backends, once at start-up: `reference` (@noble/curves alone), or `fast`: each
 * fast implementation that loads here, the reference for any that does not.
 * `opts.ristretto: 'reference'` keeps noble's batched check for ristretto255 under `fast`: in
 * chromium 156, whose BigInt arithmetic is ≈ 3× Node 20's, it verifies sealed ballots twice as
 * fast as libsodium's equation-by-equation check (docs/performance.md), so the /verify page uses it.
 */
export async function useBackend(choice: 'fast' | 'reference' = 'fast', opts: { ristretto?: 'fast' | 'reference' } = {}): Promise<Backends> {
  if (choice !== 'fast' && choice !== 'reference') throw new Error(`unknown crypto backend ${String(choice)}`);
  current = referenceBackend;
  currentGroup = null;
  if (choice === 'fast') {
    try {
      const { loadMclBackend } = await import('./backend-mcl.ts');
      current = await loadMclBackend();
    } catch {
      current = referenceBackend;
    }
    if (opts.ristretto !== 'reference') {
      try {
        const { loadSodiumBackend } = await import('./backend-sodium.ts');
        currentGroup = await loadSodiumBackend();
      } catch {
        currentGroup = null;
      }
    }
  }
  return { pairing: current.name, group: currentGroup?.name ?? 'reference' };
}

/**
 * Parse the name a deployment gives (`PIAOJUE_CRYPTO`): empty or unset means `fast`.
 * @throws Error for any other name, so a typo does not silently pick a backend.
 */
export function backendChoice(value: string | undefined): 'fast' | 'reference' {
  if (value === undefined || value === '' || value === 'fast') return 'fast';
  if (value === 'reference') return value;
  throw new Error(`PIAOJUE_CRYPTO must be fast or reference, not ${JSON.stringify(value)}`);
}
