/**
 * @module server/rehearse
 * A whole meeting played through the real HTTP API with real crypto: one secretary, the
 * scrutineers' devices (n and t from the scenario, default 3 and 2) and one simulated tablet
 * per member, each with its own cookie jar; casts are sent without any cookie, as a tablet
 * does. Used by `npm run rehearse` to rehearse a meeting and by the acceptance tests. The
 * scenario format is documented in docs/rehearse.md.
 */
import { checkReceipt, verifyBundle, type BallotDefinition, type Bundle } from '../crypto/index.ts';
import { ELIGIBLE_KINDS } from './ballot.ts';
import { Jar, SimulatedScrutineer, SimulatedTablet, serveWhile, settle } from './simulate.ts';

/** A rehearsal scenario (docs/rehearse.md). */
export type Scenario = {
  title: string;
  members: { name: string; kind: 'standing' | 'full' | 'alternate'; title?: string }[];
  present: string[];
  /** The scrutineers (监票人): how many devices and how many are needed; default 3 and 2. */
  scrutineers?: { n: number; t: number; names?: string[]; offline?: number[] };
  ballots: {
    type: 'decision' | 'consultation';
    title: string;
    items: (string | { nominee: string; post: string })[];
    votes: (string[] | null)[];
    rule?: Record<string, unknown>;
    recused?: string[];
  }[];
};

export type BallotReport =
  | { title: string; error: string }
  | {
      title: string; entitled: number; present: number; issued: number; cast: number; valid: number;
      items: { label: string; agree: number; disagree: number; abstain: number; outcome: string }[];
      verified: boolean; failures?: string[]; receiptsIncluded: number; bundle: string | null; bundleJson: Bundle;
    };

function itemOf(it: string | { nominee: string; post: string }): { nominee: string; post: string; label: string } {
  if (typeof it !== 'string') return { ...it, label: `${it.nominee} 拟任 ${it.post}` };
  const m = /^(.+?)\s+拟任\s+(.+)$/.exec(it);
  return m ? { nominee: m[1]!, post: m[2]!, label: it } : { nominee: it, post: '—', label: it };
}

/** The default scrutiny of a drill: three devices, any two of which suffice. */
export const DEFAULT_SCRUTINEERS = { n: 3, t: 2 } as const;

/** Run a scenario against a server at `url` whose secretary password is `password`. */
export async function rehearse(scenario: Scenario, url: string, password: string): Promise<BallotReport[]> {
  const sec = new Jar(url);
  await sec.ok('POST', '/api/secretary/login', { password });
  const { meeting } = await sec.ok('POST', '/api/meetings', { title: scenario.title });
  const { members } = await sec.ok('POST', `/api/meetings/${meeting.id}/roster`, {
    members: scenario.members.map((m) => ({ name: m.name, kind: m.kind, ...(m.title ? { title: m.title } : {}) })),
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
  for (const spec of scenario.ballots) {
    const items = spec.items.map(itemOf);
    const recused = (spec.recused ?? []).map((n) => idOf.get(n) ?? n);
    const { ballot } = await sec.ok('POST', `/api/meetings/${meeting.id}/ballots`, {
      type: spec.type, title: spec.title, items: items.map(({ nominee, post }) => ({ nominee, post })),
      ...(spec.rule ? { rule: spec.rule } : {}), ...(recused.length ? { recused } : {}),
    });
    for (const d of devices) await d.confirm(ballot.id);
    const opened = await sec.call('POST', `/api/ballots/${ballot.id}/open`);
    if (opened.status !== 200) {
      reports.push({ title: spec.title, error: opened.json.error ?? `HTTP ${opened.status}` });
      continue;
    }
    const def: Pick<BallotDefinition, 'id' | 'items' | 'options'> = { id: ballot.id, items: ballot.items, options: ['agree', 'disagree', 'abstain'] };
    const voters = scenario.members.filter(
      (m) => ELIGIBLE_KINDS[spec.type].includes(m.kind) && scenario.present.includes(m.name) && !(spec.recused ?? []).includes(m.name),
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
        const choices = spec.votes[i] ?? null;
        return choices === null ? null : (await t.cast(def, keys, tok, choices)).receipt;
      }),
    );
    await sec.ok('POST', `/api/ballots/${ballot.id}/close`);
    await settle(devices);
    const bundle = await waitForBundle(sec, ballot.id);
    const check = verifyBundle(bundle);
    const receiptsIncluded = casts.filter((r) => r && checkReceipt(bundle, r).status === 'included').length;
    const t = bundle.tally;
    reports.push({
      title: spec.title,
      entitled: t.entitled, present: t.present, issued: t.issued, cast: t.cast, valid: t.valid,
      items: t.items.map((it, i) => ({ label: items[i]!.label, agree: it.counts.agree, disagree: it.counts.disagree, abstain: it.counts.abstain, outcome: it.outcome })),
      verified: check.ok,
      ...(check.ok ? {} : { failures: check.failures.map((f) => f.code) }),
      receiptsIncluded,
      bundle: null,
      bundleJson: bundle,
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
