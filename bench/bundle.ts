/**
 * @module bench/bundle
 * A piaojue/2 audit bundle of `n` cast ballots (3 items each) built in memory, as
 * tests/helpers/election.ts builds one, with no server: the key ceremony among three device
 * engines (t = 2), each member's token signed by two devices and sealed with the voter
 * engine, two decryption shares (each device adds up the sealed ballots itself), and the
 * signed bundle. The costly per-member steps run on the bench's worker threads (each of the
 * two signing devices on its own thread, in one batch, as a device answers the server's
 * batch of requests). Generated once per bench run and written to bench/out/ for the CLI
 * and chromium.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assembleBundle, ballotKeys, ballotShape, ceremonyStep, confirmAttendance, createDevice, decryptCasts, APPROVAL_OPTIONS, KINDS,
  generateServerKey, randomBytes, toHex,
  type BallotDefinition, type BlindingState, type Bundle, type CeremonyRecord, type DeviceState, type IssuanceLog,
  type PreparedCast, type RosterEntry, type SealedCast,
} from '../crypto/index.ts';
import type { BenchPool } from './pool.ts';
import type { TabletIssued } from './work.ts';

const OUT = join(import.meta.dirname, 'out');
const OPTIONS = ['agree', 'disagree', 'abstain'] as const;

/** The key ceremony among fresh device engines, relayed in memory (as tests/helpers/election.ts runCeremony). */
function runCeremony(meetingId: string, n: number, t: number): { devices: DeviceState[]; record: CeremonyRecord } {
  let devices = Array.from({ length: n }, (_, i) => createDevice(meetingId, i + 1, `监票人${i + 1}`));
  const params = { ceremonyId: 'c-bench', n, t, devices: devices.map((d) => d.key) };
  const view = { params, commits: [] as any[], reveals: [] as any[], acks: [] as any[] };
  for (let round = 0; round < 4; round++) {
    const out = devices.map((d) => ceremonyStep(d, view as never));
    devices = out.map((o) => o.state);
    for (const o of out) {
      const s = o.send as Record<string, any> | null;
      if (!s) continue;
      if (s.complaint) throw new Error('unexpected complaint in the bench ceremony');
      for (const [k, list] of [['commit', view.commits], ['reveal', view.reveals], ['ack', view.acks]] as const)
        if (s[k] && !list.some((c) => c.index === s[k].index)) list.push(s[k]);
    }
    for (const list of [view.commits, view.reveals, view.acks]) list.sort((a, b) => a.index - b.index);
  }
  if (devices.some((d) => !d.shares)) throw new Error('the bench ceremony did not finish');
  return { devices, record: view as unknown as CeremonyRecord };
}

export type GeneratedBundle = { bundle: Bundle; path: string; bytes: number; ms: number };

export async function generateBundle(n: number, pool: BenchPool): Promise<GeneratedBundle> {
  const t0 = performance.now();
  const ballotId = `bbench${n}`;
  const { devices: dev0, record } = runCeremony('mbench', 3, 2);
  const keys = ballotKeys(record);
  const def: BallotDefinition = {
    id: ballotId, meetingId: 'mbench', title: '民主推荐（压力测试）', type: 'consultation',
    items: [1, 2, 3].map((i) => ({ id: `i${i}`, nominee: `候选人${i}`, post: `职务${i}` })),
    options: [...APPROVAL_OPTIONS], rule: KINDS.consultation.defaultRule(APPROVAL_OPTIONS), params: {}, recused: [], recusedItems: [],
    round: { number: 1, previous: null },
  };
  const members = Array.from({ length: n }, (_, i) => ({ memberId: `u${i + 1}`, name: `委员${i + 1}` }));
  const logs = new Map<number, IssuanceLog>();
  const devices = dev0.map((d) => {
    const r = confirmAttendance(d, ballotId, members.map((m) => m.memberId));
    logs.set(d.key.index, r.log);
    return r.state;
  });

  const blinded = await pool.map<number, BlindingState>('blind', members.map((_, i) => i), { ballotId });
  const requests = members.map((m, i) => ({ ballotId, memberId: m.memberId, blinded: toHex(blinded[i]!.blinded), reissue: false }));
  // Devices 1 and 2 sign every request (t = 2); device 3 confirmed and stays idle.
  const signed = await Promise.all(
    [0, 1].map((k) => pool.one<{ state: DeviceState; partials: { memberId: string; partial: string }[]; log: IssuanceLog; refused: number }>('sign', { state: devices[k], ballotId, requests }, k)),
  );
  signed.forEach((s, k) => {
    if (s.refused || s.partials.length !== n) throw new Error(`bench device ${k + 1} refused ${s.refused} requests`);
    logs.set(k + 1, s.log);
  });
  const castKey = randomBytes(32);
  const items: TabletIssued[] = members.map((_, i) => ({
    st: blinded[i]!,
    partials: signed.map((s, k) => ({ index: k + 1, partial: s.partials[i]!.partial })),
    castKey: toHex(castKey),
    selections: [0, 1, 2].map((g) => OPTIONS.map((_, o) => (o === (i * 7 + g) % 3 ? 1 : 0))),
  }));
  const prepared = await pool.map<TabletIssued, PreparedCast>('casts', items, { ballotId, keys, shape: ballotShape(def), checkSigma: false });
  const casts: SealedCast[] = prepared.map(({ body }) => ({ token: body.token, signature: body.signature, sealed: body.sealed, commitment: body.commitment }));
  // Each decrypting device adds up the sealed ballots itself (crypto/device.ts decryptCasts).
  const decryption = signed.map((s) => decryptCasts(s.state, ballotId, keys.electionKey, ballotShape(def), casts.map((c) => c.sealed)).share);
  const roster: RosterEntry[] = members.map((m) => ({ memberId: m.memberId, name: m.name, kind: 'full', present: true, issued: 1 }));
  const { secretKey } = generateServerKey();
  const bundle = assembleBundle(
    { ballot: def, ceremony: record, publicKey: keys.publicKey, electionKey: keys.electionKey, roster, issuanceLogs: [1, 2, 3].map((i) => logs.get(i) ?? null), casts, decryption },
    secretKey,
  );
  const ms = performance.now() - t0;
  mkdirSync(OUT, { recursive: true });
  const path = join(OUT, `bundle-v2-${n}.json`);
  const text = JSON.stringify(bundle);
  writeFileSync(path, text);
  return { bundle, path, bytes: Buffer.byteLength(text), ms };
}
