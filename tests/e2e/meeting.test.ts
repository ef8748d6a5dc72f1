// A whole meeting in real browsers: the secretary's console, three members' tablets (one
// reloaded mid-ballot, one offline when it casts), the projector and the public verifier,
// all against the real server and the real crypto. Screenshots of every screen go to
// test-artifacts/screenshots/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { apiFrom, PASSWORD, startHarness, until, VIEWPORTS, visible, type Harness } from './harness.ts';

const ROSTER_CSV = [
  'name,kind,title',
  '卢海涛,standing,县委书记',
  '余洋,standing,"县委副书记、县长"',
  '赵秀英,standing,县委副书记',
  '金丽华,standing,"县委常委、纪委书记"',
  '夏志强,full,县委委员',
].join('\n');
const BAD_CSV = ['name,kind,title', '卢海涛,standing,县委书记', '余洋,boss,县长', ',standing,无名'].join('\n');

let h: Harness;
let sec: Page;
let screen: Page;
let meetingId = '';
let ballotId = '';
const codes = new Map<string, string>();
const tablets: { name: string; ctx: BrowserContext; page: Page }[] = [];
const tablet = (name: string) => tablets.find((t) => t.name === name)!;

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

afterAll(async () => {
  await h?.close();
});

/** Nothing any of these callers can read shows a count before publication. */
async function expectNoResultAnywhere(): Promise<void> {
  const views = [
    await apiFrom(sec, `/api/meetings/${meetingId}`),
    await apiFrom(screen, `/api/meetings/${meetingId}/screen`),
    await apiFrom(tablet('卢海涛').page, '/api/tablet'),
    await apiFrom(screen, `/api/ballots/${ballotId}`),
  ];
  for (const v of views) {
    expect(v.status).toBe(200);
    const text = JSON.stringify(v.json);
    expect(text).not.toMatch(/"counts"|"agree"\s*:|"disagree"\s*:|"abstain"\s*:/);
    const ballots = v.json.ballots ?? [v.json];
    for (const b of ballots) expect(b.result).toBeNull();
  }
  const bundle = await apiFrom(screen, `/api/ballots/${ballotId}/bundle`);
  expect(bundle.status).toBe(404);
  expect(bundle.json.error).toBe('NOT_PUBLISHED');
  for (const p of [screen, sec, ...tablets.map((t) => t.page)]) expect(await p.getByTestId('result-table').count()).toBe(0);
}

/** The tablet shows no choice: neither the ballot nor the review, nor any option word. */
async function expectNoChoiceShown(page: Page): Promise<void> {
  expect(await page.getByTestId('ballot').count()).toBe(0);
  expect(await page.getByTestId('review-screen').count()).toBe(0);
  const text = await page.locator('main').innerText();
  expect(text).not.toMatch(/同意|弃权/);
}

async function choose(page: Page, item: number, option: 'agree' | 'disagree' | 'abstain'): Promise<void> {
  await page.getByTestId(`choose-${item}-${option}`).click();
  expect(await page.getByTestId(`choose-${item}-${option}`).getAttribute('aria-checked')).toBe('true');
}

describe('a meeting in the browser', () => {
  it('the secretary signs in, creates a meeting and imports the roster (with line errors first)', async () => {
    const ctx = await h.context(VIEWPORTS.secretary);
    sec = await h.page(ctx, '/secretary');
    await sec.getByTestId('password').fill('wrong');
    await sec.getByTestId('login').click();
    await sec.getByText('密码不正确，请重试。').waitFor();
    await sec.getByTestId('password').fill(PASSWORD);
    await sec.getByTestId('login').click();
    await sec.getByTestId('meeting-title').fill('县委常委会第12次会议');
    await sec.getByTestId('meeting-create').click();
    await until(() => /\/secretary\/m\/m[0-9a-f]+$/.test(sec.url()), 'meeting page');
    meetingId = sec.url().split('/').pop()!;
    await visible(sec, 'roster-panel');

    // The server's parser previews the text: problems per line, and the import stays disabled.
    await sec.getByTestId('roster-text').fill(BAD_CSV);
    await visible(sec, 'roster-error');
    expect(await sec.getByTestId('roster-import').isDisabled()).toBe(true);
    const errors = await sec.getByTestId('roster-error').innerText();
    expect(errors).toContain('名单有错误');
    expect(errors).toContain('第 3 行：类别须为 standing / full / alternate');
    expect(errors).toContain('第 4 行：姓名须为 1–100 个字');
    await h.shot(sec, 'secretary-roster-errors', { fullPage: true });

    await sec.getByTestId('roster-text').fill(ROSTER_CSV);
    await sec.getByText('共 5 人：常委 4，委员 1，候补委员 0').waitFor();
    await sec.getByTestId('roster-import').click();
    await sec.getByText('已导入 5 人。').waitFor();
    await until(async () => (await sec.getByTestId('member-table').locator('tbody tr').count()) === 5, 'five members listed');

    screen = await h.page(await h.context(VIEWPORTS.projector), `/screen/${meetingId}`);
    await visible(screen, 'screen-waiting');
  });

  it('generates sign-in codes and prints an A4 sheet of slips with QR codes', async () => {
    await sec.getByTestId('tab-codes').click();
    await sec.getByTestId('codes-generate').click();
    await until(async () => (await sec.getByTestId('slips').getByTestId('slip').count()) === 5, 'five slips');
    for (const slip of await sec.getByTestId('slips').getByTestId('slip').all()) {
      const code = (await slip.getAttribute('data-code'))!;
      expect(code).toMatch(/^[2-9A-Z]{5}-[2-9A-Z]{5}$/);
      expect(await slip.locator('svg.qr path').getAttribute('d')).toBeTruthy();
      codes.set((await slip.getAttribute('data-name'))!, code);
    }
    await h.shot(sec, 'secretary-slips');
    // The print stylesheet: only the sheet, 105 × 74 mm slips.
    await sec.emulateMedia({ media: 'print' });
    await sec.setViewportSize({ width: 794, height: 1123 });
    expect(await sec.locator('.sec-header').isVisible()).toBe(false);
    expect(await sec.locator('.print-only .slip').first().isVisible()).toBe(true);
    await h.shot(sec, 'secretary-slips-print');
    await sec.emulateMedia({ media: 'screen' });
    await sec.setViewportSize(VIEWPORTS.secretary);
  });

  it('creates a decision ballot from the template; opening it without quorum is refused with the reason', async () => {
    await sec.getByTestId('tab-ballots').click();
    await sec.getByTestId('ballot-new').click();
    await sec.getByTestId('item-nominee-0').fill('周八');
    await sec.getByTestId('item-post-0').fill('县财政局局长');
    await sec.getByTestId('item-add').click();
    await sec.getByTestId('item-nominee-1').fill('吴九');
    await sec.getByTestId('item-post-1').fill('县教育局局长');
    expect(await sec.getByTestId('rule-words').innerText()).toContain('同意票超过应到会人数的半数，为“通过”；否则为“未通过”。');
    await h.shot(sec, 'secretary-new-ballot', { fullPage: true });
    await sec.getByTestId('ballot-create').click();
    await until(async () => (await sec.getByTestId('ballot-card').getAttribute('data-status')) === 'draft', 'draft ballot');
    await sec.getByTestId('ballot-open').click();
    await sec.getByTestId('ballot-error').getByText('到会人数未达到应到会人员的三分之二，不能开始表决。').waitFor();
    await h.shot(sec, 'secretary-quorum-not-met');
    const detail = await apiFrom(sec, `/api/meetings/${meetingId}`);
    ballotId = detail.json.ballots[0].id;
  });

  it('three members sign in on tablets: by typing the code, and by the QR link (prefilled, still confirmed)', async () => {
    const specs = [
      { name: '卢海涛', viewport: VIEWPORTS.tabletLandscape, via: 'typed' },
      { name: '余洋', viewport: VIEWPORTS.tabletPortrait, via: 'qr' },
      { name: '赵秀英', viewport: VIEWPORTS.tabletLandscape, via: 'typed' },
    ] as const;
    for (const s of specs) {
      const ctx = await h.context(s.viewport);
      const code = codes.get(s.name)!;
      const page = await h.page(ctx, s.via === 'qr' ? `/?code=${encodeURIComponent(code)}` : '/');
      tablets.push({ name: s.name, ctx, page });
      await visible(page, 'code-input');
      if (s.via === 'qr') {
        expect(await page.getByTestId('code-input').inputValue()).toBe(code);
        expect(new URL(page.url()).search).toBe(''); // the code leaves the address bar
      } else {
        await page.getByTestId('code-input').pressSequentially(code.replace('-', '').toLowerCase());
        expect(await page.getByTestId('code-input').inputValue()).toBe(code);
      }
      if (s.name === '卢海涛') await h.shot(page, 'tablet-signin-1280x800');
      if (s.name === '余洋') await h.shot(page, 'tablet-signin-qr-800x1280');
      await page.getByTestId('signin-submit').click();
      await visible(page, 'confirm-name');
      expect(await page.getByTestId('confirm-name').innerText()).toContain(s.name);
      if (s.name === '卢海涛') await h.shot(page, 'tablet-confirm-1280x800');
      await page.getByTestId('confirm-yes').click();
      await visible(page, 'waiting');
      expect(await page.getByTestId('member-name').innerText()).toContain(s.name);
    }
    await h.shot(tablet('卢海涛').page, 'tablet-waiting-1280x800');
    await h.shot(tablet('余洋').page, 'tablet-waiting-800x1280');

    // A used code does not work twice; the message says what to do.
    const extra = await h.page(await h.context(VIEWPORTS.tabletLandscape), '/');
    await extra.getByTestId('code-input').fill(codes.get('卢海涛')!);
    await extra.getByTestId('signin-submit').click();
    await extra.getByTestId('signin-error').getByText('请联系会务人员重新发放登录码').waitFor();
    await extra.close();

    await sec.getByTestId('tab-attendance').click();
    await sec.getByTestId('attendance-summary').getByText('实到 3 / 应到 5').waitFor();
    expect(await sec.getByTestId('quorum-line').first().innerText()).toContain('达到法定人数');
    // A lost slip: a new code for a member who has not checked in; the old one stops working.
    await sec.getByTestId('reissue-金丽华').click();
    await sec.getByTestId('confirm-ok').click();
    await visible(sec, 'reissued-code');
    const fresh = (await sec.getByTestId('reissued-code').locator('.big-code').innerText()).trim();
    expect(fresh).toMatch(/^[2-9A-Z]{5}-[2-9A-Z]{5}$/);
    expect(fresh).not.toBe(codes.get('金丽华'));
    await h.shot(sec, 'secretary-attendance', { fullPage: true });
    await until(async () => (await screen.getByTestId('screen-attendance').innerText()).includes('实到 3 人'), 'projector attendance');
    await h.shot(screen, 'projector-waiting-1920x1080');
  });

  it('opens the ballot; every tablet fetches its token by itself and shows the ballot', async () => {
    await sec.getByTestId('tab-ballots').click();
    await sec.getByTestId('ballot-open').click();
    await until(async () => (await sec.getByTestId('ballot-card').getAttribute('data-status')) === 'open', 'open ballot');
    for (const t of tablets) await visible(t.page, 'ballot');
    await sec.getByTestId('cast-of').getByText('已投 0 / 已发 3').waitFor();
    await expectNoResultAnywhere();
  });

  it('a member votes, reviews every choice, confirms; the screen clears and the back button brings nothing back', async () => {
    const { page } = tablet('卢海涛');
    await choose(page, 0, 'agree');
    await choose(page, 1, 'agree');
    await h.shot(page, 'tablet-ballot-1280x800');
    await page.getByTestId('review').click();
    await visible(page, 'review-screen');
    const review = await page.getByTestId('review-screen').innerText();
    expect(review).toContain('周八 拟任 县财政局局长');
    expect(review).toContain('吴九 拟任 县教育局局长');
    await h.shot(page, 'tablet-review-1280x800');
    await page.getByTestId('cast').click();
    await visible(page, 'confirm-dialog');
    await h.shot(page, 'tablet-confirm-cast-1280x800');
    await page.getByTestId('confirm-ok').click();
    await visible(page, 'cast-done');
    await expectNoChoiceShown(page);
    await h.shot(page, 'tablet-cast-1280x800');
    await page.goBack().catch(() => null);
    if (!page.url().startsWith(h.url)) await page.goForward();
    await visible(page, 'cast-done');
    await expectNoChoiceShown(page);
  });

  it('a tablet reloaded mid-ballot keeps the choices made so far', async () => {
    const { page } = tablet('余洋');
    await choose(page, 0, 'agree');
    await h.shot(page, 'tablet-ballot-800x1280');
    await page.reload();
    await visible(page, 'ballot');
    expect(await page.getByTestId('choose-0-agree').getAttribute('aria-checked')).toBe('true');
    expect(await page.getByTestId('choose-1-agree').getAttribute('aria-checked')).toBe('false');
    await choose(page, 1, 'disagree');
    await page.getByTestId('review').click();
    await h.shot(page, 'tablet-review-800x1280');
    await page.getByTestId('cast').click();
    await page.getByTestId('confirm-ok').click();
    await visible(page, 'cast-done');
    await expectNoChoiceShown(page);
    await h.shot(page, 'tablet-cast-800x1280');
    await until(async () => (await screen.getByTestId('screen-progress').innerText()).includes('已投票 2 / 已发票 3'), 'projector progress');
    await h.shot(screen, 'projector-open-1920x1080');
  });

  it('a tablet offline at cast time retries and succeeds once back online', async () => {
    const { page, ctx } = tablet('赵秀英');
    await choose(page, 0, 'agree');
    await choose(page, 1, 'abstain');
    await page.getByTestId('review').click();
    await ctx.setOffline(true);
    await page.getByTestId('cast').click();
    await page.getByTestId('confirm-ok').click();
    await visible(page, 'cast-retry');
    await expectNoChoiceShown(page);
    await h.shot(page, 'tablet-offline-retry-1280x800');
    await ctx.setOffline(false);
    await visible(page, 'cast-done', 30_000);
    await sec.getByTestId('cast-of').getByText('已投 3 / 已发 3').waitFor();
    await h.shot(sec, 'secretary-open', { fullPage: true });
    await expectNoResultAnywhere();
  });

  it('closes the ballot; the tablets send their openings by themselves; still no result anywhere', async () => {
    await sec.getByTestId('ballot-close').click();
    await sec.getByTestId('confirm-ok').click();
    await sec.getByTestId('opened-of').getByText('已开启 3 / 3').waitFor({ timeout: 30_000 });
    for (const t of tablets) await visible(t.page, 'opened');
    await expectNoResultAnywhere();
    await h.shot(sec, 'secretary-closed');
  });

  it('publishes: the console and the projector show the result with the rule in words; each tablet finds its ballot counted', async () => {
    await sec.getByTestId('ballot-finalize').click();
    await until(async () => (await sec.getByTestId('ballot-card').getAttribute('data-status')) === 'published', 'published');
    const table = sec.getByTestId('result-table');
    expect(await table.getByTestId('outcome').allInnerTexts()).toEqual(['通过', '未通过']);
    const text = await table.innerText();
    expect(text).toContain('同意票 3 > 应到会 4 人的半数 → 通过');
    expect(text).toContain('同意票 1 ≤ 应到会 4 人的半数 → 未通过');
    await h.shot(sec, 'secretary-result', { fullPage: true });

    await screen.getByTestId('result-table').waitFor();
    expect(await screen.getByTestId('result-table').getByTestId('outcome').allInnerTexts()).toEqual(['通过', '未通过']);
    await h.shot(screen, 'projector-result-1920x1080');

    for (const t of tablets) await visible(t.page, 'counted', 30_000);
    await h.shot(tablet('卢海涛').page, 'tablet-counted-1280x800');
    await h.shot(tablet('余洋').page, 'tablet-counted-800x1280');
    // English, remembered on the device.
    const t1 = tablet('卢海涛').page;
    await t1.getByRole('button', { name: '切换语言' }).click();
    await t1.getByText('My ballot was counted').waitFor();
    expect(await t1.evaluate(() => localStorage.getItem('piaojue.lang'))).toBe('en');
    await h.shot(t1, 'tablet-counted-en-1280x800');
    await t1.getByRole('button', { name: 'Switch language' }).click();
    await t1.getByText('我的选票已计入').waitFor();
    // Once counted, the tablet no longer holds token, salt or choices.
    const stored = await tablet('卢海涛').page.evaluate((bid) => localStorage.getItem(`piaojue.ballot.${bid}`), ballotId);
    const rec = JSON.parse(stored!);
    expect(rec.check).toBe('included');
    expect(rec.token).toBeUndefined();
    expect(rec.salt).toBeUndefined();
    expect(rec.choices).toBeUndefined();
    expect(rec.receipt.ballotId).toBe(ballotId);
  });

  let receipt = '';
  it('the receipt code is shown only past a warning', async () => {
    const { page } = tablet('余洋');
    expect(await page.getByTestId('receipt-code').count()).toBe(0);
    await page.getByTestId('receipt-show').click();
    await page.getByText('任何看到回执码的人').waitFor();
    await h.shot(page, 'tablet-receipt-warning-800x1280');
    await page.getByTestId('receipt-confirm').click();
    receipt = await page.getByTestId('receipt-code').inputValue();
    expect(JSON.parse(receipt).ballotId).toBe(ballotId);
  });

  it('the public verifier accepts the bundle, checks a receipt, and catches a tampered bundle', async () => {
    const ctx = await h.context(VIEWPORTS.verifier);
    const page = await h.page(ctx, `/verify?bundle=${encodeURIComponent(`/api/ballots/${ballotId}/bundle`)}`);
    await visible(page, 'verdict', 30_000);
    expect(await page.getByTestId('verdict').getAttribute('data-ok')).toBe('true');
    const states = await page.locator('[data-testid^="check-"]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-testid')}=${e.getAttribute('data-state')}`));
    expect(states).toHaveLength(15);
    for (const s of states) expect(s === 'check-SERVER_KEY=skip' || s.endsWith('=pass'), s).toBe(true);
    await page.getByTestId('receipt-input').fill(receipt);
    await page.getByTestId('receipt-check').click();
    await visible(page, 'receipt-result');
    expect(await page.getByTestId('receipt-result').getAttribute('data-status')).toBe('included');
    await h.shot(page, 'verifier-ok', { fullPage: true });
    await page.getByTestId('verdict').scrollIntoViewIfNeeded();
    await page.evaluate(() => window.scrollTo(0, document.querySelector('[data-testid="verdict"]')!.getBoundingClientRect().top + window.scrollY - 16));
    await h.shot(page, 'verifier-result');

    await page.getByRole('button', { name: '切换语言' }).click();
    await page.getByText('Verified: the bundle is complete and the count is correct.').waitFor();
    await h.shot(page, 'verifier-en');
    await page.getByRole('button', { name: 'Switch language' }).click();

    const bundle = (await apiFrom(page, `/api/ballots/${ballotId}/bundle`)).json;
    bundle.tally.items[1].counts.agree += 2;
    await page.getByTestId('bundle-file').setInputFiles({ name: 'bundle.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bundle)) });
    await until(async () => (await page.getByTestId('verdict').getAttribute('data-ok')) === 'false', 'tampered verdict');
    expect(await page.getByTestId('check-BUNDLE_SIGNATURE').getAttribute('data-state')).toBe('fail');
    expect(await page.getByTestId('check-TALLY_MISMATCH').getAttribute('data-state')).toBe('fail');
    await h.shot(page, 'verifier-tampered', { fullPage: true });
  });

  it('ending the meeting signs the tablets out and erases what they kept', async () => {
    await sec.getByTestId('end-meeting').click();
    await sec.getByTestId('confirm-ok').click();
    await sec.getByText('本次会议已结束。').waitFor();
    for (const t of tablets) await visible(t.page, 'ended', 30_000);
    await h.shot(tablet('卢海涛').page, 'tablet-ended-1280x800');
    const left = await tablet('卢海涛').page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('piaojue.ballot.')));
    expect(left).toEqual([]);
  });

  it('no page logged an error or a CSP violation', () => {
    expect(h.problems).toEqual([]);
  });
});
