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
  answerSelections, assembleBundle, ballotKeys, ballotShape, ceremonyStep, confirmAttendance, createDevice, decryptCasts,
  KINDS, finishIssuance, generateServerKey, prepareCast, selectionsOf, signBundle, signReceipt, signRequests,
  startIssuance, toHex, utf8,
  type BallotDefinition, type BallotKeys, type Bundle, type CeremonyRecord, type DeviceState, type Item, type KindId,
  type KindParams, type MemberKind, type Receipt, type RecusedItems, type RosterEntry, type Round, type Rule,
  type SealedCast, type UnsignedBundle,
} from '../../crypto/index.ts';

export type ElectionOptions = {
  readonly n?: number;
  readonly t?: number;
  /** Members on the roster (standing unless `memberKinds` says otherwise); all present unless `absent` (the last ones). */
  readonly members?: number;
  readonly absent?: number;
  /** The number of items (named 候选人1, 候选人2, …), or the items themselves. */
  readonly items?: number | readonly Item[];
  /** One entry per present member: choices per item, or null for a member who never casts. */
  readonly votes?: readonly (readonly string[] | null)[];
  /**
   * One entry per present member, used instead of `votes` when given: the answer as the
   * selected entry indices of each group (`answerSelections`, e.g. `[[0, 3]]` for a
   * recommendation marking candidates 0 and 3, `[[1], []]` for an evaluation grading item 0
   * `competent` and leaving item 1 blank), or null for a member who never casts.
   */
  readonly answers?: readonly (readonly (readonly number[])[] | null)[];
  /** Devices (1-based) that take no part after the ceremony. */
  readonly offline?: readonly number[];
  readonly type?: KindId;
  /** The kind's option ids; default its first option set. */
  readonly options?: readonly string[];
  /** Default the kind's default rule for `options`. */
  readonly rule?: Rule;
  /** Default {} (a recommendation: {post: '拟推荐职位', seats: 1}). */
  readonly params?: KindParams;
  /** Members (ids u1, u2, …) recused from single items; default none. */
  readonly recusedItems?: readonly RecusedItems[];
  /** Default the first round. */
  readonly round?: Round;
  /** Default 'b-test' and 'm-test'. */
  readonly ballotId?: string;
  readonly meetingId?: string;
  /** Roster kind of member i (u{i+1}); default every member 'standing'. Its length is the member count unless `members` is given. */
  readonly memberKinds?: readonly MemberKind[];
  /** A finished ceremony to reuse (e.g. two rounds of one meeting); default a fresh one among n devices. */
  readonly ceremony?: { readonly devices: readonly DeviceState[]; readonly record: CeremonyRecord };
};

/** Roster names per member kind (the default, standing, keeps the names 常委1, 常委2, …). */
const KIND_NAMES: Record<MemberKind, string> = { standing: '常委', full: '委员', alternate: '候补委员', participant: '参会人员' };

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
  const memberCount = opts.members ?? opts.memberKinds?.length ?? 5;
  const absent = opts.absent ?? 0;
  const votes = opts.votes ?? [['agree', 'agree'], ['agree', 'disagree'], ['disagree', 'abstain'], null];
  const ballotId = opts.ballotId ?? 'b-test';
  const meetingId = opts.meetingId ?? 'm-test';
  const { devices: dev0, record } = opts.ceremony ?? runCeremony(meetingId, n, t);
  let devices = [...dev0];
  const keys = ballotKeys(record);
  const options = opts.options ?? KINDS[type].optionSets[0]!;
  const def: BallotDefinition = {
    id: ballotId, meetingId, title: '干部任免（测试）', type,
    items: typeof items === 'number' ? Array.from({ length: items }, (_, i) => ({ id: `i${i + 1}`, nominee: `候选人${i + 1}`, post: `职务${i + 1}` })) : items,
    options, rule: opts.rule ?? structuredClone(KINDS[type].defaultRule(options)),
    params: opts.params ?? (type === 'recommendation' ? { post: '拟推荐职位', seats: 1 } : {}),
    recused: [], recusedItems: opts.recusedItems ?? [],
    round: opts.round ?? { number: 1, previous: null },
  };
  const kindOfMember = (i: number): MemberKind => opts.memberKinds?.[i] ?? 'standing';
  const members = Array.from({ length: memberCount }, (_, i) => ({
    memberId: `u${i + 1}`, name: `${KIND_NAMES[kindOfMember(i)]}${i + 1}`, kind: kindOfMember(i), present: i < memberCount - absent,
  }));
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
    const answer = opts.answers ? (opts.answers[i] ?? null) : undefined;
    const choices = votes[i] ?? null;
    if (answer === null || (answer === undefined && choices === null)) return;
    const selections = answer ? answerSelections(def, answer) : selectionsOf(def.options, choices!);
    const prepared = prepareCast(ballotId, keys, ballotShape(def), selections, st.token, sigma, castKey);
    casts.push({ token: prepared.body.token, signature: prepared.body.signature, sealed: prepared.body.sealed, commitment: prepared.body.commitment });
    receipts.push(signReceipt(serverSecret, serverKey, prepared.expect));
  });
  const decryption = devices
    .filter((d) => online.includes(d.key.index))
    .slice(0, t)
    .map((d) => decryptCasts(d, ballotId, keys.electionKey, ballotShape(def), casts.map((c) => c.sealed)).share);
  const roster: RosterEntry[] = members.map((m) => ({ memberId: m.memberId, name: m.name, kind: m.kind, present: m.present, issued: issued.get(m.memberId) ?? 0 }));
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
