// The record's pure parts without a browser (client/record/csv.ts, client/record/lines.ts): the
// CSV export's cells, rows and columns — a void ballot with no votes or outcome — and the
// sheets' lines and attendance lists. The printed sheets run in tests/e2e/record.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import type { Bundle, ItemTally } from '../../crypto/index.ts';
import { setLang } from '../../client/i18n.ts';
import { csvCell, resultsCsv } from '../../client/record/csv.ts';
import { attendanceLists, countsLine, groupedHash, sheetHeading, turnoutLine } from '../../client/record/lines.ts';
import type { MemberView } from '../../client/types.ts';

(globalThis as { document?: unknown }).document ??= { documentElement: {} };
afterEach(() => setLang('zh'));

const tally = { entitled: 11, present: 9, issued: 9, cast: 8, valid: 8, invalid: 0 };
const item = (id: string, counts: Record<string, number>, extra: Partial<ItemTally> = {}): ItemTally =>
  ({ itemId: id, entitled: 11, counts, outcome: null, rank: null, flagged: null, ...extra });
const bundleOf = (over: { type: Bundle['ballot']['type']; title: string; options: string[]; items: ItemTally[]; round?: number; threshold?: { num: number; den: number } | null }): Bundle =>
  ({
    ballot: {
      id: 'b1', meetingId: 'm1', title: over.title, type: over.type, options: over.options,
      items: over.items.map((it, i) => ({ id: it.itemId, nominee: `人选${i + 1}`, post: `职务${i + 1}` })),
      rule: { option: over.options[0], base: 'entitled', strict: true, threshold: over.threshold ?? { num: 1, den: 2 }, quorum: null },
      params: {}, recused: [], recusedItems: [], round: { number: over.round ?? 1, previous: null },
    },
    tally: { ...tally, items: over.items },
  }) as unknown as Bundle;

describe('the CSV export', () => {
  it('quotes cells with commas, quotes or line breaks, and defuses cells Excel would read as formulas', () => {
    expect(csvCell('县委副书记、县长')).toBe('县委副书记、县长');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('他说"好"')).toBe('"他说""好"""');
    expect(csvCell('两行\n文字')).toBe('"两行\n文字"');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell(-1)).toBe('-1');
    expect(csvCell(null)).toBe('');
  });

  it('has a BOM, CRLF rows, one row per item per ballot and a column per option any ballot has; a void ballot has no votes or outcome', () => {
    const decision = bundleOf({
      type: 'decision', title: '干部任免', options: ['agree', 'disagree', 'abstain'],
      items: [item('i1', { agree: 7, disagree: 1, abstain: 0 }, { outcome: 'passed' }), item('i2', { agree: 4, disagree: 3, abstain: 1 }, { outcome: 'failed' })],
    });
    const rec = bundleOf({ type: 'recommendation', title: '民主推荐', options: ['votes'], items: [item('i1', { votes: 6 }, { rank: 1, flagged: true }), item('i2', { votes: 2 }, { rank: 2, flagged: false })] });
    const voided = bundleOf({ type: 'decision', title: '干部任免（复议）', options: ['agree', 'disagree', 'abstain'], round: 2, items: [item('i1', { agree: 9, disagree: 0, abstain: 0 }, { outcome: 'passed' })] });
    const csv = resultsCsv('县委常委会第12次会议', [{ bundle: decision, void: false }, { bundle: rec, void: false }, { bundle: voided, void: true }]);
    expect(csv.startsWith('\uFEFF')).toBe(true);
    const rows = csv.slice(1).split('\r\n');
    expect(rows.pop()).toBe('');
    expect(rows[0]).toBe('会议名称,表决序号,表决事项,表决类型,轮次,结果状态,应到,实到,发出选票,收回选票,有效票,无效票,序号,姓名,职务,本项应到,同意,不同意,弃权,推荐,名次,结果');
    expect(rows.slice(1)).toEqual([
      '县委常委会第12次会议,1,干部任免,常委会票决,第一轮,有效,11,9,9,8,8,0,1,人选1,职务1,11,7,1,0,,,通过',
      '县委常委会第12次会议,1,干部任免,常委会票决,第一轮,有效,11,9,9,8,8,0,2,人选2,职务2,11,4,3,1,,,未通过',
      '县委常委会第12次会议,2,民主推荐,民主推荐,第一轮,有效,11,9,9,8,8,0,1,人选1,职务1,11,,,,6,1,得票超过半数',
      '县委常委会第12次会议,2,民主推荐,民主推荐,第一轮,有效,11,9,9,8,8,0,2,人选2,职务2,11,,,,2,2,',
      '县委常委会第12次会议,3,干部任免（复议）,常委会票决,第二轮,无效,11,9,9,8,8,0,1,人选1,职务1,11,,,,,,本次表决无效',
    ]);
  });

  it('speaks English when the page does', () => {
    setLang('en');
    const b = bundleOf({ type: 'decision', title: 'Appointments', options: ['agree', 'disagree', 'abstain'], items: [item('i1', { agree: 7, disagree: 1, abstain: 0 }, { outcome: 'passed' })] });
    const [head, row] = resultsCsv('Meeting 12', [{ bundle: b, void: false }]).slice(1).split('\r\n');
    expect(head).toBe('Meeting,Ballot no.,Ballot,Kind,Round,Status,Entitled,Present,Issued,Returned,Valid,Invalid,No.,Name,Post,Entitled (item),Agree,Disagree,Abstain,Rank,Result');
    expect(row).toBe('Meeting 12,1,Appointments,Standing committee decision,Round 1,valid,11,9,9,8,8,0,1,人选1,职务1,11,7,1,0,,Passed');
  });
});

describe('the sheets’ lines', () => {
  it('say the counts in one line, the turnout, the heading by kind and the hash in groups of eight', () => {
    const t = { ...tally, items: [] };
    expect(countsLine(t)).toBe('发出选票 9 张，收回 8 张，其中有效票 8 张、无效票 0 张');
    expect(turnoutLine(t)).toBe('应到 11 人，实到 9 人');
    expect(['decision', 'plenary', 'consultation', 'recommendation', 'evaluation'].map((k) => sheetHeading(k as 'decision')))
      .toEqual(['表决结果单', '表决结果单', '征求意见结果', '推荐票统计表', '测评结果统计表']);
    expect(groupedHash('0123456789abcdef'.repeat(4))).toBe('01234567 89abcdef 01234567 89abcdef 01234567 89abcdef 01234567 89abcdef');
    setLang('en');
    expect(countsLine(t)).toBe('9 ballots issued, 8 returned: 8 valid, 0 invalid');
  });

  it('list attendance from the meeting view: present, absent, and 请假 / 离会 where the view gives them', () => {
    const m = (name: string, present: boolean, status?: string): MemberView =>
      ({ id: name, name, kind: 'standing', title: '', present, hasCode: true, ...(status ? { status } : {}) }) as MemberView;
    const lists = attendanceLists([m('甲', true), m('乙', false), m('丙', false, 'leave'), m('丁', false, 'left'), m('戊', true, 'present')]);
    expect(Object.fromEntries(Object.entries(lists).map(([k, v]) => [k, v.map((x) => x.name)]))).toEqual({ present: ['甲', '戊'], leave: ['丙'], left: ['丁'], absent: ['乙'] });
  });
});
