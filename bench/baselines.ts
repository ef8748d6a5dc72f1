/**
 * @module bench/baselines
 * Single-thread raw-operation rates measured in the same run as the system figures, so the
 * ratios stay meaningful on a noisy shared machine: noble's ristretto255 scalar
 * multiplication (any point, and the base point), BLS12-381 G1 multiplication, hash-to-G1
 * and pairings, Ed25519 signing and verification (crypto/ed25519.ts, the project's strict
 * verifier), durable SQLite commits (WAL + synchronous=FULL), and the project's two per-cast
 * checks on one core: a 3-item sealed ballot's proofs and a batched token signature.
 */
import Database from 'better-sqlite3';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '../crypto/index.ts';
import { opensslSign } from '../server/crypto-worker.ts';
import {
  DST_TOKEN, G1, G2, RP, blindToken, ed25519PublicKey, ed25519Sign, ed25519Verify, encodeElement, generateBallotKey, hashToG1,
  randomBytes, randomExponent, randomScalar, sealBallot, signBlinded, tokenHash, unblindSignature, verifySealedBallot,
  verifyToken, verifyTokensBatch, type BallotShape,
} from '../crypto/index.ts';

/** CPU-time rates (operations per CPU second of this process) of the last `rate` calls, by name. */
export const cpuRates: Record<string, number> = {};

/**
 * Operations per second of `fn` (wall clock), run for at least `minMs` and `minN` times after
 * a warm-up; the rate per CPU second of this process goes to `cpuRates[name]` when named.
 */
export function rate(fn: (i: number) => void, minN = 20, minMs = 1000, name?: string): number {
  // Warm-up (JIT, precomputed tables): at least 3 calls and 150 ms.
  for (let w = 0, t = performance.now(); w < 3 || performance.now() - t < 150; w++) fn(-1 - w);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while (n < minN || performance.now() - t0 < minMs) fn(n++);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  if (name) cpuRates[name] = (n * 1e6) / (cpu.user + cpu.system);
  return (n * 1000) / wall;
}

/** The bench ballot: 3 items × (agree, disagree, abstain), one choice each (crypto/bundle.ts ballotShape). */
export const SHAPE_3x3: BallotShape = { groups: [0, 1, 2].map(() => ({ size: 3, min: 1, max: 1 })) };
export const SELECTIONS_3x3 = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];

export function cryptoBaselines(quick: boolean) {
  const ms = quick ? 400 : 1000;
  const ring = <T>(xs: readonly T[], i: number) => xs[((i % xs.length) + xs.length) % xs.length]!;

  const rpPoint = RP.BASE.multiply(randomExponent());
  const exps = Array.from({ length: 64 }, () => randomExponent());
  const ristretto_mul_per_s = rate((i) => void rpPoint.multiply(ring(exps, i)), 20, ms, 'ristretto_mul_per_s');
  const ristretto_base_mul_per_s = rate((i) => void RP.BASE.multiply(ring(exps, i)), 20, ms, 'ristretto_base_mul_per_s');

  const P = G1.BASE.multiply(randomScalar());
  const scalars = Array.from({ length: 64 }, () => randomScalar());
  const g1_mul_per_s = rate((i) => void P.multiply(ring(scalars, i)), 20, ms, 'g1_mul_per_s');
  const msgs = Array.from({ length: 64 }, () => randomBytes(64));
  const hash_to_g1_per_s = rate((i) => void hashToG1(ring(msgs, i), DST_TOKEN), 20, ms, 'hash_to_g1_per_s');
  const Q = G2.BASE.multiply(randomScalar());
  const pairing_per_s = rate(() => void bls12_381.pairing(P, Q), 5, ms, 'pairing_per_s');

  const key = generateBallotKey();
  const items = Array.from({ length: 64 }, () => {
    const st = blindToken('b1');
    return { token: st.token, signature: unblindSignature(st, signBlinded(key.secretKey, st.blinded), key.publicKey) };
  });
  const token_verify_per_s = rate((i) => {
    const it = ring(items, i);
    if (!verifyToken(key.publicKey, 'b1', it.token, it.signature)) throw new Error('baseline token did not verify');
  }, 5, ms, 'token_verify_per_s');
  const token_batch_verify_per_s = rate(() => {
    if (!verifyTokensBatch(key.publicKey, 'b1', items)) throw new Error('baseline batch did not verify');
  }, 2, ms, 'token_batch_verify_per_s') * items.length;
  cpuRates.token_batch_verify_per_s! *= items.length;

  const sk = randomBytes(32);
  const pk = ed25519PublicKey(sk);
  const edMsgs = Array.from({ length: 64 }, () => randomBytes(200));
  const edSigs = edMsgs.map((m) => ed25519Sign(sk, m));
  const ed25519_sign_per_s = rate((i) => void ed25519Sign(sk, ring(edMsgs, i)), 20, ms, 'ed25519_sign_per_s');
  const ed25519_verify_per_s = rate((i) => {
    if (!ed25519Verify(pk, ring(edMsgs, i), ring(edSigs, i))) throw new Error('baseline Ed25519 did not verify');
  }, 20, ms, 'ed25519_verify_per_s');

  // The per-cast proof check on one core: a 3-item decision ballot (three packed groups, protocol §5.1).
  const electionKey = encodeElement(RP.BASE.multiply(randomExponent()));
  const sealed = Array.from({ length: 16 }, () => {
    const ctx = { ballotId: 'b1', electionKey, tokenHash: tokenHash('b1', randomBytes(32)) };
    return { ctx, bytes: sealBallot(ctx, SHAPE_3x3, SELECTIONS_3x3) };
  });
  const sealed_verify_per_s = rate((i) => {
    const s = ring(sealed, i);
    if (!verifySealedBallot(s.ctx, SHAPE_3x3, s.bytes)) throw new Error('baseline sealed ballot did not verify');
  }, 5, ms, 'sealed_verify_per_s');

  // The batched check (`verifySealedBallots`), where this version of crypto/sealed.ts has it.
  const batch = (core as unknown as { verifySealedBallots?: (shape: BallotShape, items: { ctx: unknown; bytes: Uint8Array }[]) => number[] }).verifySealedBallots;
  const sealed_batch_verify_per_s = batch
    ? rate(() => {
        if (batch(SHAPE_3x3, sealed).length) throw new Error('baseline sealed batch did not verify');
      }, 2, ms, 'sealed_batch_verify_per_s') * sealed.length
    : undefined;
  if (batch) cpuRates.sealed_batch_verify_per_s! *= sealed.length;

  return {
    ristretto_mul_per_s, ristretto_base_mul_per_s, g1_mul_per_s, hash_to_g1_per_s, pairing_per_s, token_verify_per_s,
    token_batch_verify_per_s, ed25519_sign_per_s, ed25519_verify_per_s, sealed_verify_per_s, sealed_batch_verify_per_s,
  };
}

/**
 * The raw operations of the backends in use (crypto/backend.ts: mcl-wasm and libsodium unless
 * PIAOJUE_CRYPTO=reference), one thread, and the project's per-cast checks on them: the
 * "floors" of docs/performance.md are priced from these CPU rates.
 */
export function backendBaselines(quick: boolean) {
  const ms = quick ? 400 : 1000;
  const ring = <T>(xs: readonly T[], i: number) => xs[((i % xs.length) + xs.length) % xs.length]!;
  const b = core.backend();
  const g = core.groupBackend() ?? core.referenceGroup;
  const msgs = Array.from({ length: 64 }, () => randomBytes(64));
  const g1 = Array.from({ length: 64 }, () => G1.BASE.multiply(randomScalar()).toBytes(true));
  const scalars = Array.from({ length: 64 }, () => randomScalar());
  const be_hash_to_g1_per_s = rate((i) => void b.hashToG1(ring(msgs, i), DST_TOKEN), 20, ms, 'be_hash_to_g1_per_s');
  const be_g1_decode_per_s = rate((i) => void b.decodeG1(ring(g1, i)), 20, ms, 'be_g1_decode_per_s');
  const handles = g1.map((p) => b.decodeG1(p));
  const weights = Array.from({ length: 64 }, () => BigInt('0x' + core.toHex(randomBytes(16))));
  const be_msm_point_per_s = rate(() => void b.msmG1(handles, weights), 5, ms, 'be_msm_point_per_s') * handles.length;
  cpuRates.be_msm_point_per_s! *= handles.length;
  const pk = b.decodeG2(G2.BASE.multiply(randomScalar()).toBytes(true));
  const be_pairing2_per_s = rate((i) => void b.pairingIsOne([{ g1: ring(handles, i), g2: b.g2Base(), negate: true }, { g1: ring(handles, i + 1), g2: pk }]), 5, ms, 'be_pairing2_per_s');
  // A device's partial signature: the blinded point decoded by the backend, then noble's constant-time multiplication.
  const be_partial_sign_per_s = rate((i) => void core.partialSign(ring(scalars, i), ring(g1, i)), 10, ms, 'be_partial_sign_per_s');

  const pts = Array.from({ length: 64 }, () => RP.BASE.multiply(randomExponent()).toBytes());
  const exps = Array.from({ length: 64 }, () => randomExponent());
  const be_ristretto_mul_per_s = rate((i) => void g.mul(ring(pts, i), ring(exps, i)), 20, ms, 'be_ristretto_mul_per_s');
  const be_ristretto_base_mul_per_s = rate((i) => void g.mulBase(ring(exps, i)), 20, ms, 'be_ristretto_base_mul_per_s');
  const be_ristretto_add_per_s = rate((i) => void g.add(ring(pts, i), ring(pts, i + 1)), 50, ms, 'be_ristretto_add_per_s');
  const be_ristretto_decode_per_s = rate((i) => void g.isElement(ring(pts, i)), 50, ms, 'be_ristretto_decode_per_s');

  const key = generateBallotKey();
  const items = Array.from({ length: 64 }, () => {
    const st = blindToken('b1');
    return { token: st.token, signature: unblindSignature(st, signBlinded(key.secretKey, st.blinded), key.publicKey) };
  });
  const be_token_batch_verify_per_s = rate(() => {
    if (!verifyTokensBatch(key.publicKey, 'b1', items)) throw new Error('baseline batch did not verify');
  }, 2, ms, 'be_token_batch_verify_per_s') * items.length;
  cpuRates.be_token_batch_verify_per_s! *= items.length;
  const electionKey = encodeElement(RP.BASE.multiply(randomExponent()));
  const sealed = Array.from({ length: 16 }, () => {
    const ctx = { ballotId: 'b1', electionKey, tokenHash: tokenHash('b1', randomBytes(32)) };
    return { ctx, bytes: sealBallot(ctx, SHAPE_3x3, SELECTIONS_3x3) };
  });
  const be_sealed_verify_per_s = rate(() => {
    if (core.verifySealedBallots(SHAPE_3x3, sealed).length) throw new Error('baseline sealed batch did not verify');
  }, 2, ms, 'be_sealed_verify_per_s') * sealed.length;
  cpuRates.be_sealed_verify_per_s! *= sealed.length;
  // Receipts: the server's workers sign with Node's OpenSSL Ed25519 (server/crypto-worker.ts).
  const sk = randomBytes(32);
  const edMsgs = Array.from({ length: 64 }, () => randomBytes(200));
  const be_receipt_sign_per_s = rate((i) => void opensslSign(sk, ring(edMsgs, i)), 20, ms, 'be_receipt_sign_per_s');
  return {
    backend: core.describeBackends(),
    be_receipt_sign_per_s,
    be_hash_to_g1_per_s, be_g1_decode_per_s, be_msm_point_per_s, be_pairing2_per_s, be_partial_sign_per_s,
    be_ristretto_mul_per_s, be_ristretto_base_mul_per_s, be_ristretto_add_per_s, be_ristretto_decode_per_s,
    be_token_batch_verify_per_s, be_sealed_verify_per_s,
  };
}

/**
 * Floors (CPU seconds per unit of work) from the backend's raw per-CPU-second rates: what the
 * same cryptographic work costs with nothing else — no HTTP, JSON, SQLite or scheduling.
 * - a cast: its token in a batch, its sealed ballot's proofs, its Ed25519 receipt;
 * - an issued token: the server's check of the blinded point, and every device's partial
 *   signature (all n devices sign every request, on the same cores here);
 * - a bundle's ballot: its token and its proofs.
 */
export function floors(devices: number) {
  const r = (k: string) => cpuRates[k]!;
  const cast = 1 / r('be_token_batch_verify_per_s') + 1 / r('be_sealed_verify_per_s') + 1 / r('be_receipt_sign_per_s');
  const issue = 1 / r('be_g1_decode_per_s') + devices / r('be_partial_sign_per_s');
  const ballot = 1 / r('be_token_batch_verify_per_s') + 1 / r('be_sealed_verify_per_s');
  return { cast_floor_cpu_ms: cast * 1000, issue_floor_cpu_ms: issue * 1000, ballot_floor_cpu_ms: ballot * 1000 };
}

export function sqliteBaselines(quick: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'piaojue-bench-sqlite-'));
  try {
    const db = new Database(join(dir, 'b.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID');
    const ins = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
    let key = 0;
    // A row the size of a stored 3-item cast (hex sealed ballot and fields, ≈ 4.2 kB).
    const value = 'x'.repeat(4200);
    const one = db.transaction(() => void ins.run(String(key++), value));
    const sqlite_commit_per_s = rate(() => one(), 100, quick ? 600 : 1500, 'sqlite_commit_per_s');
    const group = db.transaction(() => {
      for (let i = 0; i < 64; i++) ins.run(String(key++), value);
    });
    const sqlite_rows_per_s_64_per_commit = rate(() => group(), 10, quick ? 600 : 1500) * 64;
    db.close();
    return { sqlite_commit_per_s, sqlite_rows_per_s_64_per_commit };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
