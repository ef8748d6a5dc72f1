/**
 * @module server/rehearse
 * A whole meeting played through the real HTTP API with real crypto: one secretary and
 * one simulated tablet per member, each with its own cookie jar; casts and openings are
 * sent without any cookie, as a tablet does. Used by `npm run rehearse` to rehearse a
 * meeting and by the acceptance tests. The scenario format is documented in docs/rehearse.md.
 */
import {
  blindToken, commit, fromHex, newSalt, toHex, unblindSignature, verifyBundle, verifyReceipt, checkReceipt,
  type Bundle, type Receipt,
} from '../crypto/index.ts';

/** A rehearsal scenario (docs/rehearse.md). */
export type Scenario = {
  title: string;
  members: { name: string; kind: 'standing' | 'full' | 'alternate'; title?: string }[];
  present: string[];
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

/** A minimal HTTP client with its own cookie jar. */
class Jar {
  private cookies = new Map<string, string>();
  constructor(private readonly base: string, private readonly send: boolean) {}
  async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const headers: Record<string, string> = { Origin: new URL(this.base).origin };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.send && this.cookies.size) headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    for (const sc of res.headers.getSetCookie()) {
      const [kv] = sc.split(';');
      const i = kv!.indexOf('=');
      this.cookies.set(kv!.slice(0, i), kv!.slice(i + 1));
    }
    const text = await res.text();
    let json: any = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = { raw: text };
    }
    return { status: res.status, json };
  }
  async ok(method: string, path: string, body?: unknown): Promise<any> {
    const r = await this.call(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  }
}

function itemOf(it: string | { nominee: string; post: string }): { nominee: string; post: string; label: string } {
  if (typeof it !== 'string') return { ...it, label: `${it.nominee} 拟任 ${it.post}` };
  const m = /^(.+?)\s+拟任\s+(.+)$/.exec(it);
  return m ? { nominee: m[1]!, post: m[2]!, label: it } : { nominee: it, post: '—', label: it };
}

const ELIGIBLE: Record<string, string[]> = { decision: ['standing'], consultation: ['standing', 'full', 'alternate'] };

/** Run a scenario against a server at `url` whose secretary password is `password`. */
export async function rehearse(scenario: Scenario, url: string, password: string): Promise<BallotReport[]> {
  const sec = new Jar(url, true);
  await sec.ok('POST', '/api/secretary/login', { password });
  const { meeting } = await sec.ok('POST', '/api/meetings', { title: scenario.title });
  const { members } = await sec.ok('POST', `/api/meetings/${meeting.id}/roster`, {
    members: scenario.members.map((m) => ({ name: m.name, kind: m.kind, ...(m.title ? { title: m.title } : {}) })),
  });
  const { codes } = await sec.ok('POST', `/api/meetings/${meeting.id}/codes`);
  const codeOf = new Map<string, string>(codes.map((c: { name: string; code: string }) => [c.name, c.code]));
  const idOf = new Map<string, string>(members.map((m: { name: string; id: string }) => [m.name, m.id]));
  const tablets = new Map<string, Jar>();
  for (const name of scenario.present) {
    const jar = new Jar(url, true);
    if (!codeOf.has(name)) throw new Error(`present member ${name} is not on the roster`);
    await jar.ok('POST', '/api/checkin', { code: codeOf.get(name) });
    tablets.set(name, jar);
  }
  const anon = new Jar(url, false);
  const reports: BallotReport[] = [];
  for (const spec of scenario.ballots) {
    const items = spec.items.map(itemOf);
    const recused = (spec.recused ?? []).map((n) => idOf.get(n) ?? n);
    const { ballot } = await sec.ok('POST', `/api/meetings/${meeting.id}/ballots`, {
      type: spec.type, title: spec.title, items: items.map(({ nominee, post }) => ({ nominee, post })),
      ...(spec.rule ? { rule: spec.rule } : {}), ...(recused.length ? { recused } : {}),
    });
    const opened = await sec.call('POST', `/api/ballots/${ballot.id}/open`);
    if (opened.status !== 200) {
      reports.push({ title: spec.title, error: opened.json.error ?? `HTTP ${opened.status}` });
      continue;
    }
    const publicKey = fromHex(opened.json.ballot.publicKey, 96, 'publicKey');
    const voters = scenario.members.filter(
      (m) => ELIGIBLE[spec.type]!.includes(m.kind) && scenario.present.includes(m.name) && !(spec.recused ?? []).includes(m.name),
    );
    // Every present eligible tablet fetches its token at open, whether or not it will cast.
    const tokens = await Promise.all(
      voters.map(async (m) => {
        const st = blindToken(ballot.id);
        const { signed } = await tablets.get(m.name)!.ok('POST', `/api/ballots/${ballot.id}/issue`, { blinded: toHex(st.blinded) });
        return { st, signature: unblindSignature(st, fromHex(signed, 48, 'signed'), publicKey) };
      }),
    );
    const casts = await Promise.all(
      tokens.map(async ({ st, signature }, i) => {
        const choices = spec.votes[i] ?? null;
        if (choices === null) return null;
        const salt = newSalt();
        const commitment = commit(ballot.id, st.token, choices, salt);
        const { receipt } = await anon.ok('POST', `/api/ballots/${ballot.id}/cast`, { token: toHex(st.token), signature: toHex(signature), commitment: toHex(commitment) });
        if (!verifyReceipt(receipt)) throw new Error('server returned a receipt that does not verify');
        return { token: st.token, choices, salt, receipt: receipt as Receipt };
      }),
    );
    await sec.ok('POST', `/api/ballots/${ballot.id}/close`);
    await Promise.all(
      casts.map((c) => c && anon.ok('POST', `/api/ballots/${ballot.id}/openings`, { token: toHex(c.token), choices: c.choices, salt: toHex(c.salt) })),
    );
    await sec.ok('POST', `/api/ballots/${ballot.id}/finalize`);
    const bundle = (await anon.ok('GET', `/api/ballots/${ballot.id}/bundle`)) as Bundle;
    const check = verifyBundle(bundle);
    const receiptsIncluded = casts.filter((c) => c && checkReceipt(bundle, c.receipt).status === 'included').length;
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
