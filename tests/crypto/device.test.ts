// The scrutineer device engine (crypto/device.ts): what a device refuses whatever the server
// asks — signing for an unconfirmed member, a second point without an approved re-issue, a
// second decryption of a ballot, a decryption under another key — and that it decrypts only a
// sum it added up itself from the sealed ballots it was shown.
import { describe, it, expect, beforeAll } from 'vitest';
import {
  approveReissue, ballotShape, confirmAttendance, decryptCasts, signRequests, startIssuance, toHex,
  type DeviceState,
} from '../../crypto/index.ts';
import { runCeremony, runElection, type Election } from '../helpers/election.ts';

let e: Election;
let devices: DeviceState[];
beforeAll(() => {
  e = runElection();
  devices = runCeremony('m-dev', 3, 2).devices;
});
const req = (memberId: string) => ({ ballotId: 'b1', memberId, blinded: toHex(startIssuance('b1').blinded), reissue: false });

describe('issuance rules on the device', () => {
  it('signs only confirmed members, once each; a re-issue needs an approval, spent only when it signs', () => {
    let d = confirmAttendance(devices[0]!, 'b1', ['u1']).state;
    let r = signRequests(d, 'b1', [req('u1'), req('u2')]);
    expect(r.partials.map((p) => p.memberId)).toEqual(['u1']);
    expect(r.refused).toEqual([{ memberId: 'u2', reason: 'not-confirmed' }]);
    expect(r.log!.entries).toEqual(['u1']);
    d = r.state;
    r = signRequests(d, 'b1', [{ ...req('u1'), reissue: true }]);
    expect(r.refused[0]!.reason).toBe('needs-approval');
    d = approveReissue(r.state, 'b1', 'u1');
    r = signRequests(d, 'b1', [{ ...req('u1'), blinded: '00'.repeat(48), reissue: true }]);
    expect(r.refused[0]!.reason).toBe('bad-point');
    r = signRequests(r.state, 'b1', [{ ...req('u1'), reissue: true }]);
    expect(r.partials).toHaveLength(1);
    expect(r.log!.entries).toEqual(['u1', 'u1']);
  });
  it('the same point again gets the same partial and no new log entry', () => {
    const d = confirmAttendance(devices[1]!, 'b2', ['u1']).state;
    const q = { ...req('u1'), ballotId: 'b2' };
    const a = signRequests(d, 'b2', [q]);
    const b = signRequests(a.state, 'b2', [q]);
    expect(b.partials[0]!.partial).toBe(a.partials[0]!.partial);
    expect(b.log!.entries).toEqual(['u1']);
  });
});

describe('decryption rules on the device', () => {
  const casts = () => e.bundle.ballots.map((c) => c.sealed);
  it('decrypts the sum it adds up itself, which is the bundle\'s sum', () => {
    const d = e.devices[0]!;
    const r = decryptCasts({ ...d, ballots: {} }, e.bundle.ballot.id, e.keys.electionKey, ballotShape(e.bundle.ballot), casts());
    expect(r.sums).toEqual(e.bundle.sums);
    expect(r.count).toBe(casts().length);
  });
  it('decrypts a ballot once: asked again, even for other casts, it gives back the same share', () => {
    const d = { ...e.devices[0]!, ballots: {} };
    const once = decryptCasts(d, e.bundle.ballot.id, e.keys.electionKey, ballotShape(e.bundle.ballot), casts());
    const again = decryptCasts(once.state, e.bundle.ballot.id, e.keys.electionKey, ballotShape(e.bundle.ballot), casts().slice(0, 1));
    expect(again.share).toEqual(once.share);
  });
  it('refuses an election key that is not its ceremony\'s', () => {
    const other = runCeremony('m-other', 3, 2).devices[0]!;
    expect(() => decryptCasts({ ...e.devices[0]!, ballots: {} }, e.bundle.ballot.id, other.electionKey!, ballotShape(e.bundle.ballot), casts())).toThrow(/not the key/);
  });
});
