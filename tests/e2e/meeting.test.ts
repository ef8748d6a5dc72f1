// A whole meeting in real browsers, protocol piaojue/2: the secretary's console, three
// scrutineer devices (played in Node by SimulatedScrutineer for now; one goes offline
// mid-meeting and two of three still finish), three members' tablets (one reloaded
// mid-ballot, one a phone offline when it casts), the projector and the public verifier,
// all against the real server and the real crypto. Then an attack: a tablet handed a ballot
// key that is not the key ceremony's refuses to blind or vote. Screenshots of every screen
// go to test-artifacts/screenshots/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page, Request } from 'playwright-core';
import { generateBallotKey, toHex } from '../../crypto/index.ts';
import { Jar, SimulatedScrutineer, serveWhile, settle } from '../../server/simulate.ts';
import { apiFrom, apiPost, PASSWORD, startHarness, until, VIEWPORTS, visible, type Harness } from './harness.ts';

const ROSTER_CSV = [
  'name,kind,title',
  '卢海涛,standing,县委书记',
  '余洋,standing,"县委副书记、县长"',
  '赵秀英,standing,县委副书记',
  '金丽华,standing,"县委常委、纪委书记"',
  '夏志强,full,县委委员',
].join('\n');
const BAD_CSV = ['name,kind,title', '卢海涛,standing,县委书记', '余洋,boss,县长', ',standing,无名'].join('\n');
const SCRUTINEERS = ['王建国', '李淑芬', '陈志远'];
const FINGERPRINT = /^\d{4} \d{4} \d{4} \d{4}$/;

let h: Harness;
let sec: Page;
let screen: Page;
let meetingId = '';
let ballotId = '';
let fingerprint = '';
const codes = new Map<string, string>();
const tablets: { name: string; ctx: BrowserContext; page: Page }[] = [];
const tablet = (name: string) => tablets.find((t) => t.name === name)!;
let devices: SimulatedScrutineer[] = [];
/** Every anonymous request a tablet made (casts), with the tablet's name. */
const anonRequests: { name: string; request: Request }[] = [];
let stopServing: () => void = () => undefined;
let serving: Promise<void> = Promise.resolve();

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

afterAll(async () => {
  stopServing();
  await serving.catch(() => undefined);
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

/** Everything the tablet keeps in its storage, as one text. */
async function storageOf(page: Page): Promise<string> {
  return page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } }));
}

/** No choice is stored anywhere the tablet keeps data. */
async function expectNoChoiceStored(page: Page): Promise<void> {
  const text = await storageOf(page);
  expect(text).not.toMatch(/agree|disagree|abstain|choices|同意|弃权/);
}

async function choose(page: Page, item: number, option: 'agree' | 'disagree' | 'abstain'): Promise<void> {
  await page.getByTestId(`choose-${item}-${option}`).click();
  expect(await page.getByTestId(`choose-${item}-${option}`).getAttribute('aria-checked')).toBe('true');
}

async function screenView(): Promise<any> {
  return (await apiFrom(screen, `/api/meetings/${meetingId}/screen`)).json;
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

  it('names three scrutineers (any two suffice); their devices run the key ceremony; the fingerprint is public', async () => {
    const named = await apiPost(sec, `/api/meetings/${meetingId}/scrutineers`, { t: 2, scrutineers: SCRUTINEERS.map((name) => ({ name })) });
    expect(named.status).toBe(200);
    expect(named.json.codes.map((c: { name: string }) => c.name)).toEqual(SCRUTINEERS);
    devices = (named.json.codes as { code: string }[]).map((c) => new SimulatedScrutineer(h.url, c.code));
    for (const d of devices) await d.signIn();
    await settle(devices);
    const view = await screenView();
    expect(view.scrutiny.n).toBe(3);
    expect(view.scrutiny.t).toBe(2);
    expect(view.scrutiny.ceremony.status).toBe('ready');
    fingerprint = view.scrutiny.ceremony.fingerprint;
    expect(fingerprint).toMatch(FINGERPRINT);
  });

  it('creates a decision ballot from the template; without quorum and confirmations it cannot open, and the console says why', async () => {
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
    expect(await sec.getByTestId('ballot-open').isDisabled()).toBe(true);
    const why = await sec.getByTestId('open-why').innerText();
    expect(why).toContain('到会人数未达到规定，不能开始表决。');
    expect(why).toContain('等待监票人在各自设备上清点人数');
    await h.shot(sec, 'secretary-quorum-not-met');
    const detail = await apiFrom(sec, `/api/meetings/${meetingId}`);
    ballotId = detail.json.ballots[0].id;
  });

  it('three members sign in: a tablet by typing the code, a tablet by the QR link, a phone', async () => {
    const specs = [
      { name: '卢海涛', viewport: VIEWPORTS.tabletLandscape, via: 'typed', shot: '1280x800' },
      { name: '余洋', viewport: VIEWPORTS.tabletPortrait, via: 'qr', shot: '800x1280' },
      { name: '赵秀英', viewport: VIEWPORTS.phone, via: 'typed', shot: '360x640' },
    ] as const;
    for (const s of specs) {
      const ctx = await h.context(s.viewport);
      const code = codes.get(s.name)!;
      const page = await h.page(ctx, s.via === 'qr' ? `/?code=${encodeURIComponent(code)}` : '/');
      tablets.push({ name: s.name, ctx, page });
      page.on('request', (r) => {
        if (r.url().includes('/api/anon/')) anonRequests.push({ name: s.name, request: r });
      });
      await visible(page, 'code-input');
      if (s.via === 'qr') {
        expect(await page.getByTestId('code-input').inputValue()).toBe(code);
        expect(new URL(page.url()).search).toBe(''); // the code leaves the address bar
      } else {
        await page.getByTestId('code-input').pressSequentially(code.replace('-', '').toLowerCase());
        expect(await page.getByTestId('code-input').inputValue()).toBe(code);
      }
      await h.shot(page, `tablet-signin-${s.shot}`);
      await page.getByTestId('signin-submit').click();
      await visible(page, 'confirm-name');
      expect(await page.getByTestId('confirm-name').innerText()).toContain(s.name);
      if (s.name !== '余洋') await h.shot(page, `tablet-confirm-${s.shot}`);
      await page.getByTestId('confirm-yes').click();
      await visible(page, 'waiting');
      expect(await page.getByTestId('member-name').innerText()).toContain(s.name);
      await h.shot(page, `tablet-waiting-${s.shot}`);
    }

    // A used code does not work twice; the message says what to do.
    const extra = await h.page(await h.context(VIEWPORTS.tabletLandscape), '/');
    await extra.getByTestId('code-input').fill(codes.get('卢海涛')!);
    await extra.getByTestId('signin-submit').click();
    await extra.getByTestId('signin-error').getByText('请联系会务人员重新发放登录码').waitFor();
    await extra.close();

    await sec.getByTestId('tab-attendance').click();
    await sec.getByTestId('attendance-summary').getByText('实到 3 / 应到 5').waitFor();
    // A lost slip: a new code for a member who has not checked in; the old one stops working.
    await sec.getByTestId('reissue-金丽华').click();
    await sec.getByTestId('confirm-ok').click();
    await visible(sec, 'reissued-code');
    const fresh = (await sec.getByTestId('reissued-code').locator('.big-code').innerText()).trim();
    expect(fresh).toMatch(/^[2-9A-Z]{5}-[2-9A-Z]{5}$/);
    expect(fresh).not.toBe(codes.get('金丽华'));
    codes.set('金丽华', fresh);
    await h.shot(sec, 'secretary-attendance', { fullPage: true });
    await until(async () => (await screen.getByTestId('screen-attendance').innerText()).includes('实到 3 人'), 'projector attendance');
    await h.shot(screen, 'projector-waiting-1920x1080');
  });

  it('the scrutineers confirm the attendance; one device goes offline; the ballot opens and every tablet gets its token from the other two', async () => {
    for (const d of devices) await d.confirm(ballotId);
    // The third scrutineer's device leaves the meeting: two of three must carry it to the end.
    devices[2]!.online = false;
    const stop = new Promise<void>((resolve) => (stopServing = resolve));
    serving = serveWhile(devices, stop);

    await sec.getByTestId('tab-ballots').click();
    await sec.getByTestId('ballot-open').click();
    await until(async () => (await sec.getByTestId('ballot-card').getAttribute('data-status')) === 'open', 'open ballot');
    for (const t of tablets) await visible(t.page, 'ballot', 30_000);
    const view = await screenView();
    expect(view.ballots[0].fingerprint).toBe(fingerprint);
    expect(view.scrutiny.ceremony.fingerprint).toBe(fingerprint);
    // Each tablet computed the fingerprint itself from the ceremony record: the projector's.
    for (const t of tablets) {
      expect(await t.page.getByTestId('fingerprint').getAttribute('data-fingerprint')).toBe(fingerprint);
      expect(await t.page.getByTestId('fingerprint').innerText()).toContain('请与大屏幕核对');
    }
    await until(async () => (await apiFrom(screen, `/api/ballots/${ballotId}`)).json.issued === 3, 'three tokens issued');
    await expectNoResultAnywhere();
  });

  it('a member votes, reviews every choice, confirms; the screen clears and the back button brings nothing back', async () => {
    const { page } = tablet('卢海涛');
    await choose(page, 0, 'agree');
    await choose(page, 1, 'agree');
    await expectNoChoiceStored(page);
    await page.evaluate(() => window.scrollTo(0, 0));
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
    await expectNoChoiceStored(page);
    // After the cast only what the inclusion check needs is kept: no token, cast key or sealed ballot.
    const rec = JSON.parse((await page.evaluate((bid) => localStorage.getItem(`piaojue.ballot.${bid}`), ballotId))!);
    expect(rec.stage).toBe('cast');
    expect(Object.keys(rec).sort()).toEqual(['ballotId', 'castAt', 'commitment', 'keys', 'meetingId', 'receipt', 'sigma', 'stage', 'title', 'tokenHash', 'v']);
    expect(rec.keys.fingerprint).toBe(fingerprint);
    await h.shot(page, 'tablet-cast-1280x800');
    await page.goBack().catch(() => null);
    if (!page.url().startsWith(h.url)) await page.goForward();
    await visible(page, 'cast-done');
    await expectNoChoiceShown(page);
  });

  it('a tablet reloaded mid-ballot starts the ballot afresh: the draft was never stored', async () => {
    const { page } = tablet('余洋');
    await choose(page, 0, 'agree');
    await expectNoChoiceStored(page);
    await h.shot(page, 'tablet-ballot-800x1280');
    await page.reload();
    await visible(page, 'ballot');
    expect(await page.getByTestId('choose-0-agree').getAttribute('aria-checked')).toBe('false');
    expect(await page.getByTestId('fingerprint').getAttribute('data-fingerprint')).toBe(fingerprint);
    await choose(page, 0, 'agree');
    await choose(page, 1, 'disagree');
    await page.getByTestId('review').click();
    await h.shot(page, 'tablet-review-800x1280');
    await page.getByTestId('cast').click();
    await page.getByTestId('confirm-ok').click();
    await visible(page, 'cast-done');
    await expectNoChoiceShown(page);
    await h.shot(page, 'tablet-cast-800x1280');
    await until(async () => (await apiFrom(screen, `/api/ballots/${ballotId}`)).json.cast === 2, 'two casts');
    await h.shot(screen, 'projector-open-1920x1080');
  });

  let receipt = '';
  it('the receipt code is shown only past a warning', async () => {
    const { page } = tablet('余洋');
    expect(await page.getByTestId('receipt-code').count()).toBe(0);
    await page.getByTestId('receipt-show').click();
    await page.getByText('回执码能在公开的审计包中找到您这张加密的选票').waitFor();
    await h.shot(page, 'tablet-receipt-warning-800x1280');
    await page.getByTestId('receipt-confirm').click();
    receipt = await page.getByTestId('receipt-code').inputValue();
    const r = JSON.parse(receipt);
    expect(r.ballotId).toBe(ballotId);
    expect(Object.keys(r).sort()).toEqual(['ballotId', 'commitment', 'electionKey', 'publicKey', 'serverKey', 'sigma', 'signature', 'tokenHash']);
  });

  it('a phone offline at cast time retries and succeeds once back online; casts carry no cookie and the same headers', async () => {
    const { page, ctx } = tablet('赵秀英');
    await choose(page, 0, 'agree');
    await choose(page, 1, 'abstain');
    await h.shot(page, 'tablet-ballot-360x640', { fullPage: true });
    await page.getByTestId('review').click();
    await h.shot(page, 'tablet-review-360x640');
    await ctx.setOffline(true);
    await page.getByTestId('cast').click();
    await page.getByTestId('confirm-ok').click();
    await visible(page, 'cast-retry');
    await expectNoChoiceShown(page);
    await expectNoChoiceStored(page);
    await h.shot(page, 'tablet-offline-retry-360x640');
    await ctx.setOffline(false);
    await visible(page, 'cast-done', 30_000);
    await h.shot(page, 'tablet-cast-360x640');
    // Every tablet's cast looks the same on the wire: no cookie, no referrer, no header of the
    // page's own (not its Accept-Language either: only the browser's default), one body size.
    expect(new Set(anonRequests.map((c) => c.name))).toEqual(new Set(['卢海涛', '余洋', '赵秀英']));
    const shapes = new Set<string>();
    for (const { request: r } of anonRequests) {
      if (!(await r.response())) continue; // never left the tablet (offline): only provisional headers
      const headers = await r.allHeaders();
      expect(r.method()).toBe('POST');
      expect(r.url()).toBe(`${h.url}/api/anon/ballots/${ballotId}/cast`);
      expect(headers.cookie).toBeUndefined();
      expect(headers.referer ?? '').toBe('');
      expect(headers['content-type']).toBe('application/json');
      expect(headers['accept-language']).not.toBe('zh-CN,zh;q=0.9'); // the page's own value (client/i18n.ts)
      shapes.add(JSON.stringify({ headers: Object.keys(headers).sort(), lang: headers['accept-language'], size: r.postData()!.length }));
    }
    expect([...shapes], [...shapes].join("\n")).toHaveLength(1);
    await until(async () => (await apiFrom(screen, `/api/ballots/${ballotId}`)).json.cast === 3, 'three casts');
    await h.shot(sec, 'secretary-open', { fullPage: true });
    await expectNoResultAnywhere();
  });

  it('closes the ballot; the two scrutineer devices still online decrypt the totals; the result is published', async () => {
    stopServing();
    await serving;
    await sec.getByTestId('ballot-close').click();
    await sec.getByTestId('confirm-ok').click();
    await until(async () => (await apiFrom(screen, `/api/ballots/${ballotId}`)).json.status === 'closed', 'closed');
    for (const t of tablets) await visible(t.page, 'awaiting-result', 30_000);
    await h.shot(tablet('卢海涛').page, 'tablet-closed-1280x800');
    await expectNoResultAnywhere();
    // The sums are computed on the close; the devices online decrypt them; the server publishes.
    await until(async () => {
      await settle(devices);
      return (await apiFrom(screen, `/api/ballots/${ballotId}`)).json.status === 'published';
    }, 'published', 30_000);
    const b = (await apiFrom(screen, `/api/ballots/${ballotId}`)).json;
    expect(b.decryptions).toBe(2);
    expect(b.result.cast).toBe(3);
    expect(b.result.items.map((i: { counts: unknown }) => i.counts)).toEqual([
      { agree: 3, disagree: 0, abstain: 0 },
      { agree: 1, disagree: 1, abstain: 1 },
    ]);
    expect(b.result.items.map((i: { outcome: string }) => i.outcome)).toEqual(['passed', 'failed']);

    await until(async () => (await sec.getByTestId('ballot-card').getAttribute('data-status')) === 'published', 'published on the console');
    const table = sec.getByTestId('result-table');
    expect(await table.getByTestId('outcome').allInnerTexts()).toEqual(['通过', '未通过']);
    const text = await table.innerText();
    expect(text).toContain('同意票 3 > 应到会 4 人的半数 → 通过');
    expect(text).toContain('同意票 1 ≤ 应到会 4 人的半数 → 未通过');
    await h.shot(sec, 'secretary-result', { fullPage: true });
    await screen.getByTestId('result-table').waitFor();
    expect(await screen.getByTestId('result-table').getByTestId('outcome').allInnerTexts()).toEqual(['通过', '未通过']);
    await h.shot(screen, 'projector-result-1920x1080');
  });

  it('each tablet finds its ballot counted in the bundle by itself, then erases it', async () => {
    for (const t of tablets) await visible(t.page, 'counted', 30_000);
    await h.shot(tablet('卢海涛').page, 'tablet-counted-1280x800');
    await h.shot(tablet('余洋').page, 'tablet-counted-800x1280');
    await h.shot(tablet('赵秀英').page, 'tablet-counted-360x640');
    for (const t of tablets) {
      const rec = JSON.parse((await t.page.evaluate((bid) => localStorage.getItem(`piaojue.ballot.${bid}`), ballotId))!);
      // Once counted, nothing of the cast remains: no receipt, token hash, σ or commitment.
      expect(Object.keys(rec).sort()).toEqual(['ballotId', 'castAt', 'check', 'meetingId', 'stage', 'title', 'v']);
      expect(rec.check).toBe('included');
      await expectNoChoiceStored(t.page);
    }
    // English, remembered on the device.
    const t1 = tablet('卢海涛').page;
    await t1.getByRole('button', { name: '切换语言' }).click();
    await t1.getByText('My ballot was counted').waitFor();
    expect(await t1.evaluate(() => localStorage.getItem('piaojue.lang'))).toBe('en');
    await h.shot(t1, 'tablet-counted-en-1280x800');
    await t1.getByRole('button', { name: 'Switch language' }).click();
    await t1.getByText('我的选票已计入').waitFor();
  });

  it('the public verifier accepts the bundle, shows the fingerprint, checks a receipt, and catches a tampered bundle', async () => {
    const ctx = await h.context(VIEWPORTS.verifier);
    const page = await h.page(ctx, `/verify?bundle=${encodeURIComponent(`/api/ballots/${ballotId}/bundle`)}`);
    await visible(page, 'verdict', 30_000);
    expect(await page.getByTestId('verdict').getAttribute('data-ok')).toBe('true');
    const states = await page.locator('[data-testid^="check-"]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-testid')}=${e.getAttribute('data-state')}`));
    expect(states).toHaveLength(20);
    for (const s of states) expect(s === 'check-SERVER_KEY=skip' || s.endsWith('=pass'), s).toBe(true);
    expect(await page.getByTestId('verify-fingerprint').getAttribute('data-fingerprint')).toBe(fingerprint);
    await page.getByTestId('receipt-input').fill(receipt);
    await page.getByTestId('receipt-check').click();
    await visible(page, 'receipt-result');
    expect(await page.getByTestId('receipt-result').getAttribute('data-status')).toBe('included');
    await h.shot(page, 'verifier-ok', { fullPage: true });
    await page.evaluate(() => window.scrollTo(0, document.querySelector('[data-testid="verdict"]')!.getBoundingClientRect().top + window.scrollY - 16));
    await h.shot(page, 'verifier-result');

    // A receipt altered to name other keys is refused: only the server's signature makes it evidence.
    const other = { ...JSON.parse(receipt), publicKey: toHex(generateBallotKey().publicKey) };
    await page.getByTestId('receipt-input').fill(JSON.stringify(other));
    await page.getByTestId('receipt-check').click();
    await until(async () => (await page.getByTestId('receipt-result').getAttribute('data-status')) === 'invalid-receipt', 'forged receipt refused');

    await page.getByRole('button', { name: '切换语言' }).click();
    await page.getByText('Verified: the bundle is complete and the count is correct.').waitFor();
    await h.shot(page, 'verifier-en');
    await page.getByRole('button', { name: 'Switch language' }).click();

    await page.setViewportSize(VIEWPORTS.phone);
    await h.shot(page, 'verifier-ok-360x640');
    await page.setViewportSize(VIEWPORTS.verifier);

    const bundle = (await apiFrom(page, `/api/ballots/${ballotId}/bundle`)).json;
    bundle.tally.items[1].counts.agree += 2;
    await page.getByTestId('bundle-file').setInputFiles({ name: 'bundle.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bundle)) });
    await until(async () => (await page.getByTestId('verdict').getAttribute('data-ok')) === 'false', 'tampered verdict');
    expect(await page.getByTestId('check-BUNDLE_SIGNATURE').getAttribute('data-state')).toBe('fail');
    expect(await page.getByTestId('check-TALLY_MISMATCH').getAttribute('data-state')).toBe('fail');
    expect(await page.getByTestId('why-TALLY_MISMATCH').innerText()).toContain('重新解密');
    await h.shot(page, 'verifier-tampered', { fullPage: true });

    // A decryption share that does not match its proof.
    const forged = (await apiFrom(page, `/api/ballots/${ballotId}/bundle`)).json;
    const f = forged.decryption[0].factors;
    [f[0], f[1]] = [f[1], f[0]];
    await page.getByTestId('bundle-file').setInputFiles({ name: 'bundle2.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(forged)) });
    await until(async () => (await page.getByTestId('check-DECRYPTION_SHARE').getAttribute('data-state')) === 'fail', 'bad decryption share');
    await page.getByTestId('check-DECRYPTION_SHARE').scrollIntoViewIfNeeded();
    await page.setViewportSize(VIEWPORTS.phone);
    await page.getByTestId('check-DECRYPTION_SHARE').scrollIntoViewIfNeeded();
    await h.shot(page, 'verifier-bad-share-360x640');
  });

  it('ending the meeting signs the tablets out and erases what they kept', async () => {
    await sec.getByTestId('end-meeting').click();
    await sec.getByTestId('confirm-ok').click();
    await sec.getByText('本次会议已结束。').waitFor();
    for (const t of tablets) await visible(t.page, 'ended', 30_000);
    await h.shot(tablet('卢海涛').page, 'tablet-ended-1280x800');
    for (const t of tablets) {
      const left = await t.page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('piaojue.ballot.')));
      expect(left).toEqual([]);
    }
  });
});

describe('attack: a tablet handed a ballot key that is not the key ceremony’s', () => {
  let mid = '';
  let bid = '';
  const issueRequests: string[] = [];

  it('refuses to blind or vote, and says why; an honest tablet in the same room votes', async () => {
    const secretary = new Jar(h.url);
    await secretary.ok('POST', '/api/secretary/login', { password: PASSWORD });
    mid = (await secretary.ok('POST', '/api/meetings', { title: '县委常委会第13次会议' })).meeting.id;
    await secretary.ok('POST', `/api/meetings/${mid}/roster`, {
      members: [{ name: '甲', kind: 'standing' }, { name: '乙', kind: 'standing' }, { name: '丙', kind: 'standing' }],
    });
    const slips = new Map<string, string>((await secretary.ok('POST', `/api/meetings/${mid}/codes`)).codes.map((c: { name: string; code: string }) => [c.name, c.code]));
    const named = await secretary.ok('POST', `/api/meetings/${mid}/scrutineers`, { t: 2, scrutineers: [{ name: '监一' }, { name: '监二' }, { name: '监三' }] });
    const devs = (named.codes as { code: string }[]).map((c) => new SimulatedScrutineer(h.url, c.code));
    for (const d of devs) await d.signIn();
    await settle(devs);
    const fp = (await secretary.ok('GET', `/api/meetings/${mid}/screen`)).scrutiny.ceremony.fingerprint as string;
    expect(fp).toMatch(FINGERPRINT);

    // The attacked tablet: every GET /api/tablet answer carries another ballot key.
    const forgedKey = toHex(generateBallotKey().publicKey);
    const attacked = await h.page(await h.context(VIEWPORTS.tabletPortrait));
    await attacked.route('**/api/tablet', async (route) => {
      const res = await route.fetch();
      const json = await res.json();
      for (const b of Array.isArray(json?.ballots) ? json.ballots : []) if (b.publicKey) b.publicKey = forgedKey;
      await route.fulfill({ response: res, json });
    });
    attacked.on('request', (r) => {
      if (/\/api\/ballots\/[^/]+\/issue$/.test(r.url()) || r.url().includes('/api/anon/')) issueRequests.push(r.url());
    });
    const honest = await h.page(await h.context(VIEWPORTS.phone));
    // A third tablet is handed a bundle from which its cast was removed (the signature no longer holds).
    const misled = await h.page(await h.context(VIEWPORTS.tabletPortrait));
    await misled.route('**/api/ballots/*/bundle', async (route) => {
      const res = await route.fetch();
      const json = await res.json();
      if (Array.isArray(json?.ballots)) json.ballots = [];
      await route.fulfill({ response: res, json });
    });
    for (const [page, name] of [[attacked, '甲'], [honest, '乙'], [misled, '丙']] as const) {
      await page.goto('/');
      await page.getByTestId('code-input').fill(slips.get(name)!);
      await page.getByTestId('signin-submit').click();
      await page.getByTestId('confirm-yes').click();
      await visible(page, 'waiting');
    }

    const { ballot } = await secretary.ok('POST', `/api/meetings/${mid}/ballots`, { type: 'decision', title: '干部任免', items: [{ nominee: '孙十', post: '县审计局局长' }] });
    bid = ballot.id;
    for (const d of devs) await d.confirm(bid);
    let stop: () => void = () => undefined;
    const served = serveWhile(devs, new Promise<void>((r) => (stop = r)));
    try {
      await secretary.ok('POST', `/api/ballots/${bid}/open`);
      await visible(attacked, 'keys-error', 30_000);
      const text = await attacked.getByTestId('keys-error').innerText();
      expect(text).toContain('系统校验码不一致/密钥无效，请勿投票');
      expect(text).toContain('立即告知会务人员和监票人');
      expect(await attacked.getByTestId('ballot').count()).toBe(0);
      expect(await attacked.getByTestId('fingerprint').count()).toBe(0);
      await h.shot(attacked, 'tablet-keys-refused-800x1280');
      await attacked.setViewportSize(VIEWPORTS.phone);
      await h.shot(attacked, 'tablet-keys-refused-360x640');

      // The honest tablet gets its ballot under the ceremony's keys and shows the projector's fingerprint.
      await visible(honest, 'ballot', 30_000);
      expect(await honest.getByTestId('fingerprint').getAttribute('data-fingerprint')).toBe(fp);
      await honest.getByTestId('choose-0-agree').click();
      await honest.getByTestId('review').click();
      await honest.getByTestId('cast').click();
      await honest.getByTestId('confirm-ok').click();
      await visible(honest, 'cast-done');
      await visible(misled, 'ballot', 30_000);
      await misled.getByTestId('choose-0-disagree').click();
      await misled.getByTestId('review').click();
      await misled.getByTestId('cast').click();
      await misled.getByTestId('confirm-ok').click();
      await visible(misled, 'cast-done');

      // Nothing was blinded on the attacked tablet: no issue request, no cast, nothing stored.
      await attacked.evaluate(() => new Promise((r) => setTimeout(r, 1000)));
      expect(issueRequests).toEqual([]);
      expect(await attacked.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('piaojue.ballot.')))).toEqual([]);
      const view = await secretary.ok('GET', `/api/ballots/${bid}`);
      expect(view.issued).toBe(2);
      expect(view.cast).toBe(2);
    } finally {
      stop();
      await served;
    }
    // The ballot still finishes: the honest tablet finds its ballot counted.
    await secretary.ok('POST', `/api/ballots/${bid}/close`);
    await until(async () => {
      await settle(devs);
      return (await secretary.ok('GET', `/api/ballots/${bid}`)).status === 'published';
    }, 'published', 30_000);
    await visible(honest, 'counted', 30_000);
    // The misled tablet raises the alarm, says what to do and keeps its receipt as evidence …
    await visible(misled, 'not-counted', 30_000);
    expect(await misled.getByTestId('not-counted').innerText()).toContain('请在会议结束前告知监票人，并出示回执码');
    expect(await misled.getByTestId('receipt-show').count()).toBe(1);
    await h.shot(misled, 'tablet-not-counted-800x1280');
    const kept = JSON.parse((await misled.evaluate((b) => localStorage.getItem(`piaojue.ballot.${b}`), bid))!);
    expect(kept.stage).toBe('cast');
    expect(kept.check).toBe('bad-bundle');
    // … but not beyond the retention timer, online or not: 2 hours after the cast it is gone.
    await misled.clock.install();
    await misled.reload();
    await visible(misled, 'not-counted', 30_000);
    await misled.context().setOffline(true);
    await misled.clock.fastForward('02:00:30');
    await until(async () => (await misled.evaluate((b) => localStorage.getItem(`piaojue.ballot.${b}`), bid)) === null, 'erased by the timer');
    await misled.context().setOffline(false);
    await secretary.ok('POST', `/api/meetings/${mid}/end`);
    await visible(attacked, 'ended', 30_000);
  });

  it('no page logged an error or a CSP violation', () => {
    expect(h.problems).toEqual([]);
  });
});
