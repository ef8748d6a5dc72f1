// The client's ballot kinds without a browser (client/kinds/figures.ts, client/words.ts,
// client/i18n.ts): the secretary's item list, the tablet's answer and its progress, an
// evaluation's rates, the leading candidates of a next round, round numbers, and the words
// every kind needs in both languages. The pages themselves run in tests/e2e/kinds.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { answerSelections, CHECKS, COMPETENCE_GRADES, KIND_IDS, KINDS, MEMBER_KINDS, SATISFACTION_GRADES, type KindDefinition } from '../../crypto/index.ts';
import { setLang, t, type Key, type Lang } from '../../client/i18n.ts';
import {
  followRows, gradeFigures, gradeSetOf, itemsProblem, leadingCandidates, parseItemLines, percent, perItemEmpty, perItemMissing, perItemProgress,
} from '../../client/kinds/figures.ts';
import { chineseNumber, roundWord } from '../../client/words.ts';

// i18n.ts remembers the language on the page; in Node there is neither storage nor a document.
(globalThis as { document?: unknown }).document ??= { documentElement: {} };
afterEach(() => setLang('zh'));

const WORDS = { nominee: '参考人选', post: '现任职务' };
const items = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `i${i}`, nominee: `人选${i}`, post: `职务${i}` }));

describe('the secretary’s item list', () => {
  it('reads pasted lines with a comma, 、, a tab or spaces between name and post, and skips blank lines', () => {
    expect(parseItemLines('张三，县财政局局长\n\n李四,乡长\r\n王五\t县委办主任\n赵六  镇党委书记\n钱七')).toEqual([
      { nominee: '张三', post: '县财政局局长' },
      { nominee: '李四', post: '乡长' },
      { nominee: '王五', post: '县委办主任' },
      { nominee: '赵六', post: '镇党委书记' },
      { nominee: '钱七', post: '' },
    ]);
    expect(parseItemLines('周八、县统计局副局长')).toEqual([{ nominee: '周八', post: '县统计局副局长' }]);
  });

  it('refuses an empty field, a name listed twice and more rows than the kind allows, in words', () => {
    expect(itemsProblem({ items: [{ nominee: '张三', post: '乡长' }] }, WORDS, 200)).toBeNull();
    expect(itemsProblem({ items: [{ nominee: '张三', post: ' ' }] }, WORDS, 200)).toBe('请为每一项填写参考人选和现任职务。');
    expect(itemsProblem({ items: [] }, WORDS, 200)).toBe('请为每一项填写参考人选和现任职务。');
    expect(itemsProblem({ items: [{ nominee: '张三', post: '乡长' }, { nominee: ' 张三', post: '镇长' }] }, WORDS, 200)).toBe('参考人选“张三”重复列出。');
    const many = items(201).map(({ nominee, post }) => ({ nominee, post }));
    expect(itemsProblem({ items: many }, WORDS, 200)).toBe('参考人选最多 200 人，现有 201 人。');
    expect(itemsProblem({ items: many.slice(0, 200) }, WORDS, 200)).toBeNull();
  });
});

describe('recusal from single items on the form', () => {
  it('follows its row when a row above is removed or rows are added, and goes with a removed row', () => {
    const [a, b, c] = [{ nominee: '甲', post: '一' }, { nominee: '乙', post: '二' }, { nominee: '丙', post: '三' }];
    const recusals = [{ memberId: 'm1', items: [1, 2] }, { memberId: 'm2', items: [0] }];
    expect(followRows(recusals, [a, b, c], [b, c])).toEqual([{ memberId: 'm1', items: [0, 1] }]);
    expect(followRows(recusals, [a, b, c], [a, c])).toEqual([{ memberId: 'm1', items: [1] }, { memberId: 'm2', items: [0] }]);
    const d = { nominee: '丁', post: '四' };
    expect(followRows(recusals, [a, b, c], [a, b, c, d])).toEqual(recusals);
  });
});

describe('the tablet’s answer', () => {
  const def = (type: KindDefinition['type'], n: number, extra: Partial<KindDefinition> = {}): KindDefinition => ({
    type,
    items: items(n),
    options: KINDS[type].optionSets[0]!,
    rule: KINDS[type].defaultRule(KINDS[type].optionSets[0]!),
    params: type === 'recommendation' ? { post: '县委统战部部长', seats: 2 } : {},
    recusedItems: [],
    ...extra,
  });

  it('a per-item answer is ready once every item the member is not recused from has one choice; the recused item stays blank and seals', () => {
    const d = def('plenary', 3, { recusedItems: [{ memberId: 'm1', items: [1] }] });
    const recused = new Set([1]);
    const empty = perItemEmpty(d);
    expect(empty).toEqual([[], [], []]);
    expect(perItemProgress(d, empty, recused)).toEqual({ ready: false, words: '还有 2 项未选择' });
    const answer = [[0], [], [2]];
    expect(perItemMissing(d, answer, recused)).toBe(0);
    expect(perItemProgress(d, answer, recused)).toEqual({ ready: true, words: '已选 2 / 2 项' });
    expect(answerSelections(d, answer)).toEqual([[1, 0, 0], [0, 0, 0], [0, 0, 1]]);
    // Without the recusal the same answer is incomplete, and the crypto refuses to seal it.
    expect(perItemProgress({ items: d.items }, answer, new Set()).ready).toBe(false);
    expect(() => answerSelections({ ...d, recusedItems: [] }, answer)).toThrow(/between 1 and 1/);
  });

  it('an evaluation answer has one grade of four per person', () => {
    const d = def('evaluation', 2, { options: SATISFACTION_GRADES, rule: KINDS.evaluation.defaultRule(SATISFACTION_GRADES) });
    expect(perItemProgress(d, [[3], []], new Set()).ready).toBe(false);
    expect(answerSelections(d, [[3], [0]])).toEqual([[0, 0, 0, 1], [1, 0, 0, 0]]);
  });

  it('a recommendation answer is one group: blank is a valid ballot, more than the places never seals', () => {
    const d = def('recommendation', 4);
    expect(answerSelections(d, [[]])).toEqual([[0, 0, 0, 0]]);
    expect(answerSelections(d, [[0, 3]])).toEqual([[1, 0, 0, 1]]);
    expect(() => answerSelections(d, [[0, 1, 2]])).toThrow(/between 0 and 2/);
  });
});

describe('result figures', () => {
  it('percentages with one decimal, and a dash when nothing was cast', () => {
    expect(percent(2, 3)).toBe('66.7%');
    expect(percent(5, 5)).toBe('100.0%');
    expect(percent(0, 7)).toBe('0.0%');
    expect(percent(0, 0)).toBe('—');
  });

  it('优秀率 counts 优秀, 称职以上率 优秀 and 称职, 不称职率 不称职; the satisfaction set counts 不满意 against a person, not 不了解', () => {
    expect(gradeSetOf(COMPETENCE_GRADES).id).toBe('competence');
    expect(gradeSetOf(SATISFACTION_GRADES).id).toBe('satisfaction');
    expect(gradeFigures(COMPETENCE_GRADES, { excellent: 5, competent: 3, basic: 1, incompetent: 2 })).toEqual({ graded: 11, top: 5, good: 8, bad: 2 });
    expect(gradeFigures(SATISFACTION_GRADES, { satisfied: 4, fairly_satisfied: 2, dissatisfied: 1, unknown: 3 })).toEqual({ graded: 10, top: 4, good: 6, bad: 1 });
  });

  it('a next round of recommendation starts from those ranked within twice the places, ties at the edge included', () => {
    const ranks = (r: number[]) => r.map((rank) => ({ rank }));
    expect(leadingCandidates(ranks([1, 2, 2, 4]), 1)).toEqual([0, 1, 2]);
    expect(leadingCandidates(ranks([3, 1, 5, 1, 3, 6]), 2)).toEqual([0, 1, 3, 4]);
    expect(leadingCandidates(ranks([1, 1, 1]), 2)).toEqual([0, 1, 2]);
    expect(leadingCandidates(ranks([2, 1]), 1)).toEqual([0, 1]);
  });
});

describe('rounds', () => {
  it('are numbered in Chinese numerals (第二轮, 第十二轮) and in digits in English', () => {
    expect([1, 2, 10, 12, 20, 21, 99].map(chineseNumber)).toEqual(['一', '二', '十', '十二', '二十', '二十一', '九十九']);
    expect(roundWord(2)).toBe('第二轮');
    setLang('en');
    expect(roundWord(2)).toBe('Round 2');
  });
});

describe('the words of every kind', () => {
  const LANGS: readonly Lang[] = ['zh', 'en'];

  it('each kind has a name, who votes and a default title, each option and member kind a word, in both languages', () => {
    for (const lang of LANGS) {
      setLang(lang);
      const names = new Set<string>();
      for (const id of KIND_IDS) {
        const keys = [`type.${id}`, `type.${id}.who`, `sec.ballot.defaultTitle.${id}`] as Key[];
        for (const k of keys) {
          const text = t(k);
          expect(text, `${k} (${lang})`).not.toBe(k);
          expect(text.length, `${k} (${lang})`).toBeGreaterThan(1);
          if (lang === 'zh') expect(text, k).toMatch(/[\u4e00-\u9fff]/);
          else expect(text, k).not.toMatch(/[\u4e00-\u9fff]/);
        }
        names.add(t(`type.${id}` as Key));
        for (const set of KINDS[id].optionSets) for (const o of set) expect(t(`option.${o}` as Key), `option.${o} (${lang})`).not.toMatch(/^option\./);
      }
      expect(names.size).toBe(KIND_IDS.length);
      for (const k of MEMBER_KINDS) expect(t(`kind.${k}` as Key)).not.toBe(`kind.${k}`);
    }
  });

  it('every check of the verifier (ROUND for rounds included) has its line and its why, in both languages', () => {
    for (const lang of LANGS) {
      setLang(lang);
      for (const code of CHECKS) {
        for (const k of [`check.${code}`, `checkWhy.${code}`] as Key[]) {
          const text = t(k) as string | undefined;
          expect(typeof text, `${k} (${lang})`).toBe('string');
          expect(text!.length, `${k} (${lang})`).toBeGreaterThan(5);
        }
      }
    }
  });

  it('the reference kinds’ result words never say 通过', () => {
    setLang('zh');
    const resultWords = ['res.votes', 'res.shareCast', 'res.sharePresent', 'res.rank', 'res.flag', 'kinds.rec.flag.half', 'res.hint', 'res.eval.reference'] as const;
    for (const k of resultWords) expect(t(k), k).not.toMatch(/通过/);
    expect(t('kinds.rec.flag.half')).toBe('得票超过半数');
    expect(t('tablet.rec.count', { k: 2, n: 1 })).toBe('最多可推荐 2 人，已选 1 人');
    expect(t('tablet.rec.blankAsk')).toBe('未推荐任何人选，确认提交空白票？');
    expect(t('tablet.attending', { title: '全委会表决', kind: t('kind.alternate') })).toBe('“全委会表决”：本次表决候补委员列席，不参加表决。');
  });
});
