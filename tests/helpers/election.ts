/**
 * @module tests/helpers/election
 * A whole piaojue/2 ballot played in memory with the real crypto and no server: the key
 * ceremony among n device engines (crypto/device.ts), threshold issuance to each voter
 * (crypto/voter.ts), sealed casts with receipts, the decryption shares of t devices, and the
 * assembled, signed bundle (crypto/assemble.ts). Used by the crypto tests (tamper classes,
 * receipts) and by scripts/make-vectors.ts. `resign` plays a cheating server that signs its lie.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  assembleBundle, ballotKeys, ballotShape, ceremonyStep, confirmAttendance, createDevice, decryptCasts,
  KINDS, APPROVAL_OPTIONS, finishIssuance, generateServerKey, prepareCast, selectionsOf, signBundle, signReceipt, signRequests,
  startIssuance, toHex, utf8,
  type BallotDefinition, type BallotKeys, type Bundle, type CeremonyRecord, type DeviceState, type ApprovalOption, type Receipt,
  type RosterEntry, type SealedCast, type UnsignedBundle,
} from '../../crypto/index.ts';

export type ElectionOptions = {
  readonly n?: number;
  readonly t?: number;
  /** Standing members on the roster; all present unless `absent`. */
  readonly members?: number;
  readonly absent?: number;
  readonly items?: number;
  /** One entry per present member: choices per item, or null for a member who never casts. */
  readonly votes?: readonly (readonly string[] | null)[];
  /** Devices (1-based) that take no part after the ceremony. */
  readonly offline?: readonly number[];
  readonly type?: 'decision' | 'consultation';
};

export type Election = {
  readonly bundle: Bundle;
  readonly serverSecret: Uint8Array;
  readonly receipts: readonly Receipt[];
  readonly devices: readonly DeviceState[];
  readonly keys: BallotKeys;
  readonly record: CeremonyRecord;
};

/** 32 deterministic bytes for `purpose`. */
export function derive(purpose: string): Uint8Array {
  return sha256(utf8(`piaojue test election v2/${purpose}`));
}

/** Run the ceremony among fresh device engines until every device holds its shares. */
export function runCeremony(meetingId: string, n: number, t: number): { devices: DeviceState[]; record: CeremonyRecord } {
  let devices = Array.from({ length: n }, (_, i) => createDevice(meetingId, i + 1, `监票人${i + 1}`));
  const params = { ceremonyId: 'c-test', n, t, devices: devices.map((d) => d.key) };
  const view = { params, commits: [] as never[], reveals: [] as never[], acks: [] as never[] } as {
    params: typeof params; commits: any[]; reveals: any[]; acks: any[];
  };
  for (let round = 0; round < 4; round++) {
    const out = devices.map((d) => ceremonyStep(d, view));
    devices = out.map((o) => o.state);
    for (const o of out) {
      const s = o.send as Record<string, any> | null;
      if (!s) continue;
      if (s.commit && !view.commits.some((c) => c.index === s.commit.index)) view.commits.push(s.commit);
      if (s.reveal && !view.reveals.some((c) => c.index === s.reveal.index)) view.reveals.push(s.reveal);
      if (s.ack && !view.acks.some((c) => c.index === s.ack.index)) view.acks.push(s.ack);
      if (s.complaint) throw new Error('unexpected complaint');
    }
    for (const k of ['commits', 'reveals', 'acks'] as const) view[k].sort((a, b) => a.index - b.index);
  }
  if (devices.some((d) => !d.shares)) throw new Error('ceremony did not finish');
  return { devices, record: { params, commits: view.commits, reveals: view.reveals, acks: view.acks } };
}

/** A whole ballot in memory; see the module comment. */
export function runElection(opts: ElectionOptions = {}): Election {
  const n = opts.n ?? 3;
  const t = opts.t ?? 2;
  const items = opts.items ?? 2;
  const type = opts.type ?? 'decision';
  const memberCount = opts.members ?? 5;
  const absent = opts.absent ?? 0;
  const votes = opts.votes ?? [['agree', 'agree'], ['agree', 'disagree'], ['disagree', 'abstain'], null];
  const ballotId = 'b-test';
  const { devices: dev0, record } = runCeremony('m-test', n, t);
  let devices = dev0;
  const keys = ballotKeys(record);
  const def: BallotDefinition = {
    id: ballotId, meetingId: 'm-test', title: '干部任免（测试）', type,
    items: Array.from({ length: items }, (_, i) => ({ id: `i${i + 1}`, nominee: `候选人${i + 1}`, post: `职务${i + 1}` })),
    options: ['agree', 'disagree', 'abstain'], rule: KINDS[type].defaultRule(APPROVAL_OPTIONS), params: {}, recused: [], recusedItems: [],
    round: { number: 1, previous: null },
  };
  const members = Array.from({ length: memberCount }, (_, i) => ({ memberId: `u${i + 1}`, name: `常委${i + 1}`, present: i < memberCount - absent }));
  const present = members.filter((m) => m.present).map((m) => m.memberId);
  const online = devices.filter((d) => !(opts.offline ?? []).includes(d.key.index)).map((d) => d.key.index);
  const logs = new Map<number, ReturnType<typeof confirmAttendance>['log']>();
  devices = devices.map((d) => {
    if (!online.includes(d.key.index)) return d;
    const r = confirmAttendance(d, ballotId, present);
    logs.set(d.key.index, r.log);
    return r.state;
  });
  const castKey = derive('cast key');
  const { secretKey: serverSecret, publicKey } = generateServerKey(derive('server key'));
  const serverKey = toHex(publicKey);
  const casts: SealedCast[] = [];
  const receipts: Receipt[] = [];
  const issued = new Map<string, number>();
  present.forEach((memberId, i) => {
    const st = startIssuance(ballotId);
    const partials: { index: number; partial: string }[] = [];
    devices = devices.map((d) => {
      if (!online.includes(d.key.index) || partials.length >= t) return d;
      const r = signRequests(d, ballotId, [{ ballotId, memberId, blinded: toHex(st.blinded), reissue: false }]);
      if (r.log) logs.set(d.key.index, r.log);
      partials.push(...r.partials.map((p) => ({ index: d.key.index, partial: p.partial })));
      return r.state;
    });
    issued.set(memberId, 1);
    const sigma = finishIssuance(st, partials, keys);
    const choices = votes[i] ?? null;
    if (choices === null) return;
    const prepared = prepareCast(ballotId, keys, ballotShape(def), selectionsOf(def.options as ApprovalOption[], choices), st.token, sigma, castKey);
    casts.push({ token: prepared.body.token, signature: prepared.body.signature, sealed: prepared.body.sealed, commitment: prepared.body.commitment });
    receipts.push(signReceipt(serverSecret, serverKey, prepared.expect));
  });
  const decryption = devices
    .filter((d) => online.includes(d.key.index))
    .slice(0, t)
    .map((d) => decryptCasts(d, ballotId, keys.electionKey, ballotShape(def), casts.map((c) => c.sealed)).share);
  const roster: RosterEntry[] = members.map((m) => ({ memberId: m.memberId, name: m.name, kind: 'standing', present: m.present, issued: issued.get(m.memberId) ?? 0 }));
  const bundle = assembleBundle(
    {
      ballot: def, ceremony: record, publicKey: keys.publicKey, electionKey: keys.electionKey, roster,
      issuanceLogs: Array.from({ length: n }, (_, i) => logs.get(i + 1) ?? null),
      casts, decryption,
    },
    serverSecret,
  );
  return { bundle, serverSecret, receipts, devices, keys, record };
}

/** A cheating server: change the bundle, then sign the result with the real server key. */
export function resign(e: Election, change: (b: any) => void): Bundle {
  const copy = JSON.parse(JSON.stringify(e.bundle));
  change(copy);
  const { serverSignature: _s, ...rest } = copy;
  return signBundle(rest as UnsignedBundle, e.serverSecret);
}
