/**
 * @module server/rehearse
 * A whole meeting played through the real HTTP API with real crypto: one secretary, the
 * scrutineers' devices (n and t from the scenario, default 3 and 2) and one simulated tablet
 * per member, each with its own cookie jar; casts are sent without any cookie, as a tablet
 * does. Used by `npm run rehearse` to rehearse a meeting and by the acceptance tests. The
 * scenario format is documented in docs/rehearse.md.
 */
import {
  COMPETENCE_GRADES, KINDS, SATISFACTION_GRADES, checkReceipt, verifyBundle,
  type Bundle, type ItemTally, type KindId, type MemberKind,
} from '../crypto/index.ts';
import { Jar, SimulatedScrutineer, SimulatedTablet, serveWhile, settle, type CastDefinition } from './simulate.ts';

/** One ballot of a scenario (docs/rehearse.md). */
export type ScenarioBallot = {
  type: KindId;
  title: string;
  /** Approval kinds: "nominee 拟任 post" or {nominee, post}; recommendation: candidate names (or {nominee, post}); evaluation: persons. */
  items: (string | { nominee: string; post: string })[];
  /**
   * One entry per present entitled member, in roster order; null: issued a token, never casts.
   * Approval kinds: an option id per item; evaluation: a grade id per item; recommendation: the
   * names of the candidates marked ([] is a blank ballot).
   */
  votes: (string[] | null)[];
  rule?: Record<string, unknown>;
  recused?: string[];
  /** Members recused from single items only: name → item indices. */
  recusedItems?: Record<string, number[]>;
  /** Recommendation: the post (拟推荐职位) and its places (职数). */
  post?: string;
  seats?: number;
  /** Evaluation: another grade set, e.g. ["satisfied", "fairly_satisfied", "dissatisfied", "unknown"]. */
  grades?: string[];
  /** The next round of an earlier ballot of this scenario (its title); `items` must be among its items. */
  roundOf?: string;
};

/** A rehearsal scenario (docs/rehearse.md). */
export type Scenario = {
  title: string;
  members: { name: string; kind: MemberKind; title?: string; category?: string }[];
  present: string[];
  /** The scrutineers (监票人): how many devices and how many are needed; default 3 and 2. */
  scrutineers?: { n: number; t: number; names?: string[]; offline?: number[] };
  ballots: ScenarioBallot[];
};

/** An item of the report: the counts by option id, and the outcome, rank or flag where the kind has one. */
export type ItemReport = { label: string; entitled: number } & Record<string, number | string | boolean | null>;

export type BallotReport =
  | { title: string; error: string }
  | {
      title: string; type: KindId; round: number; entitled: number; present: number; issued: number; cast: number; valid: number;
      items: ItemReport[];
      verified: boolean; failures?: string[]; receiptsIncluded: number; bundle: string | null; bundleJson: Bundle;
      /** Wall-clock time of this ballot, from creation to the verified bundle (ms). */
      ms: number;
    };

function itemOf(type: KindId, it: string | { nominee: string; post: string }): { nominee: string; post: string; label: string } {
  if (typeof it !== 'string') return { ...it, label: type === 'recommendation' || type === 'evaluation' ? it.nominee : `${it.nominee} 拟任 ${it.post}` };
  const m = /^(.+?)\s+拟任\s+(.+)$/.exec(it);
  return m ? { nominee: m[1]!, post: m[2]!, label: it } : { nominee: it, post: '—', label: it };
}

function itemReport(label: string, it: ItemTally, options: readonly string[]): ItemReport {
  const r: ItemReport = { label, entitled: it.entitled };
  for (const o of options) r[o] = it.counts[o]!;
  if (it.outcome !== null) r.outcome = it.outcome;
  if (it.rank !== null) r.rank = it.rank;
  if (it.flagged !== null) r.flagged = it.flagged;
  return r;
}

/** The answer a simulated tablet casts for one vote of the scenario. */
function answerOf(spec: ScenarioBallot, ballot: CastDefinition, vote: string[], recused: readonly number[]): (string | null)[] | { picked: number[] } {
  if (spec.type === 'recommendation') {
    const picked = vote.map((name) => {
      const k = ballot.items.findIndex((i) => i.nominee === name);
      if (k < 0) throw new Error(`${spec.title}: ${name} is not a candidate`);
      return k;
    });
    return { picked: picked.filter((k) => !recused.includes(k)) };
  }
  if (vote.length !== ballot.items.length) throw new Error(`${spec.title}: a vote must give one choice per item`);
  return vote.map((c, k) => (recused.includes(k) ? null : c));
}

/** The defaults of the scenario's grades or type (docs/rehearse.md). */
function optionsOf(spec: ScenarioBallot): readonly string[] | undefined {
  if (spec.type !== 'evaluation' || !spec.grades) return undefined;
  return spec.grades.join() === SATISFACTION_GRADES.join() ? SATISFACTION_GRADES : spec.grades.join() === COMPETENCE_GRADES.join() ? COMPETENCE_GRADES : spec.grades;
}

/** The default scrutiny of a drill: three devices, any two of which suffice. */
export const DEFAULT_SCRUTINEERS = { n: 3, t: 2 } as const;

/** Run a scenario against a server at `url` whose secretary password is `password`. */
export async function rehearse(scenario: Scenario, url: string, password: string): Promise<BallotReport[]> {
  const sec = new Jar(url);
  await sec.ok('POST', '/api/secretary/login', { password });
  const { meeting } = await sec.ok('POST', '/api/meetings', { title: scenario.title });
  const { members } = await sec.ok('POST', `/api/meetings/${meeting.id}/roster`, {
    members: scenario.members.map((m) => ({ name: m.name, kind: m.kind, ...(m.title ? { title: m.title } : {}), ...(m.category ? { category: m.category } : {}) })),
  });
  const { codes } = await sec.ok('POST', `/api/meetings/${meeting.id}/codes`);
  const codeOf = new Map<string, string>(codes.map((c: { name: string; code: string }) => [c.name, c.code]));
  const idOf = new Map<string, string>(members.map((m: { name: string; id: string }) => [m.name, m.id]));

  // The scrutineers sign in on their devices; the key ceremony runs among them.
  const sc: NonNullable<Scenario['scrutineers']> = scenario.scrutineers ?? DEFAULT_SCRUTINEERS;
  const names = sc.names ?? Array.from({ length: sc.n }, (_, i) => `监票人${i + 1}`);
  const named = await sec.ok('POST', `/api/meetings/${meeting.id}/scrutineers`, { t: sc.t, scrutineers: names.map((name) => ({ name })) });
  const devices = (named.codes as { code: string }[]).map((c) => new SimulatedScrutineer(url, c.code));
  for (const d of devices) await d.signIn();
  await settle(devices);

  const tablets = new Map<string, SimulatedTablet>();
  for (const name of scenario.present) {
    if (!codeOf.has(name)) throw new Error(`present member ${name} is not on the roster`);
    const tablet = new SimulatedTablet(url, name);
    await tablet.checkIn(codeOf.get(name)!);
    tablets.set(name, tablet);
  }
  // Devices the scenario takes offline after the ceremony (t of n still finish the meeting).
  for (const i of sc.offline ?? []) devices[i - 1]!.online = false;

  const reports: BallotReport[] = [];
  const ballotIdOf = new Map<string, { id: string; items: readonly { nominee: string }[] }>();
  for (const spec of scenario.ballots) {
    const t0 = performance.now();
    const items = spec.items.map((it) => itemOf(spec.type, it));
    const recused = (spec.recused ?? []).map((n) => idOf.get(n) ?? n);
    const recusedItems = Object.entries(spec.recusedItems ?? {}).map(([name, idx]) => ({ memberId: idOf.get(name) ?? name, items: idx }));
    let ballot: CastDefinition & { round: { number: number } };
    if (spec.roundOf !== undefined) {
      const prev = ballotIdOf.get(spec.roundOf);
      if (!prev) throw new Error(`${spec.title}: no earlier ballot titled ${spec.roundOf}`);
      const picked = items.map((it) => prev.items.findIndex((p) => p.nominee === it.nominee));
      if (picked.some((k) => k < 0)) throw new Error(`${spec.title}: every item must be an item of ${spec.roundOf}`);
      ({ ballot } = await sec.ok('POST', `/api/ballots/${prev.id}/next-round`, { items: picked, title: spec.title }));
    } else {
      const options = optionsOf(spec);
      ({ ballot } = await sec.ok('POST', `/api/meetings/${meeting.id}/ballots`, {
        type: spec.type, title: spec.title, items: items.map(({ nominee, post }) => ({ nominee, post })),
        ...(spec.rule ? { rule: spec.rule } : {}), ...(recused.length ? { recused } : {}), ...(recusedItems.length ? { recusedItems } : {}),
        ...(options ? { options } : {}),
        ...(spec.type === 'recommendation' ? { params: { post: spec.post ?? spec.title, seats: spec.seats ?? 1 } } : {}),
      }));
    }
    ballotIdOf.set(spec.title, { id: ballot.id, items: ballot.items });
    for (const d of devices) await d.confirm(ballot.id);
    const opened = await sec.call('POST', `/api/ballots/${ballot.id}/open`);
    if (opened.status !== 200) {
      reports.push({ title: spec.title, error: opened.json.error ?? `HTTP ${opened.status}` });
      continue;
    }
    const entitledKinds = KINDS[spec.type].entitled;
    const voters = scenario.members.filter(
      (m) => entitledKinds.includes(m.kind) && scenario.present.includes(m.name) && !(spec.recused ?? []).includes(m.name),
    );
    // Every present eligible tablet fetches its token at open, whether or not it will cast.
    const issuing = Promise.all(
      voters.map(async (m) => {
        const t = tablets.get(m.name)!;
        const keys = await t.keys(ballot.id);
        return { t, keys, tok: await t.token(ballot.id, keys) };
      }),
    );
    const tokens = await Promise.all([issuing, serveWhile(devices, issuing)]).then(([x]) => x);
    const casts = await Promise.all(
      tokens.map(async ({ t, keys, tok }, i) => {
        const vote = spec.votes[i] ?? null;
        if (vote === null) return null;
        const mine = (spec.recusedItems ?? {})[voters[i]!.name] ?? [];
        return (await t.cast(ballot, keys, tok, answerOf(spec, ballot, vote, mine))).receipt;
      }),
    );
    await sec.ok('POST', `/api/ballots/${ballot.id}/close`);
    await settle(devices);
    const bundle = await waitForBundle(sec, ballot.id);
    const check = verifyBundle(bundle);
    const receiptsIncluded = casts.filter((r) => r && checkReceipt(bundle, r).status === 'included').length;
    const t = bundle.tally;
    reports.push({
      title: spec.title, type: spec.type, round: ballot.round.number,
      entitled: t.entitled, present: t.present, issued: t.issued, cast: t.cast, valid: t.valid,
      items: t.items.map((it, i) => itemReport(itemOf(spec.type, bundle.ballot.items[i]!).label, it, bundle.ballot.options)),
      verified: check.ok,
      ...(check.ok ? {} : { failures: check.failures.map((f) => f.code) }),
      receiptsIncluded,
      bundle: null,
      bundleJson: bundle,
      ms: Math.round(performance.now() - t0),
    });
  }
  return reports;
}

/** The bundle, once the server has published it after the decryption shares came in. */
async function waitForBundle(jar: Jar, ballotId: string): Promise<Bundle> {
  for (let i = 0; i < 600; i++) {
    const r = await jar.call('GET', `/api/ballots/${ballotId}/bundle`);
    if (r.status === 200) return r.json as Bundle;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`ballot ${ballotId} was not published within 30 s`);
}
