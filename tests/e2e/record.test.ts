// The printed record (issue 11 item 6) of a real meeting: five ballots of four kinds (a 票决 with
// a failed nominee, its second round, a 征求意见, a 民主推荐 and a 民主测评) played through the real
// API with real crypto (server/rehearse.ts), then, in chromium, the secretary opens each ballot's
// result sheet (表决结果单 …) and the minutes (会议记录) from the console, prints them to PDF
// (page.pdf, A4) and the PDF's text is read back (unpdf): every figure of every bundle is in it —
// 应到, 实到, 发出, 收回, 有效, 无效, each item's votes per option, rank and outcome — with the
// bundle's id, the verifier's verdict, the scrutineers' names and the signature lines. The CSV
// export parses back to the same counts; a void ballot (a re-issued member cast twice) prints no
// counts per item and no outcome, and the verifier's word that it is void; Ctrl+P on the console and on the projector prints the
// result, not a blank page. The printed sheet is rendered at A4 to docs/img/ for the user guide.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleId, type Bundle } from '../../crypto/index.ts';
import { rehearse, type BallotReport, type Scenario } from '../../server/rehearse.ts';
import { Jar, castVote, checkIn, closeAndPublish, issueAll, openNew, prepareVote, roster, setupMeeting, signIn } from '../helpers/server.ts';
import { apiFrom, PASSWORD, ROOT, startHarness, until, VIEWPORTS, visible, type Harness } from './harness.ts';

const SCRUTINEERS = ['何建国', '罗晓梅', '梁文斌'];
const SCENARIO: Scenario = {
  title: '县委常委会第十二次会议',
  members: [
    { name: '卢海涛', kind: 'standing', title: '县委书记' },
    { name: '余洋', kind: 'standing', title: '县委副书记、县长' },
    { name: '赵秀英', kind: 'standing', title: '县委副书记' },
    { name: '钱志明', kind: 'standing', title: '县委常委、组织部部长' },
    { name: '孙丽', kind: 'standing', title: '县委常委、宣传部部长' },
    { name: '夏志强', kind: 'full', title: '县委委员' },
    { name: '金丽华', kind: 'full', title: '县委委员' },
    { name: '孙立新', kind: 'alternate', title: '县委候补委员' },
  ],
  present: ['卢海涛', '余洋', '赵秀英', '钱志明', '夏志强', '孙立新'],
  scrutineers: { n: 3, t: 2, names: SCRUTINEERS },
  ballots: [
    {
      type: 'decision', title: '干部任免（第一批）', items: ['周八 拟任 县财政局局长', '吴九 拟任 县教育局局长'],
      votes: [['agree', 'agree'], ['agree', 'disagree'], ['agree', 'disagree'], ['disagree', 'abstain']],
    },
    { type: 'decision', title: '干部任免（复议）', roundOf: '干部任免（第一批）', items: ['吴九 拟任 县教育局局长'], votes: [['agree'], ['agree'], ['agree'], null] },
    {
      type: 'consultation', title: '征求全委会意见', items: ['郑十 拟任 县人民法院院长'],
      votes: [['agree'], ['agree'], ['agree'], ['disagree'], ['abstain'], ['agree']],
    },
    {
      type: 'recommendation', title: '民主推荐县发改局局长人选', post: '县发改局局长', seats: 1,
      items: [{ nominee: '陈一', post: '县发改局副局长' }, { nominee: '林二', post: '县商务局副局长' }, { nominee: '黄三', post: '县统计局局长' }],
      votes: [['陈一'], ['陈一'], ['林二'], ['陈一'], [], ['黄三']],
    },
    {
      type: 'evaluation', title: '年度民主测评', items: [{ nominee: '周八', post: '县财政局局长' }, { nominee: '吴九', post: '县教育局局长' }],
      votes: [['excellent', 'competent'], ['excellent', 'excellent'], ['competent', 'basic'], ['excellent', 'competent'], ['competent', 'incompetent'], ['excellent', 'competent']],
    },
  ],
};

const HEADINGS: Record<string, string> = {
  decision: '表决结果单', consultation: '征求意见结果', recommendation: '推荐票统计表', evaluation: '测评结果统计表',
};
const OPTION_WORDS: Record<string, string> = {
  agree: '同意', disagree: '不同意', abstain: '弃权', votes: '推荐', excellent: '优秀', competent: '称职', basic: '基本称职', incompetent: '不称职',
};
const OUTCOME_WORDS: Record<string, string> = { passed: '通过', failed: '未通过', kept: '继续作为提名人选', dropped: '不再作为提名人选' };

let h: Harness;
let sec: Page;
let meetingId = '';
let published: { report: Extract<BallotReport, { bundleJson: Bundle }>; id: string }[] = [];

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

afterAll(async () => {
  await h?.close();
});

/**
 * The ideographs the CJK fonts' glyphs are read back as radicals of the CJK Radicals Supplement,
 * which NFKC leaves alone (长 comes back as ⻓ U+2ED3 C-SIMPLIFIED LONG): the radical → the ideograph.
 */
const RADICALS: Readonly<Record<string, string>> = {
  '\u2ea0': '民', '\u2ec1': '虎', '\u2ec5': '见', '\u2ec6': '角', '\u2ec9': '贝', '\u2ecb': '车', '\u2ed3': '长', '\u2ed4': '门',
  '\u2ed8': '青', '\u2eda': '页', '\u2edb': '风', '\u2edc': '飞', '\u2edd': '食', '\u2ee2': '马', '\u2ee3': '骨', '\u2ee4': '鬼',
  '\u2ee5': '鱼', '\u2ee6': '鸟', '\u2ee8': '麦', '\u2ee9': '黄', '\u2eec': '齐', '\u2ef0': '龙', '\u2ef3': '龟',
};

/**
 * The PDF's text, one string per page, in NFKC (the fonts map 八 to the Kangxi radical ⼋ and the
 * full-width punctuation to ASCII) with the radicals above read as ideographs, line breaks and
 * runs of blanks one space.
 */
async function pdfPages(pdf: Buffer): Promise<string[]> {
  const doc = await getDocumentProxy(new Uint8Array(pdf));
  const { text } = await extractText(doc, { mergePages: false });
  return text.map((p) => p.normalize('NFKC').replace(/[\u2e80-\u2eff]/g, (c) => RADICALS[c] ?? c).replace(/\s+/g, ' '));
}
const flat = (pages: readonly string[]) => pages.join(' ');
/** The text holds `s` (compared in NFKC, as the PDF's text is read). */
const has = (text: string, s: string, what?: string) => expect(text, what).toContain(s.normalize('NFKC'));
const escape = (s: string) => s.normalize('NFKC').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Print the page as chromium does for Ctrl+P (print media, A4, the page's own @page margins). */
async function printPdf(page: Page): Promise<Buffer> {
  return page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
}

/**
 * An item's row as the kinds' result tables print it, cell after cell: rank first for a
 * recommendation, each grade's count followed by its share for an evaluation, the outcome last
 * for the approval kinds.
 */
function rowPattern(b: Bundle, i: number): RegExp {
  const item = b.ballot.items[i]!;
  const it = b.tally.items[i]!;
  const counts = b.ballot.options.map((o) => String(it.counts[o]));
  const cells =
    b.ballot.type === 'recommendation' ? [String(it.rank), item.nominee, item.post, ...counts].map(escape)
    : b.ballot.type === 'evaluation' ? [escape(item.nominee), escape(item.post), ...counts.map((c) => `${c} \\d+\\.\\d%`)]
    : [item.nominee, item.post, ...counts, OUTCOME_WORDS[it.outcome!]!].map(escape);
  return new RegExp(`(^| )${cells.join(' ')}( |$)`);
}

/** Every figure of a bundle is in the text: the one line of counts, 应到 / 实到, each item's row, the id. */
function expectBundleFigures(text: string, b: Bundle, id: string): void {
  const t = b.tally;
  has(text, `应到 ${t.entitled} 人，实到 ${t.present} 人`);
  has(text, `发出选票 ${t.issued} 张，收回 ${t.cast} 张，其中有效票 ${t.valid} 张、无效票 ${t.invalid} 张`);
  for (const o of b.ballot.options) has(text, OPTION_WORDS[o]!);
  b.ballot.items.forEach((_, i) => expect(text, `${b.ballot.title} item ${i + 1}`).toMatch(rowPattern(b, i)));
  expect(text.replace(/ /g, '')).toContain(id);
}

describe('the printed record of a meeting', () => {
  it('a meeting of five ballots is played through the real API and published', async () => {
    const reports = await rehearse(SCENARIO, h.url, PASSWORD);
    for (const r of reports) {
      if (!('bundleJson' in r)) throw new Error(`${r.title}: ${r.error}`);
      expect(r.verified, r.title).toBe(true);
      published.push({ report: r, id: bundleId(r.bundleJson) });
    }
    expect(published).toHaveLength(5);
    // The second round names the first round's bundle by the id the sheet prints.
    expect(published[1]!.report.bundleJson.ballot.round.previous!.bundleId).toBe(published[0]!.id);
  }, 240_000);

  it('the console links each published ballot to its sheet and the meeting to its minutes', async () => {
    sec = await h.page(await h.context(VIEWPORTS.secretary), '/secretary');
    await sec.getByTestId('password').fill(PASSWORD);
    await sec.getByTestId('login').click();
    const meetings = await until(async () => (await apiFrom(sec, '/api/meetings')).json?.meetings as { id: string; title: string }[] | undefined, 'signed in');
    meetingId = meetings.find((m) => m.title === SCENARIO.title)!.id;
    await sec.goto(`/secretary/m/${meetingId}`);
    await visible(sec, 'ballot-card');
    const links = await sec.getByTestId('record-link').evaluateAll((as) => as.map((a) => [(a as HTMLAnchorElement).getAttribute('href'), a.textContent]));
    expect(links).toHaveLength(5);
    for (const { report } of published) expect(links.map((l) => l[0])).toContain(`/secretary/m/${meetingId}/record/${report.bundleJson.ballot.id}`);
    expect(links.map((l) => l[1])).toContain('打印征求意见结果');
    expect(await sec.getByTestId('minutes-link').getAttribute('href')).toBe(`/secretary/m/${meetingId}/minutes`);
    await sec.getByTestId('record-link').first().scrollIntoViewIfNeeded();
    await h.shot(sec, 'record-console-links');
    // A sheet that cannot be made says why and leads back to the console.
    const page = await h.page(sec.context(), `/secretary/m/${meetingId}/record/bnope`);
    await visible(page, 'record-error');
    expect(await page.getByTestId('record-error').innerText()).toMatch(/找不到|未找到/);
    expect(await page.getByTestId('record-error').getByRole('link').getAttribute('href')).toBe(`/secretary/m/${meetingId}`);
    await page.close();
  });

  it('each ballot’s sheet prints to one A4 page with every figure of its bundle, the verdict, the QR address and the lines to sign', async () => {
    const page = await h.page(sec.context());
    for (const [n, { report, id }] of published.entries()) {
      const b = report.bundleJson;
      await page.goto(`/secretary/m/${meetingId}/record/${b.ballot.id}`);
      await until(async () => (await page.getByTestId('record-sheet').getAttribute('data-verified')) === 'ok', `${b.ballot.title} verified`, 60_000);
      expect(await page.getByTestId('record-qr').getAttribute('data-url')).toBe(`${h.url}/verify?bundle=${encodeURIComponent(`/api/ballots/${b.ballot.id}/bundle`)}`);
      const pages = await pdfPages(await printPdf(page));
      expect(pages, `${b.ballot.title}: one page, not ${JSON.stringify(pages.map((p) => `${p.slice(0, 60)} … ${p.slice(-60)}`))}`).toHaveLength(1);
      const text = flat(pages);
      has(text, HEADINGS[b.ballot.type]!);
      has(text, SCENARIO.title);
      has(text, b.ballot.title);
      has(text, n === 1 ? '第二轮（上一轮：干部任免（第一批））' : '第一轮');
      expectBundleFigures(text, b, id);
      has(text, '验证通过：审计包完整，签名有效，计票结果经重新计算无误。');
      expect(text.replace(/ /g, '')).toContain(`${h.url}/api/ballots/${b.ballot.id}/bundle`);
      for (const role of ['监票人（签字）：', '计票人（签字）：', '主持人（签字）：']) has(text, role);
      for (const name of SCRUTINEERS) has(text, name);
      if (n === 0) {
        // The sheet for docs/user-guide.md as it prints: on screen it is one A4 page (210 × 297 mm at 96 dpi) with its margins.
        await page.getByTestId('record-sheet').screenshot({ path: join(ROOT, 'docs/img/record-sheet-a4.png') });
        await h.shot(page, 'record-sheet-1440x900');
        // In English too, from the same bundle.
        await page.locator('.lang-switch').click();
        expect(await page.getByTestId('record-heading').innerText()).toBe('Ballot result sheet');
        const t = b.tally;
        expect(await page.getByTestId('record-counts').innerText()).toBe(`${t.issued} ballots issued, ${t.cast} returned: ${t.valid} valid, ${t.invalid} invalid`);
        expect(await page.getByTestId('record-verdict').innerText()).toContain('Verified: the bundle is complete');
        await page.locator('.lang-switch').click();
        expect(await page.getByTestId('record-heading').innerText()).toBe('表决结果单');
      }
    }
  }, 240_000);

  it('the minutes print with the attendance and every ballot’s figures', async () => {
    const page = await h.page(sec.context(), `/secretary/m/${meetingId}/minutes`);
    await visible(page, 'minutes');
    const text = flat(await pdfPages(await printPdf(page)));
    has(text, `${SCENARIO.title}会议记录`);
    has(text, '名单共 8 人（常委 5 人，委员 2 人，候补委员 1 人）');
    has(text, `出席 6 人：${SCENARIO.present.join('、')}`);
    has(text, '未到 2 人：孙丽、金丽华');
    has(text, `监票人 ${SCRUTINEERS.join('、')}`);
    for (const { report, id } of published) {
      has(text, report.bundleJson.ballot.title);
      expectBundleFigures(text, report.bundleJson, id);
    }
    for (const role of ['记录人（签字）：', '主持人（签字）：']) has(text, role);
    await page.getByTestId('minutes').screenshot({ path: join(ROOT, 'docs/img/record-minutes-a4.png') });
  }, 120_000);

  it('the CSV export opens in Excel (UTF-8 with BOM) and parses back to the bundles’ counts', async () => {
    const page = await h.page(sec.context(), `/secretary/m/${meetingId}/minutes`);
    await visible(page, 'csv-export');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('csv-export').click()]);
    expect(download.suggestedFilename()).toBe(`${SCENARIO.title}-表决结果.csv`);
    const bytes = readFileSync((await download.path())!);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8').slice(1);
    expect(text).toMatch(/\r\n$/);
    const [head, ...rows] = parseCsv(text);
    const col = (name: string) => {
      const k = head!.indexOf(name);
      expect(k, name).toBeGreaterThanOrEqual(0);
      return k;
    };
    expect(rows).toHaveLength(published.reduce((n, p) => n + p.report.bundleJson.ballot.items.length, 0));
    let r = 0;
    for (const [n, { report }] of published.entries()) {
      const b = report.bundleJson;
      for (const [i, item] of b.ballot.items.entries()) {
        const row = rows[r++]!;
        const it = b.tally.items[i]!;
        expect(row[col('会议名称')]).toBe(SCENARIO.title);
        expect(Number(row[col('表决序号')])).toBe(n + 1);
        expect(row[col('表决事项')]).toBe(b.ballot.title);
        expect(row[col('姓名')]).toBe(item.nominee);
        expect(row[col('职务')]).toBe(item.post);
        const t = b.tally;
        expect(['应到', '实到', '发出选票', '收回选票', '有效票', '无效票'].map((c) => Number(row[col(c)]))).toEqual([t.entitled, t.present, t.issued, t.cast, t.valid, t.invalid]);
        expect(Number(row[col('本项应到')])).toBe(it.entitled);
        for (const o of b.ballot.options) expect(Number(row[col(OPTION_WORDS[o]!)]), `${b.ballot.title} ${item.nominee} ${o}`).toBe(it.counts[o]);
        expect(row[col('名次')]).toBe(it.rank === null ? '' : String(it.rank));
        if (it.outcome) expect(row[col('结果')]).toBe(OUTCOME_WORDS[it.outcome]);
      }
    }
  });

  it('a void ballot’s sheet and minutes print its counts and that it is void, with no count per item and no outcome', async () => {
    // Three standing members; one is re-issued a ballot (lost tablet) and casts both: 4 cast, 3 issued.
    const jar = await signIn({ url: h.url, password: PASSWORD });
    const m = await setupMeeting(jar, roster({ standing: 3 }, '无效'), '县委常委会（无效表决）');
    const tablets = await checkIn({ url: h.url }, m, m.names());
    const b = await openNew(jar, m, { type: 'decision' });
    const toks = await issueAll(m.names().map((n) => tablets.get(n)!), b, m.devices);
    const twice = m.names()[0]!;
    await jar.ok('POST', `/api/ballots/${b.id}/reissue`, { memberId: m.idOf(twice) });
    for (const d of m.devices) d.approve(b.id, m.idOf(twice));
    toks.push(await tablets.get(twice)!.issue(b, m.devices));
    const anon = new Jar(h.url, false);
    for (const tk of toks) await castVote(anon, prepareVote(tk, ['agree']));
    const { ballot, bundle } = await closeAndPublish(jar, m, b.id);
    expect(ballot.status).toBe('void');
    const page = await h.page(sec.context(), `/secretary/m/${m.id}/record/${b.id}`);
    await until(async () => (await page.getByTestId('record-sheet').getAttribute('data-verified')) === 'void', 'the void verdict', 60_000);
    const nominee = bundle.ballot.items[0]!.nominee;
    for (const path of [`/secretary/m/${m.id}/record/${b.id}`, `/secretary/m/${m.id}/minutes`]) {
      if (path.endsWith('minutes')) {
        await page.goto(path);
        await visible(page, 'minutes');
      }
      const text = flat(await pdfPages(await printPdf(page)));
      has(text, `发出选票 3 张，收回 4 张，其中有效票 4 张、无效票 0 张`, path);
      has(text, '收回选票多于发出选票，本次表决无效，不产生表决结果。', path);
      expect(text.replace(/ /g, ''), path).toContain(bundleId(bundle));
      has(text, nominee, path); // what was voted on, without counts
      expect(text, path).not.toMatch(new RegExp(`${escape(nominee)} \\S+ \\d+ \\d+ \\d+`));
      expect(text, path).not.toMatch(/同意票 \d/);
      expect(await page.getByTestId('result-table').count(), path).toBe(0);
      if (!path.endsWith('minutes')) has(text, '审计包完整；收回选票多于发出选票，依规本次表决无效。');
    }
    await page.getByTestId('record-void').first().screenshot({ path: join(ROOT, 'test-artifacts/screenshots/record-void.png') });
  }, 180_000);

  it('Ctrl+P on the console and on the projector prints the results, not a blank page', async () => {
    await sec.goto(`/secretary/m/${meetingId}`);
    await visible(sec, 'result-table');
    const consoleText = flat(await pdfPages(await printPdf(sec)));
    for (const { report } of published) has(consoleText, report.bundleJson.ballot.title);
    const screen = await h.page(await h.context(VIEWPORTS.projector), `/screen/${meetingId}`);
    await visible(screen, 'result-table', 30_000);
    const screenText = flat(await pdfPages(await printPdf(screen)));
    has(screenText, published[published.length - 1]!.report.bundleJson.ballot.title);
    expect(h.problems).toEqual([]);
  }, 120_000);
});

/** RFC 4180 CSV: quoted fields with doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}
