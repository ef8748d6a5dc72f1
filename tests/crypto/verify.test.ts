// The v2 verifier (crypto/verify.ts, protocol §10): an honest in-memory ballot verifies and
// recounts; each tampered bundle — re-signed by the server key, so the specific check and not
// the signature must catch it — fails with exactly its code; receipts are found, or reported
// missing / for other keys; the async variant with an injected cast checker agrees.
import { describe, it, expect, beforeAll } from 'vitest';
import {
  CHECKS, RP, checkCasts, checkReceipt, encodeCiphertext, fromHex, leafHash, merkleRoot, castLeaf, signIssuanceLog, signReceipt,
  toHex, verifyBundle, verifyBundleAsync,
  type Bundle, type FailureCode, type SealedCast,
} from '../../crypto/index.ts';
import { resign, runElection, type Election } from '../helpers/election.ts';

let e: Election;
const clone = (b: Bundle) => JSON.parse(JSON.stringify(b));
const codes = (b: unknown, opts = {}) => [...new Set(verifyBundle(b, opts).failures.map((f) => f.code))];

/** Flip one hex digit at `pos` of a hex string. */
function flip(h: string, pos = 10): string {
  const c = h[pos] === '0' ? '1' : '0';
  return h.slice(0, pos) + c + h.slice(pos + 1);
}

beforeAll(() => {
  e = runElection();
});

describe('an honest bundle', () => {
  it('verifies and recounts from the decryption alone', () => {
    const r = verifyBundle(clone(e.bundle));
    expect(r.failures).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.tally!.items.map((i) => i.counts)).toEqual([
      { agree: 2, disagree: 1, abstain: 0 },
      { agree: 1, disagree: 1, abstain: 1 },
    ]);
    expect(r.tally!.cast).toBe(3);
  });
  it('verifies with t devices when the others never confirmed', () => {
    expect(verifyBundle(clone(runElection({ offline: [2] }).bundle)).ok).toBe(true);
  });
  it('an empty ballot (nobody cast) verifies with identity sums', () => {
    const empty = runElection({ votes: [null, null] });
    const r = verifyBundle(clone(empty.bundle));
    expect(r.failures).toEqual([]);
    expect(empty.bundle.sums[0]).toBe(toHex(encodeCiphertext({ alpha: RP.ZERO, beta: RP.ZERO })));
  });
  it('the async variant with an injected checker agrees, and a failing checker is MALFORMED', async () => {
    const a = await verifyBundleAsync(clone(e.bundle), async (input) => checkCasts(input));
    expect(a.ok).toBe(true);
    const bad = await verifyBundleAsync(clone(e.bundle), async () => {
      throw new Error('worker died');
    });
    expect(bad.failures.map((f) => f.code)).toEqual(['MALFORMED']);
  });
});

describe('each tamper class fails with its code', () => {
  const cases: [string, FailureCode, (b: any) => void][] = [
    ['an unknown member', 'MALFORMED', (b) => (b.extra = 1)],
    ['a ceremony ack signed over another transcript', 'CEREMONY', (b) => (b.ceremony.acks[0].transcript = flip(b.ceremony.acks[0].transcript))],
    ['a reveal changed after its commit', 'CEREMONY', (b) => (b.ceremony.reveals[1].electionCommitments[1] = b.ceremony.reveals[0].electionCommitments[1])],
    ['a token key that is not the ceremony\'s', 'PUBLIC_KEY', (b) => (b.publicKey = b.ceremony.reveals[0].tokenCommitments[0])],
    ['an election key that is not the ceremony\'s', 'ELECTION_KEY', (b) => (b.electionKey = b.ceremony.reveals[0].electionCommitments[0])],
    ['an issuance log not signed by its device', 'ISSUANCE_LOG', (b) => (b.issuanceLogs[0].signature = flip(b.issuanceLogs[0].signature))],
    ['an issuance log naming an absent member', 'ISSUANCE_LOG', (b) => (b.roster[0].present = false)],
    ['a member listed as issued more than the logs allow', 'ISSUANCE_LOG', (b) => (b.roster[4].issued = 2)],
    ['a quorum that did not hold', 'QUORUM_NOT_MET', (b) => b.roster.push(...['x1', 'x2', 'x3', 'x4', 'x5', 'x6'].map((id) => ({ memberId: id, name: id, kind: 'standing', present: false, issued: 0 })))],
    ['a repeated token', 'DUPLICATE_TOKEN', (b) => (b.ballots[1] = { ...b.ballots[0] })],
    ['casts out of token-hash order', 'BALLOT_ORDER', (b) => b.ballots.reverse()],
    ['a forged token signature', 'TOKEN_SIGNATURE', (b) => (b.ballots[0].signature = b.ballots[1].signature)],
    ['a commitment that is not the hash of its sealed ballot', 'BALLOT_HASH', (b) => (b.ballots[0].commitment = flip(b.ballots[0].commitment))],
    ['a wrong ballot proof', 'BALLOT_PROOF', (b) => (b.ballots[0].sealed = flip(b.ballots[0].sealed, 64 * 2 + 10))],
    ['a Merkle root of other casts', 'MERKLE_ROOT', (b) => (b.merkleRoot = flip(b.merkleRoot))],
    ['a doctored sum', 'ENCRYPTED_SUM', (b) => (b.sums[0] = b.sums[1])],
    ['a wrong decryption share', 'DECRYPTION_SHARE', (b) => (b.decryption[0].factors[0] = b.decryption[0].factors[1])],
    ['a doctored count', 'TALLY_MISMATCH', (b) => (b.tally.items[0].counts.agree += 1)],
    ['a wrong turnout figure', 'TALLY_MISMATCH', (b) => (b.tally.present -= 1)],
    ['a wrong outcome', 'OUTCOME_MISMATCH', (b) => (b.tally.items[0].outcome = 'passed')],
  ];
  for (const [name, code, change] of cases)
    it(`${name} → ${code}`, () => {
      const got = code === 'MALFORMED' ? codes({ ...clone(e.bundle), extra: 1 }) : codes(resign(e, change));
      expect(got).toContain(code);
    });

  it('a decision roster with a full or an alternate member → ROSTER_INCONSISTENT only (protocol §8.3)', () => {
    for (const kind of ['full', 'alternate'])
      expect(codes(resign(e, (b) => (b.roster[1].kind = kind)))).toEqual(['ROSTER_INCONSISTENT']);
    const r = verifyBundle(resign(e, (b) => (b.roster[1].kind = 'alternate')));
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]!.detail).toContain('alternate');
  });
  it('a consultation roster may hold standing, full and alternate members', () => {
    const c = runElection({ type: 'consultation' });
    const b = resign(c, (x) => {
      x.roster[1].kind = 'full';
      x.roster[2].kind = 'alternate';
    });
    expect(verifyBundle(b).failures).toEqual([]);
  });
  it('a changed field without re-signing → BUNDLE_SIGNATURE only', () => {
    const b = clone(e.bundle);
    b.ballot.title = '另一个标题';
    expect(codes(b)).toEqual(['BUNDLE_SIGNATURE']);
  });
  it('another server key than the one shown in the room → SERVER_KEY', () => {
    expect(codes(clone(e.bundle), { serverKey: '00'.repeat(32) })).toEqual(['SERVER_KEY']);
  });
  it('a cast beyond what the signed issuance logs allow → COUNT_EXCEEDS_ISSUED', () => {
    // The server shows one more cast than tokens: it drops a device's log entries and re-signs nothing
    // it could not: the logs must still verify, so it truncates them honestly (with the devices' keys it
    // does not have, it cannot) — here we play the devices to sign shorter logs, as if they issued fewer.
    const b = resign(e, (x) => {
      for (const [i, d] of e.devices.entries()) {
        const log = x.issuanceLogs[i];
        if (!log) continue;
        const entries = log.entries.slice(0, 2);
        x.issuanceLogs[i] = signIssuanceLog(x.ballot.id, d.key.index, fromHex(d.signingSecret, 32, 's'), fromHex(d.key.signingKey, 32, 'k'), entries);
      }
      for (const m of x.roster) m.issued = ['u1', 'u2'].includes(m.memberId) ? 1 : 0;
      x.tally.issued = 2;
    });
    expect(codes(b)).toContain('COUNT_EXCEEDS_ISSUED');
  });
  it('failures come back in check order', () => {
    const b = resign(e, (x) => {
      x.tally.items[0].outcome = 'passed';
      x.merkleRoot = flip(x.merkleRoot);
      x.ballots.reverse();
    });
    const got = verifyBundle(b).failures.map((f) => CHECKS.indexOf(f.code));
    expect(got).toEqual([...got].sort((a, b) => a - b));
  });
});

describe('receipts (protocol §10.2)', () => {
  it('every cast receipt is included with an audit path', () => {
    for (const r of e.receipts) expect(checkReceipt(e.bundle, r).status).toBe('included');
  });
  it('a receipt the server signed for other ballot keys (a tagged tablet) → other-keys; altered → invalid-receipt', () => {
    const { serverKey, signature: _s, ...fields } = e.receipts[0]!;
    const tagged = signReceipt(e.serverSecret, serverKey, { ...fields, publicKey: e.bundle.ceremony.reveals[0]!.tokenCommitments[0]! });
    expect(checkReceipt(e.bundle, tagged).status).toBe('other-keys');
    expect(checkReceipt(e.bundle, { ...tagged, publicKey: e.bundle.publicKey }).status).toBe('invalid-receipt');
  });
  it('a dropped cast (root recomputed) → missing for its receipt only', () => {
    const b = resign(e, (x) => {
      x.ballots.splice(0, 1);
      x.merkleRoot = toHex(merkleRoot(x.ballots.map((c: SealedCast) => leafHash(castLeaf(x.ballot.id, c)))));
    });
    const statuses = e.receipts.map((r) => checkReceipt(b, r).status);
    expect(statuses.filter((s) => s === 'missing')).toHaveLength(1);
  });
  it('a cast whose σ differs from its receipt → missing', () => {
    const b = resign(e, (x) => (x.ballots[0].signature = x.ballots[1].signature));
    const statuses = e.receipts.map((r) => checkReceipt(b, r).status);
    expect(statuses).toContain('missing');
  });
});
