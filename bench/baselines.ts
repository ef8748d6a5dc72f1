/**
 * @module bench/baselines
 * Single-thread baselines measured in the same run as the system figures, so the ratios
 * the targets are stated in stay stable on a noisy machine: G1 scalar multiplication,
 * hash-to-G1, one-by-one BLS token verification (a pairing product), batched verification,
 * and durable SQLite commits (WAL + synchronous=FULL), single-row and grouped.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  G1, blindToken, generateBallotKey, hashToG1, randomScalar, signBlinded, unblindSignature, verifyToken, verifyTokensBatch,
  DST_TOKEN, randomBytes,
} from '../crypto/index.ts';

/** Operations per second of `fn`, run for at least `minMs` and `minN` times. */
export function rate(fn: (i: number) => void, minN = 20, minMs = 1000): number {
  fn(-1); // warm-up (JIT, precomputed tables)
  const t0 = performance.now();
  let n = 0;
  while (n < minN || performance.now() - t0 < minMs) fn(n++);
  return (n * 1000) / (performance.now() - t0);
}

/** A key and `n` valid signed tokens on ballot `b1`. */
export function signedTokens(n: number) {
  const key = generateBallotKey();
  const items = Array.from({ length: n }, () => {
    const st = blindToken('b1');
    return { token: st.token, signature: unblindSignature(st, signBlinded(key.secretKey, st.blinded), key.publicKey) };
  });
  return { key, items };
}

export function cryptoBaselines() {
  const P = G1.BASE.multiply(randomScalar());
  const scalars = Array.from({ length: 64 }, () => randomScalar());
  const g1_mul_per_s = rate((i) => void P.multiply(scalars[(i + 64) % 64]!));
  const msgs = Array.from({ length: 64 }, () => randomBytes(64));
  const hash_to_g1_per_s = rate((i) => void hashToG1(msgs[(i + 64) % 64]!, DST_TOKEN));
  const { key, items } = signedTokens(64);
  const pairing_verify_per_s = rate((i) => {
    const it = items[(i + 64) % 64]!;
    if (!verifyToken(key.publicKey, 'b1', it.token, it.signature)) throw new Error('baseline token did not verify');
  });
  const batch_verify_per_s = (rate(() => {
    if (!verifyTokensBatch(key.publicKey, 'b1', items)) throw new Error('baseline batch did not verify');
  }, 3) * items.length);
  return { g1_mul_per_s, hash_to_g1_per_s, pairing_verify_per_s, batch_verify_single_thread_per_s: batch_verify_per_s };
}

export function sqliteBaselines() {
  const dir = mkdtempSync(join(tmpdir(), 'piaojue-bench-sqlite-'));
  try {
    const db = new Database(join(dir, 'b.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID');
    const ins = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
    let key = 0;
    const one = db.transaction(() => void ins.run(String(key++), 'x'.repeat(300)));
    const sqlite_commit_per_s = rate(() => one(), 200, 1500);
    const group = db.transaction(() => {
      for (let i = 0; i < 64; i++) ins.run(String(key++), 'x'.repeat(300));
    });
    const sqlite_rows_per_s_64_per_commit = rate(() => group(), 20, 1500) * 64;
    db.close();
    return { sqlite_commit_per_s, sqlite_rows_per_s_64_per_commit };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
