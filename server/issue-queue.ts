/**
 * @module server/issue-queue
 * Group issuance: each blinded point is validated and signed on the worker pool, then the
 * issuances signed in the same moment are recorded in one transaction (one fsync), and only
 * then are the signatures released. A signature whose record is refused (ALREADY_ISSUED,
 * ballot closed meanwhile) is never sent.
 */
import { CryptoInputError } from '../crypto/index.ts';
import type { CryptoPool } from './crypto-pool.ts';
import type { Db } from './db.ts';
import { ApiError } from './errors.ts';
import { issuanceKey, recordIssuances, type IssuanceInput } from './voting.ts';

type Pending = { entry: IssuanceInput; signed: Uint8Array; resolve: (s: Uint8Array) => void; reject: (e: unknown) => void };

/** The issuance path of the API: checks, worker signing, grouped records. */
export function createIssueQueue(db: Db, pool: CryptoPool) {
  let pending: Pending[] = [];
  let scheduled = false;

  function flush(): void {
    scheduled = false;
    const batch = pending;
    pending = [];
    try {
      const outcomes = recordIssuances(db, batch.map((p) => p.entry));
      batch.forEach((p, i) => (outcomes[i] ? p.reject(outcomes[i]) : p.resolve(p.signed)));
    } catch (e) {
      for (const p of batch) p.reject(e);
    }
  }

  return {
    /** Blind-sign `blinded` for a member; resolves once the issuance is recorded durably. */
    async issue(entry: IssuanceInput): Promise<Uint8Array> {
      let signed: Uint8Array;
      try {
        signed = await pool.signBlinded(issuanceKey(db, entry.ballotId, entry.memberId), entry.blinded);
      } catch (e) {
        if (e instanceof CryptoInputError) throw new ApiError('BAD_POINT', e.message);
        throw e;
      }
      return new Promise<Uint8Array>((resolve, reject) => {
        pending.push({ entry, signed, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
