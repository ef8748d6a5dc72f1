/**
 * `npx tsx bench/drills.ts [DIR]` — writes the two drill scenarios of issue 10 (docs/rehearse.md
 * format) into DIR (default docs/scenarios/), deterministically (a fixed seed), so anyone can
 * rehearse them with `npm run rehearse -- docs/scenarios/recommendation-500.json`:
 *   - recommendation-500.json: a 500-participant democratic recommendation meeting (民主推荐大会)
 *     with four categories, two posts (two ballots) and a second round (两推) of the first post
 *     restricted to its leading candidates;
 *   - evaluation-50.json: 50 participants evaluate 8 cadres (民主测评), one grade each.
 * The votes are drawn from fixed preferences, so the counts differ per candidate and include
 * ties and blank ballots.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Scenario } from '../server/rehearse.ts';

/** A small deterministic PRNG (mulberry32): the same scenario on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国文斌宇浩凯健俊帆';

/** n distinct Chinese names. */
function names(n: number, rnd: () => number): string[] {
  const out = new Set<string>();
  while (out.size < n) {
    const s = SURNAMES[Math.floor(rnd() * SURNAMES.length)]!;
    const g = Array.from({ length: 1 + Math.floor(rnd() * 2) }, () => GIVEN[Math.floor(rnd() * GIVEN.length)]!).join('');
    out.add(s + g);
  }
  return [...out];
}

/** Pick up to `k` of `candidates`, each with its own weight; sometimes none (a blank ballot). */
function pick(candidates: readonly string[], weights: readonly number[], k: number, rnd: () => number): string[] {
  if (rnd() < 0.03) return [];
  const chosen: string[] = [];
  const pool = candidates.map((c, i) => ({ c, w: weights[i]! }));
  const want = rnd() < 0.85 ? k : 1 + Math.floor(rnd() * k);
  while (chosen.length < want && pool.length) {
    const total = pool.reduce((s, p) => s + p.w, 0);
    let x = rnd() * total;
    const i = pool.findIndex((p) => (x -= p.w) <= 0);
    chosen.push(pool.splice(i < 0 ? pool.length - 1 : i, 1)[0]!.c);
  }
  return chosen;
}

export function recommendationScenario(): Scenario {
  const rnd = prng(500);
  const categories = [['县级领导干部', 40], ['乡镇党政正职', 120], ['县直部门主要负责人', 140], ['群众代表', 200]] as const;
  const all = names(500 + 12, rnd);
  const people = all.slice(0, 500);
  const members = people.map((name, i) => {
    let c = i;
    const cat = categories.find(([, n]) => (c -= n) < 0)![0];
    return { name, kind: 'participant' as const, title: cat === '群众代表' ? '群众代表' : `${cat}`, category: cat };
  });
  const postA = all.slice(500, 506); // 6 candidates for 2 places
  const postB = all.slice(506, 512); // 6 candidates for 1 place
  const present = people.filter(() => rnd() < 0.96);
  const wA = [9, 7, 7, 4, 2, 1];
  const wB = [5, 4, 4, 2, 2, 1];
  const votesA = present.map(() => pick(postA, wA, 2, rnd));
  const votesB = present.map(() => pick(postB, wB, 1, rnd));
  // The second round: the first post's four leading candidates by the same preferences.
  const second = postA.slice(0, 4);
  const votesA2 = present.map(() => pick(second, [6, 5, 5, 2], 2, rnd));
  return {
    title: '县委2026年度干部民主推荐大会',
    members,
    present,
    ballots: [
      { type: 'recommendation', title: '县委统战部部长人选民主推荐', post: '县委统战部部长', seats: 2, items: postA.map((n) => ({ nominee: n, post: '县直单位正科级干部' })), votes: votesA },
      { type: 'recommendation', title: '县政府办公室主任人选民主推荐', post: '县政府办公室主任', seats: 1, items: postB.map((n) => ({ nominee: n, post: '乡镇党委副书记' })), votes: votesB },
      { type: 'recommendation', title: '县委统战部部长人选民主推荐（第二轮）', roundOf: '县委统战部部长人选民主推荐', items: second.map((n) => ({ nominee: n, post: '县直单位正科级干部' })), votes: votesA2 },
    ],
  };
}

export function evaluationScenario(): Scenario {
  const rnd = prng(50);
  const people = names(58, rnd);
  const voters = people.slice(0, 50);
  const cadres = people.slice(50);
  const posts = ['乡长', '副乡长', '党委副书记', '纪委书记', '组织委员', '宣传委员', '武装部长', '人大主席'];
  const grades = ['excellent', 'competent', 'basic', 'incompetent'];
  // Each cadre's grade distribution: mostly 称职, some 优秀; the last one weak.
  const dist = cadres.map((_, j) => (j === 7 ? [0.05, 0.35, 0.25, 0.35] : [0.35 - 0.03 * j, 0.55, 0.08 + 0.02 * j, 0.02 + 0.01 * j]));
  const draw = (p: number[]) => {
    let x = rnd();
    const i = p.findIndex((w) => (x -= w) <= 0);
    return grades[i < 0 ? 1 : i]!;
  };
  return {
    title: '城关镇领导班子和领导干部年度民主测评',
    members: voters.map((name, i) => ({ name, kind: 'participant' as const, title: i < 20 ? '镇机关干部' : '村（社区）党组织书记', category: i < 20 ? '镇机关干部' : '村（社区）党组织书记' })),
    present: voters,
    ballots: [
      {
        type: 'evaluation', title: '领导干部年度民主测评', items: cadres.map((n, j) => ({ nominee: n, post: posts[j]! })),
        rule: { option: 'incompetent', base: 'cast', threshold: { num: 1, den: 3 }, strict: true },
        votes: voters.map(() => cadres.map((_, j) => draw(dist[j]!))),
      },
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = resolve(process.argv[2] ?? 'docs/scenarios');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'recommendation-500.json'), JSON.stringify(recommendationScenario(), null, 1) + '\n');
  writeFileSync(join(dir, 'evaluation-50.json'), JSON.stringify(evaluationScenario(), null, 1) + '\n');
  console.log(`wrote recommendation-500.json and evaluation-50.json to ${dir}`);
}
