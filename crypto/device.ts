/**
 * @module crypto/device
 * A scrutineer (监票人) device's decisions, as pure functions over a JSON state the device
 * keeps in its own storage (protocol §4.7–§4.10, §9.2). The browser page (client/scrutineer)
 * and the Node drill (server/rehearse.ts) are thin shells around it: they fetch what the
 * server relays, call these functions, store the new state **before** they send anything,
 * then post the messages. The state holds the device's secrets (its keys, its dealer
 * polynomials until round 3, its key shares); nothing in it ever goes to the server.
 *
 * The rules a device enforces, whatever the server asks:
 *  - it deals, reveals and acknowledges once per ceremony, and erases its polynomials once it
 *    holds its shares;
 *  - it signs a blinded point only for a member its scrutineer confirmed present on that
 *    ballot, once per member, plus re-issues its scrutineer approved; the same point again
 *    gets the same partial and no new log entry;
 *  - it decrypts a closed ballot once, only under its own ceremony's election key, and only
 *    sums it added up itself from the sealed ballots it was shown.
 */
import { fromHex, toHex } from './bytes.ts';
import {
  dealerCommit, dealerReveal, generateDeviceKey, receiveShares,
  type CeremonyAck, type CeremonyCommit, type CeremonyComplaint, type CeremonyParams, type CeremonyReveal,
  type DealerState, type DeviceKey,
} from './ceremony.ts';
import { decryptionShare, encodeDecryptionShare } from './decryption.ts';
import { refuse } from './errors.ts';
import { RP, decodeExponent, elementFromHex, elementToHex, encodeExponent } from './group.ts';
import { signIssuanceLog, type IssuanceLog } from './issuance-log.ts';
import { decodeScalar, encodeScalar } from './points.ts';
import { encodeCiphertext, sumSealedBallots, type BallotShape } from './sealed.ts';
import { partialSign } from './threshold.ts';
import { sha256 } from '@noble/hashes/sha2.js';

/** What a device remembers of one ballot. */
export type DeviceBallot = {
  /** Members the scrutineer confirmed present and entitled (清点人数). */
  readonly confirmed: readonly string[];
  /** The device's issuance log: member ids it signed for, in order. */
  readonly log: readonly string[];
  /** Re-issues the scrutineer approved, per member (how many more signatures). */
  readonly approved: Readonly<Record<string, number>>;
  /** Blinded points already signed (SHA-256 hex), per member: the same one again gets the same answer. */
  readonly signed: Readonly<Record<string, readonly string[]>>;
  readonly decrypted: boolean;
  /** The decryption share once made, to send again if it was lost on the way (never a second one). */
  readonly share?: ReturnType<typeof encodeDecryptionShare>;
};

/** Everything a device keeps (JSON; secrets as hex). */
export type DeviceState = {
  readonly v: 1;
  readonly meetingId: string;
  readonly key: DeviceKey;
  readonly signingSecret: string;
  readonly encryptionSecret: string;
  readonly ceremonyId: string | null;
  /** Round-1 state until the shares are in (then erased). */
  readonly dealer: SerializedDealer | null;
  readonly shares: { readonly token: string; readonly election: string } | null;
  /** The ack sent in round 3, to send again if the server lost it. */
  readonly ack: CeremonyAck | null;
  /** The ceremony's joint election key (hex), the only key this device decrypts for. */
  readonly electionKey: string | null;
  readonly failure: string | null;
  readonly ballots: Readonly<Record<string, DeviceBallot>>;
};

type SerializedDealer = {
  readonly ceremonyId: string;
  readonly tokenCoefficients: readonly string[];
  readonly electionCoefficients: readonly string[];
  readonly tokenCommitments: readonly string[];
  readonly electionCommitments: readonly string[];
  readonly commit: CeremonyCommit;
};

/** A fresh device: new Ed25519 and ristretto255 key pairs for scrutineer `index` of a meeting. */
export function createDevice(meetingId: string, index: number, name: string): DeviceState {
  const { key, secret } = generateDeviceKey(index, name);
  return {
    v: 1, meetingId, key,
    signingSecret: toHex(secret.signingSecret),
    encryptionSecret: toHex(encodeExponent(secret.encryptionSecret)),
    ceremonyId: null, dealer: null, shares: null, ack: null, electionKey: null, failure: null, ballots: {},
  };
}

function secretOf(s: DeviceState) {
  return { signingSecret: fromHex(s.signingSecret, 32, 'signing secret'), encryptionSecret: decodeExponent(fromHex(s.encryptionSecret, 32, 'encryption secret'), 'encryption secret', true) };
}

function dealerOf(s: DeviceState): DealerState {
  const d = s.dealer!;
  return {
    ceremonyId: d.ceremonyId,
    index: s.key.index,
    secret: secretOf(s),
    tokenCoefficients: d.tokenCoefficients.map((h) => decodeScalar(fromHex(h, 32, 'coefficient'))),
    electionCoefficients: d.electionCoefficients.map((h) => decodeExponent(fromHex(h, 32, 'coefficient'))),
    tokenCommitments: d.tokenCommitments,
    electionCommitments: d.electionCommitments,
    commit: d.commit,
  };
}

/** The ceremony as the server relays it. */
export type CeremonyView = {
  readonly params: CeremonyParams | null;
  readonly commits: readonly CeremonyCommit[];
  readonly reveals: readonly CeremonyReveal[];
  readonly acks: readonly CeremonyAck[];
};

/** What a device sends in a ceremony round. */
export type CeremonyMessage = { commit: CeremonyCommit } | { reveal: CeremonyReveal } | { ack: CeremonyAck } | { complaint: CeremonyComplaint };

/**
 * The device's next ceremony step (protocol §4.8), or none: deal (round 1) when the
 * parameters name this device with its own keys; reveal (round 2) once all n commits are in;
 * check its shares (round 3) once all n reveals are in — acknowledging the transcript, or
 * complaining about the dealer whose share is bad. Never twice for the same ceremony.
 */
export function ceremonyStep(state: DeviceState, view: CeremonyView): { state: DeviceState; send: CeremonyMessage | null } {
  const p = view.params;
  if (!p || state.failure) return { state, send: null };
  const me = p.devices[state.key.index - 1];
  if (!me || me.signingKey !== state.key.signingKey || me.encryptionKey !== state.key.encryptionKey)
    return { state: { ...state, failure: 'the ceremony does not list this device with its keys' }, send: null };
  if (state.ceremonyId !== p.ceremonyId) {
    // A new ceremony (e.g. after a failed one): deal afresh.
    const { state: dealer, message } = dealerCommit(p, state.key.index, secretOf(state));
    const ser: SerializedDealer = {
      ceremonyId: p.ceremonyId,
      tokenCoefficients: dealer.tokenCoefficients.map((x) => toHex(encodeScalar(x))),
      electionCoefficients: dealer.electionCoefficients.map((x) => toHex(encodeExponent(x))),
      tokenCommitments: dealer.tokenCommitments,
      electionCommitments: dealer.electionCommitments,
      commit: message,
    };
    return { state: { ...state, ceremonyId: p.ceremonyId, dealer: ser, shares: null, ack: null, electionKey: null }, send: { commit: message } };
  }
  if (state.shares) {
    const acked = view.acks.some((a) => a.index === state.key.index);
    return { state, send: acked || !state.ack ? null : { ack: state.ack } };
  }
  if (!state.dealer) return { state, send: null };
  const mine = view.commits.find((c) => c.index === state.key.index);
  if (!mine) return { state, send: { commit: state.dealer.commit } }; // the server lost it: send again
  if (view.commits.length < p.n) return { state, send: null };
  const dealer = dealerOf(state);
  if (!view.reveals.some((r) => r.index === state.key.index)) return { state, send: { reveal: dealerReveal(p, dealer, view.commits) } };
  if (view.reveals.length < p.n) return { state, send: null };
  const r = receiveShares(p, dealer, view.commits, view.reveals);
  if (!r.ok) {
    const failure = `device ${r.failure.against}: ${r.failure.reason}`;
    return { state: { ...state, failure }, send: r.complaint ? { complaint: r.complaint } : null };
  }
  return {
    state: { ...state, dealer: null, ack: r.ack, electionKey: jointElectionKey(view.reveals), shares: { token: toHex(encodeScalar(r.shares.tokenShare)), election: toHex(encodeExponent(r.shares.electionShare)) } },
    send: { ack: r.ack },
  };
}

/** Σ_i E_i0 over the reveals: the joint election key (protocol §4.8). */
function jointElectionKey(reveals: readonly CeremonyReveal[]): string {
  return elementToHex(reveals.reduce((acc, r) => acc.add(elementFromHex(r.electionCommitments[0], 'election commitment')), RP.ZERO));
}

function ballotOf(state: DeviceState, ballotId: string): DeviceBallot {
  return state.ballots[ballotId] ?? { confirmed: [], log: [], approved: {}, signed: {}, decrypted: false };
}

function signLog(state: DeviceState, ballotId: string, entries: readonly string[]): IssuanceLog {
  return signIssuanceLog(ballotId, state.key.index, fromHex(state.signingSecret, 32, 'signing secret'), fromHex(state.key.signingKey, 32, 'signing key'), entries);
}

/**
 * The scrutineer confirms the attendance list of a ballot (监票人清点人数): from now on the
 * device signs for these members only. Returns the signed count-0 log (or the current log if it
 * already signed for some), which the server records as the confirmation.
 */
export function confirmAttendance(state: DeviceState, ballotId: string, members: readonly string[]): { state: DeviceState; log: IssuanceLog } {
  const b = ballotOf(state, ballotId);
  const confirmed = [...new Set([...b.confirmed, ...members])];
  const next = { ...state, ballots: { ...state.ballots, [ballotId]: { ...b, confirmed } } };
  return { state: next, log: signLog(next, ballotId, b.log) };
}

/** The scrutineer approves one more token for a member (re-issue to a lost tablet). */
export function approveReissue(state: DeviceState, ballotId: string, memberId: string): DeviceState {
  const b = ballotOf(state, ballotId);
  return { ...state, ballots: { ...state.ballots, [ballotId]: { ...b, approved: { ...b.approved, [memberId]: (b.approved[memberId] ?? 0) + 1 } } } };
}

/** An issuance request as relayed by the server. */
export type IssuanceRequest = { readonly ballotId: string; readonly memberId: string; readonly blinded: string; readonly reissue: boolean };

/** Why a request was not signed. */
export type Refusal = { readonly memberId: string; readonly reason: 'not-confirmed' | 'already-issued' | 'needs-approval' | 'bad-point' | 'no-shares' };

/**
 * Sign what may be signed among one ballot's requests (protocol §4.7): for a confirmed member,
 * the first blinded point; another one only against an approved re-issue; a point already
 * signed again without a new log entry. Returns the partials, the newly signed log and the refusals.
 */
export function signRequests(
  state: DeviceState,
  ballotId: string,
  requests: readonly IssuanceRequest[],
): { state: DeviceState; partials: { memberId: string; blinded: string; partial: string }[]; log: IssuanceLog | null; refused: Refusal[] } {
  if (!state.shares) return { state, partials: [], log: null, refused: requests.map((r) => ({ memberId: r.memberId, reason: 'no-shares' })) };
  const share = decodeScalar(fromHex(state.shares.token, 32, 'token share'));
  const b = ballotOf(state, ballotId);
  const log = [...b.log];
  const signed: Record<string, readonly string[]> = { ...b.signed };
  const approved: Record<string, number> = { ...b.approved };
  const partials: { memberId: string; blinded: string; partial: string }[] = [];
  const refused: Refusal[] = [];
  for (const r of requests) {
    if (r.ballotId !== ballotId) continue;
    if (!b.confirmed.includes(r.memberId)) {
      refused.push({ memberId: r.memberId, reason: 'not-confirmed' });
      continue;
    }
    let blinded: Uint8Array;
    try {
      blinded = fromHex(r.blinded, 48, 'blinded');
    } catch {
      refused.push({ memberId: r.memberId, reason: 'bad-point' });
      continue;
    }
    const h = toHex(sha256(blinded));
    const before = signed[r.memberId] ?? [];
    const again = before.includes(h);
    const reissue = !again && before.length > 0;
    if (reissue && (approved[r.memberId] ?? 0) < 1) {
      refused.push({ memberId: r.memberId, reason: r.reissue ? 'needs-approval' : 'already-issued' });
      continue;
    }
    let partial: Uint8Array;
    try {
      partial = partialSign(share, blinded);
    } catch {
      refused.push({ memberId: r.memberId, reason: 'bad-point' });
      continue;
    }
    if (reissue) approved[r.memberId] = approved[r.memberId]! - 1;
    if (!again) {
      signed[r.memberId] = [...before, h];
      log.push(r.memberId);
    }
    partials.push({ memberId: r.memberId, blinded: r.blinded, partial: toHex(partial) });
  }
  const changed = log.length !== b.log.length;
  const next = { ...state, ballots: { ...state.ballots, [ballotId]: { ...b, log, signed, approved } } };
  return { state: next, partials, log: partials.length || changed ? signLog(next, ballotId, log) : null, refused };
}

/**
 * The device's decryption share of a closed ballot (protocol §9.2), once per ballot. The device
 * does not take the sums from the server: it adds up the sealed ballots it is shown itself
 * (`casts`, the wire hex of each), so a server cannot have it decrypt a single ballot dressed
 * up as a sum; the count it returns is what its page shows for the scrutineer to compare with
 * the room (收回票数). Asked again, it gives back its first share (never a decryption of other
 * casts); any election key but the one of its own ceremony is refused.
 */
export function decryptCasts(
  state: DeviceState, ballotId: string, electionKey: string, shape: BallotShape, casts: readonly string[],
): { state: DeviceState; share: ReturnType<typeof encodeDecryptionShare>; sums: string[]; count: number } {
  if (!state.shares || !state.electionKey) refuse('BAD_VALUE', 'this device holds no key share');
  if (electionKey !== state.electionKey) refuse('BAD_VALUE', 'the election key is not the key of this device\'s ceremony');
  const b = ballotOf(state, ballotId);
  // Once per ballot: asked again (its share was lost on the way), it sends the same share, which
  // checks only against the sum of the same casts; it never decrypts another set of ballots.
  if (b.decrypted) {
    if (!b.share) refuse('BAD_VALUE', 'this device already decrypted this ballot');
    return { state, share: b.share, sums: [], count: casts.length };
  }
  const x = decodeExponent(fromHex(state.shares.election, 32, 'election share'), 'election share', true);
  const sums = sumSealedBallots(shape, casts.map((h, i) => fromHex(h, undefined, `casts[${i}]`)));
  const share = decryptionShare({ ballotId, electionKey: fromHex(electionKey, 32, 'electionKey') }, state.key.index, x, sums);
  const published = encodeDecryptionShare(share);
  return {
    state: { ...state, ballots: { ...state.ballots, [ballotId]: { ...b, decrypted: true, share: published } } },
    share: published,
    sums: sums.map((c) => toHex(encodeCiphertext(c))),
    count: casts.length,
  };
}

/** Forget a ballot's issuance bookkeeping once it is published (the log is in the bundle). */
export function forgetBallot(state: DeviceState, ballotId: string): DeviceState {
  const { [ballotId]: _gone, ...rest } = state.ballots;
  return { ...state, ballots: rest };
}
