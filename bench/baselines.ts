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

  // The per-cast proof check on one core: a 3-item sealed ballot (9 entries, 3 sums).
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
