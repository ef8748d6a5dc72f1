// A whole meeting in real browsers, protocol piaojue/2: the secretary's console, three
// scrutineer devices on /scrutineer (a tablet and two phones, named in the console's 监票人
// panel; any two of three suffice), five tablets for four members (one reloaded mid-ballot,
// one lost and re-issued to a new phone that is offline when it casts, one member arriving
// late), the projector and the public verifier, all against the real server and the real
// crypto. The devices run the key ceremony, count heads (开始投票 waits for two), sign every
// token, approve the re-issue (同意补发), sign for the late arrival only once re-confirmed, and
// after the close check the number of ballots returned and decrypt the totals. One device goes
// offline mid-ballot and another's page is closed and reopened: the remaining two finish and
// the result is published. Then an attack: a tablet handed a ballot key that is not the key
// ceremony's refuses to blind or vote, and a tablet handed a tampered bundle raises the alarm
// (the scrutineers of that second meeting are played in Node by server/simulate.ts).
// Screenshots of every screen go to test-artifacts/screenshots/; docs/user-guide.md uses a
// selection copied to docs/img/.
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page, Request, Route } from 'playwright-core';
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
const FINGERPRINT = /^\d{4} \d{4} \d{4} \d{4}$/;

let h: Harness;
let sec: Page;
let screen: Page;
let meetingId = '';
let ballotId = '';
let fingerprint = '';
const codes = new Map<string, string>();
const memberIds = new Map<string, string>();
const tablets: { name: string; ctx: BrowserContext; page: Page }[] = [];
const tablet = (name: string) => tablets.find((t) => t.name === name)!;
/** The scrutineers' devices: index 1 a tablet, 2 and 3 phones; the third goes offline mid-meeting. */
const SCRUTINEERS = [
  { name: '王建国', viewport: VIEWPORTS.tabletPortrait, shot: '800x1280', via: 'typed' },
  { name: '李淑芬', viewport: VIEWPORTS.phone, shot: '360x640', via: 'qr' },
  { name: '陈志远', viewport: VIEWPORTS.phone, shot: '360x640', via: 'typed' },
] as const;
type Device = { name: string; index: number; ctx: BrowserContext; page: Page; shot: string };
const devices: Device[] = [];
const online = () => devices.filter((d) => d.index !== 3);
/** Every anonymous request a tablet made (casts), with the tablet's name. */
const anonRequests: { name: string; request: Request }[] = [];
/** The device indices of the partial signatures each member's current tablet combined. */
const signers = new Map<string, number[][]>();

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

afterAll(async () => {
  await h?.close();
});

/**
 * Send an intercepted GET on from this process (whose fetch trusts the test CA; playwright's own
 * route.fetch has no way to trust it short of ignoring certificate errors), with the page's headers.
 */
async function passOn(route: Route): Promise<Response> {
  const headers = Object.fromEntries(Object.entries(await route.request().allHeaders()).filter(([k]) => !/^(host|content-length|accept-encoding|connection)$/i.test(k)));
  return fetch(route.request().url(), { method: route.request().method(), headers });
}

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
    for (const b of ballots) expect(b.result ?? null).toBeNull();
  }
  // A scrutineer's device sees no vote either: no count, no result, no choice word.
  for (const d of online()) {
    const v = await apiFrom(d.page, '/api/scrutineer');
    expect(v.status).toBe(200);
    // (The ballot's option ids and its rule's counted option are part of its definition; nothing else may name an option.)
    const text = JSON.stringify(v.json, (k, x) => (k === 'options' || k === 'rule' ? undefined : x));
    expect(text).not.toMatch(/"counts"|"result"|"tally"|"agree"|"disagree"|"abstain"/);
    expect(await d.page.locator('main').innerText()).not.toMatch(/同意票|不同意|弃权/);
  }
  const bundle = await apiFrom(screen, `/api/ballots/${ballotId}/bundle`);
  expect(bundle.status).toBe(404);
  expect(bundle.json.error).toBe('NOT_PUBLISHED');
  for (const p of [screen, sec, ...tablets.map((t) => t.page), ...online().map((d) => d.page)]) expect(await p.getByTestId('result-table').count()).toBe(0);
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

async function vote(page: Page, options: readonly ('agree' | 'disagree' | 'abstain')[]): Promise<void> {
  for (const [i, o] of options.entries()) await choose(page, i, o);
  await page.getByTestId('review').click();
  await page.getByTestId('cast').click();
  await page.getByTestId('confirm-ok').click();
}

async function screenView(): Promise<any> {
  return (await apiFrom(screen, `/api/meetings/${meetingId}/screen`)).json;
}

async function ballotView(): Promise<any> {
  return (await apiFrom(screen, `/api/ballots/${ballotId}`)).json;
}

/** The 系统校验码 as a page shows it in groups (one element per group of four digits). */
async function groupedFingerprint(page: Page, testid: string): Promise<string> {
  return page.getByTestId(testid).first().evaluate((el) => Array.from(el.children).map((c) => (c.textContent ?? '').trim()).join(' '));
}

/** What a scrutineer's device knows of the ballot (its own session). */
async function deviceBallot(d: Device): Promise<{ confirmed: boolean; issuedByMe: number; decrypted: boolean; status: string }> {
  const v = await apiFrom(d.page, '/api/scrutineer');
  return v.json.ballots.find((b: { id: string }) => b.id === ballotId);
}

/** A tablet: a fresh browser context on `/` (or the QR link), signed in with the member's code. */
async function signInTablet(name: string, viewport: { width: number; height: number }, via: 'typed' | 'qr', shot?: string): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await h.context(viewport);
  const code = codes.get(name)!;
  signers.delete(name); // a member's new tablet: count its own signatures only
  const page = await h.page(ctx, via === 'qr' ? `/?code=${encodeURIComponent(code)}` : '/');
  page.on('request', (r) => {
    if (r.url().includes('/api/anon/')) anonRequests.push({ name, request: r });
  });
  page.on('response', async (r) => {
    if (!/\/api\/ballots\/[^/]+\/issue$/.test(r.url())) return;
    const json = await r.json().catch(() => null);
    if (json?.status === 'signed') signers.set(name, [...(signers.get(name) ?? []), json.partials.map((p: { index: number }) => p.index)]);
  });
  await visible(page, 'code-input');
  if (via === 'qr') {
    expect(await page.getByTestId('code-input').inputValue()).toBe(code);
    expect(new URL(page.url()).search).toBe(''); // the code leaves the address bar
  } else {
    await page.getByTestId('code-input').pressSequentially(code.replace('-', '').toLowerCase());
    expect(await page.getByTestId('code-input').inputValue()).toBe(code);
  }
  if (shot) await h.shot(page, `tablet-signin-${shot}`);
  await page.getByTestId('signin-submit').click();
  await visible(page, 'confirm-name');
  expect(await page.getByTestId('confirm-name').innerText()).toContain(name);
  if (shot && via !== 'qr') await h.shot(page, `tablet-confirm-${shot}`);
  await page.getByTestId('confirm-yes').click();
  await until(async () => (await page.getByTestId('member-name').count()) > 0, `${name} signed in`);
  expect(await page.getByTestId('member-name').innerText()).toContain(name);
  tablets.push({ name, ctx, page });
  return { ctx, page };
}

/** The scrutineer confirms the attendance list on their device (清点人数 → 确认到会名单 → confirm). */
async function confirmAttendance(d: Device, present: number): Promise<void> {
  const card = d.page.getByTestId('scr-ballot');
  await until(async () => (await card.innerText()).includes(`实到 ${present} 人`), `${d.name} sees ${present} present`);
  await card.getByTestId('scr-confirm-attendance').click();
  await d.page.getByTestId('confirm-dialog').getByText(`确认本项表决实到会 ${present} 人的名单无误？`).waitFor();
  await d.page.getByTestId('confirm-ok').click();
  await visible(d.page, 'scr-confirmed');
}

describe('a meeting in the browser', () => {
  it('is served over HTTPS with the generated CA, which chromium trusts; plain HTTP only redirects', async () => {
    expect(h.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const page = await h.page(await h.context(VIEWPORTS.verifier));
    // Typed without https: the plain-HTTP listener redirects; chromium lands on HTTPS without any warning.
    const landed = await page.goto(`${h.redirectUrl}/verify`);
    expect(page.url()).toBe(`${h.url}/verify`);
    expect(landed!.status()).toBe(200);
    expect(landed!.headers()['strict-transport-security']).toBe('max-age=31536000');
    const details = await landed!.securityDetails();
    expect(details?.issuer).toMatch(/^piaojue 票决 local CA/);
    expect(details?.protocol).toMatch(/^TLS 1\.[23]$/);
    const redirect = await fetch(`${h.redirectUrl}/api/tablet`, { redirect: 'manual' });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe(`${h.url}/api/tablet`);
    // The CA certificate, over HTTP and HTTPS, is the one chromium was given to trust.
    expect(await (await fetch(`${h.redirectUrl}/ca.crt`)).text()).toBe(h.ca);
    expect((await apiFrom(page, '/api/setup')).json).toMatchObject({ https: true, ca: true, download: `${h.redirectUrl}/ca.crt` });
    // The set-up page shows the fingerprint to compare, the download link and its QR code.
    await page.goto('/setup');
    await visible(page, 'setup-fingerprint');
    expect(await page.getByTestId('setup-fingerprint').innerText()).toBe(new X509Certificate(h.ca).fingerprint256);
    expect(await page.getByTestId('setup-download').getAttribute('href')).toBe(`${h.redirectUrl}/ca.crt`);
    await visible(page, 'setup-qr');
    await h.shot(page, 'setup-1280x900', { fullPage: true });
    await page.close();
  });

  it('the secretary signs in, creates a meeting and imports the roster (with line errors first)', async () => {
    const ctx = await h.context(VIEWPORTS.secretary);
    sec = await h.page(ctx, '/secretary');
    await sec.getByTestId('password').fill('wrong');
    await sec.getByTestId('login').click();
    await sec.getByText('密码不正确，请重试。').waitFor();
    await sec.getByTestId('password').fill(PASSWORD);
    await sec.getByTestId('login').click();
    // The session cookie is __Host-, Secure, HttpOnly and SameSite=Strict; every answer carries HSTS.
    await until(async () => (await sec.context().cookies()).some((c) => c.name === '__Host-piaojue_sid'), 'session cookie');
    const sid = (await sec.context().cookies()).find((c) => c.name === '__Host-piaojue_sid')!;
    expect(sid).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Strict', path: '/', domain: '127.0.0.1' });
    expect((await sec.context().cookies()).filter((c) => /piaojue/.test(c.name)).map((c) => c.name)).toEqual(['__Host-piaojue_sid']);
    const hsts = await sec.evaluate(async () => (await fetch('/api/secretary/me')).headers.get('strict-transport-security'));
    expect(hsts).toBe('max-age=31536000');
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
    expect(errors).toContain('第 3 行：类别须填写 常委、委员、候补委员 或 参会人员');
    expect(errors).toContain('第 4 行：姓名须为 1–100 个字');
    await h.shot(sec, 'secretary-roster-errors', { fullPage: true });

    await sec.getByTestId('roster-text').fill(ROSTER_CSV);
    await sec.getByText('共 5 人：常委 4，委员 1，候补委员 0').waitFor();
    await sec.getByTestId('roster-import').click();
    await sec.getByText('已导入 5 人。').waitFor();
    await until(async () => (await sec.getByTestId('member-table').locator('tbody tr').count()) === 5, 'five members listed');
    for (const m of (await apiFrom(sec, `/api/meetings/${meetingId}`)).json.members) memberIds.set(m.name, m.id);

    screen = await h.page(await h.context(VIEWPORTS.projector), `/screen/${meetingId}`);
    await visible(screen, 'screen-waiting');
    // The projector names the address tablets reach (the server's public address; here its own, 127.0.0.1).
    await until(async () => (await screen.getByTestId('screen-address').innerText()) === `平板登录地址：${h.url}`, 'the tablets\' address on the projector');
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

  it('names three scrutineers in the 监票人 panel (any two suffice) and gets their slips', async () => {
    await sec.getByTestId('tab-scrutiny').click();
    await visible(sec, 'scrutineer-form');
    expect(await sec.getByTestId('ceremony-status').innerText()).toBe('尚未指定监票人');
    for (const [i, s] of SCRUTINEERS.entries()) await sec.getByTestId(`scrutineer-name-${i}`).fill(s.name);
    await sec.getByTestId('scrutineer-t').fill('2');
    expect(await sec.getByTestId('scrutineer-form').innerText()).toContain('共 3 名监票人；发出选票和计票时，须有其中至少 2 名监票人的设备在线。');
    await h.shot(sec, 'secretary-scrutineers-form', { fullPage: true });
    // A missing name and an impossible threshold are refused in words; nothing is named.
    await sec.getByTestId('scrutineer-name-2').fill('');
    await sec.getByTestId('scrutineer-generate').click();
    await sec.getByTestId('scrutineer-error').getByText('请填写每位监票人的姓名，姓名不能重复。').waitFor();
    await sec.getByTestId('scrutineer-name-2').fill(SCRUTINEERS[2].name);
    // (t > n: the field says so, and the browser's own check of the number field stops the form.)
    await sec.getByTestId('scrutineer-t').fill('4');
    await sec.locator('.threshold-row').getByText('须为 1 到 3 之间的整数。').waitFor();
    await sec.getByTestId('scrutineer-generate').click();
    await sec.getByTestId('scrutineer-t').fill('2');
    expect(await sec.getByTestId('ceremony-status').innerText()).toBe('尚未指定监票人');
    await sec.getByTestId('scrutineer-generate').click();
    await until(async () => (await sec.getByTestId('scrutineer-slips').getByTestId('slip').count()) === 3, 'three scrutineer slips');
    const slips = sec.getByTestId('scrutineer-slips').getByTestId('slip');
    for (const [i, s] of SCRUTINEERS.entries()) {
      const slip = slips.nth(i);
      expect(await slip.getAttribute('data-name')).toBe(s.name);
      expect(await slip.getAttribute('data-role')).toBe('scrutineer');
      expect(await slip.getAttribute('data-code')).toMatch(/^[2-9A-Z]{5}-[2-9A-Z]{5}$/);
      expect(await slip.innerText()).toContain('/scrutineer');
      codes.set(`scrutineer:${s.name}`, (await slip.getAttribute('data-code'))!);
    }
    expect(await sec.getByTestId('ceremony-status').innerText()).toBe('等待监票人登录（0 / 3）');
    await h.shot(sec, 'secretary-scrutineer-slips', { fullPage: true });
    // Printed: the scrutineers' sheet only (not the members' slips still in memory).
    await sec.evaluate(() => (window.print = () => undefined));
    await sec.getByTestId('scrutineer-print').click();
    await sec.emulateMedia({ media: 'print' });
    await sec.setViewportSize({ width: 794, height: 1123 });
    expect(await sec.locator('.print-only .slip').count()).toBe(3);
    expect(await sec.locator('.print-only .slip[data-role="scrutineer"]').count()).toBe(3);
    await h.shot(sec, 'secretary-scrutineer-slips-print');
    await sec.emulateMedia({ media: 'screen' });
    await sec.setViewportSize(VIEWPORTS.secretary);
  });

  it('the three scrutineers sign in on their own devices; the key ceremony runs by itself; every screen shows one 系统校验码', async () => {
    // A made-up code is refused in words.
    const stray = await h.page(await h.context(VIEWPORTS.phone), '/scrutineer');
    await stray.getByTestId('scr-code-input').pressSequentially('ABCDE23456');
    await stray.getByTestId('scr-signin-submit').click();
    await visible(stray, 'scr-signin-error');
    await stray.close();

    for (const [i, s] of SCRUTINEERS.entries()) {
      const code = codes.get(`scrutineer:${s.name}`)!;
      const ctx = await h.context(s.viewport);
      const page = await h.page(ctx, s.via === 'qr' ? `/scrutineer?code=${encodeURIComponent(code)}` : '/scrutineer');
      const d: Device = { name: s.name, index: i + 1, ctx, page, shot: s.shot };
      devices.push(d);
      await visible(page, 'scr-code-input');
      if (s.via === 'qr') {
        expect(await page.getByTestId('scr-code-input').inputValue()).toBe(code);
        expect(new URL(page.url()).search).toBe('');
        await h.shot(page, `scrutineer-signin-qr-${s.shot}`);
      } else {
        await page.getByTestId('scr-code-input').pressSequentially(code.replace('-', '').toLowerCase());
        expect(await page.getByTestId('scr-code-input').inputValue()).toBe(code);
        await h.shot(page, `scrutineer-signin-${s.shot}`);
      }
      await page.getByTestId('scr-signin-submit').click();
      await visible(page, 'scr-confirm-name');
      expect(await page.getByTestId('scr-confirm-name').innerText()).toBe(`您是监票人 ${s.name} 吗？`);
      await h.shot(page, `scrutineer-confirm-${s.shot}`);
      await page.getByTestId('scr-confirm-yes').click();
      await visible(page, 'scr-ceremony');
      expect(await page.getByTestId('scrutineer-name').innerText()).toBe(`监票人 ${s.name}`);
      if (i === 0) {
        // Alone so far: the device waits for the others.
        expect(await page.getByTestId('scr-ceremony').getAttribute('data-status')).toBe('waiting');
        await page.getByText('等待其他监票人登录').waitFor();
        await h.shot(page, `scrutineer-waiting-${s.shot}`);
        await until(async () => (await sec.getByTestId('ceremony-status').innerText()) === '等待监票人登录（1 / 3）', 'one of three signed in');
        await h.shot(sec, 'secretary-scrutineers-waiting');
      }
    }
    // A used scrutineer code does not work twice.
    const again = await h.page(await h.context(VIEWPORTS.phone), '/scrutineer');
    await again.getByTestId('scr-code-input').fill(codes.get('scrutineer:王建国')!);
    await again.getByTestId('scr-signin-submit').click();
    await visible(again, 'scr-signin-error');
    await again.close();

    for (const d of devices) await until(async () => (await d.page.getByTestId('scr-ceremony').getAttribute('data-status')) === 'ready', `${d.name}: keys ready`, 40_000);
    const view = await screenView();
    expect(view.scrutiny.n).toBe(3);
    expect(view.scrutiny.t).toBe(2);
    expect(view.scrutiny.ceremony.status).toBe('ready');
    fingerprint = view.scrutiny.ceremony.fingerprint;
    expect(fingerprint).toMatch(FINGERPRINT);
    // The same code on each device, the console and the projector.
    for (const d of devices) expect(await groupedFingerprint(d.page, 'scr-fingerprint')).toBe(fingerprint);
    await h.shot(devices[0]!.page, 'scrutineer-ready-800x1280');
    await h.shot(devices[1]!.page, 'scrutineer-ready-360x640');
    await until(async () => (await sec.getByTestId('ceremony-status').innerText()) === '密钥已生成', 'console: keys ready');
    expect(await groupedFingerprint(sec, 'sec-fingerprint')).toBe(fingerprint);
    await until(async () => (await sec.getByTestId('lamp-signed-in').evaluateAll((els) => els.map((e) => e.getAttribute('data-on')))).join() === '1,1,1', 'three lamps');
    expect(await sec.getByTestId('scrutiny-panel').innerText()).toContain('密钥已生成，本次会议的监票人不能再更改。');
    expect(await sec.getByTestId('scrutineer-form').count()).toBe(0);
    await sec.evaluate(() => window.scrollTo(0, 0));
    await h.shot(sec, 'secretary-scrutineers-ready');
    await visible(screen, 'screen-fingerprint');
    expect(await groupedFingerprint(screen, 'screen-fingerprint')).toBe(fingerprint);
    expect(await screen.getByTestId('screen-scrutineer').allInnerTexts()).toEqual(SCRUTINEERS.map((s) => expect.stringContaining(s.name)));
  });

  it('creates a decision ballot from the template; without quorum and confirmations it cannot open, and the console says why', async () => {
    await sec.getByTestId('tab-ballots').click();
    await sec.getByTestId('ballot-new').click();
    await sec.getByTestId('item-nominee-0').fill('周八');
    await sec.getByTestId('item-post-0').fill('县财政局局长');
    await sec.getByTestId('item-add').click();
    await sec.getByTestId('item-nominee-1').fill('吴九');
    await sec.getByTestId('item-post-1').fill('县教育局局长');
    expect(await sec.getByTestId('rule-words').innerText()).toContain('以超过应到会常委半数同意为通过。');
    await h.shot(sec, 'secretary-new-ballot', { fullPage: true });
    await sec.getByTestId('ballot-create').click();
    await until(async () => (await sec.getByTestId('ballot-card').getAttribute('data-status')) === 'draft', 'draft ballot');
    expect(await sec.getByTestId('ballot-open').isDisabled()).toBe(true);
    const why = await sec.getByTestId('open-why').innerText();
    expect(why).toContain('到会人数未达到规定（应到 4，实到 0），不能开始投票。');
    expect(why).toContain('等待监票人在各自设备上清点人数、确认到会名单（已确认 0 名，至少需要 2 名）。');
    await h.shot(sec, 'secretary-quorum-not-met');
    ballotId = (await apiFrom(sec, `/api/meetings/${meetingId}`)).json.ballots[0].id;
    // Every device lists the ballot with its attendance; nobody is present: nothing to confirm.
    for (const d of devices) {
      await visible(d.page, 'scr-ballot');
      expect(await d.page.getByTestId('scr-ballot').innerText()).toContain('应到 4 人，实到 0 人');
      expect(await d.page.getByTestId('scr-confirm-attendance').isDisabled()).toBe(true);
    }
  });

  it('three members sign in: a tablet by typing the code, a tablet by the QR link, a phone', async () => {
    await signInTablet('卢海涛', VIEWPORTS.tabletLandscape, 'typed', '1280x800');
    await signInTablet('余洋', VIEWPORTS.tabletPortrait, 'qr', '800x1280');
    await signInTablet('赵秀英', VIEWPORTS.phone, 'typed', '360x640');
    for (const t of tablets) await visible(t.page, 'waiting');
    for (const t of tablets) {
      const cookies = (await t.ctx.cookies()).filter((c) => /piaojue/.test(c.name));
      expect(cookies.map((c) => [c.name, c.secure, c.httpOnly, c.sameSite])).toEqual([['__Host-piaojue_tablet', true, true, 'Strict']]);
    }
    await h.shot(tablet('卢海涛').page, 'tablet-waiting-1280x800');
    await h.shot(tablet('余洋').page, 'tablet-waiting-800x1280');
    await h.shot(tablet('赵秀英').page, 'tablet-waiting-360x640');

    // A used code does not work twice; the message says what to do.
    const extra = await h.page(await h.context(VIEWPORTS.tabletLandscape), '/');
    await extra.getByTestId('code-input').fill(codes.get('卢海涛')!);
    await extra.getByTestId('signin-submit').click();
    await extra.getByTestId('signin-error').getByText('登录码不正确，请核对登录凭条后重新输入；如仍无法登录，请联系会务人员。').waitFor();
    await extra.close();

    await sec.getByTestId('tab-attendance').click();
    await sec.getByTestId('attendance-summary').getByText('已签到 3 人 / 名单 5 人').waitFor();
    // A lost slip: a new code for a member who has not checked in; the old one stops working.
    await sec.getByTestId('reissue-金丽华').click();
    await sec.getByTestId('confirm-ok').click();
    await visible(sec, 'reissued-code');
    const fresh = (await sec.getByTestId('reissued-code').locator('.big-code').innerText()).trim();
    expect(fresh).toMatch(/^[2-9A-Z]{5}-[2-9A-Z]{5}$/);
    expect(fresh).not.toBe(codes.get('金丽华'));
    codes.set('金丽华', fresh);
    await h.shot(sec, 'secretary-attendance', { fullPage: true });
    await until(async () => (await screen.getByTestId('screen-attendance').innerText()).includes('已签到 3 人'), 'projector attendance');
    await h.shot(screen, 'projector-waiting-1920x1080');
  });

  it('each scrutineer counts heads on their own device; 开始投票 stays disabled until two of them confirmed', async () => {
    await sec.getByTestId('tab-ballots').click();
    for (const d of devices) await until(async () => (await d.page.getByTestId('scr-ballot').innerText()).includes('应到 4 人，实到 3 人'), `${d.name}: three present`);
    const list = await devices[1]!.page.getByTestId('scr-members').innerText();
    for (const name of ['卢海涛', '余洋', '赵秀英', '金丽华']) expect(list).toContain(name);
    expect(list).not.toContain('夏志强'); // not a standing member: not entitled to this ballot
    await h.shot(devices[0]!.page, 'scrutineer-count-800x1280');
    await devices[1]!.page.getByTestId('scr-ballot').scrollIntoViewIfNeeded();
    await h.shot(devices[1]!.page, 'scrutineer-count-360x640');
    expect(await sec.getByTestId('confirmations').innerText()).toBe('监票人确认 0 / 2');

    await confirmAttendance(devices[0]!, 3);
    await until(async () => (await sec.getByTestId('confirmations').innerText()) === '监票人确认 1 / 2', 'one confirmation on the console');
    expect(await sec.getByTestId('ballot-open').isDisabled()).toBe(true);
    expect(await sec.getByTestId('open-why').innerText()).toContain('已确认 1 名，至少需要 2 名');
    await h.shot(sec, 'secretary-confirmations', { fullPage: true });
    // The server refuses too (not only the button).
    const early = await apiPost(sec, `/api/ballots/${ballotId}/open`, {});
    expect(early.status).toBe(409);
    expect(early.json.error).toBe('NOT_CONFIRMED');

    await confirmAttendance(devices[1]!, 3);
    await until(async () => !(await sec.getByTestId('ballot-open').isDisabled()), '开始投票 enabled');
    expect(await sec.getByTestId('open-why').count()).toBe(0);
    await h.shot(devices[1]!.page, 'scrutineer-confirmed-360x640');
    await confirmAttendance(devices[2]!, 3);
    await until(async () => (await sec.getByTestId('confirmations').innerText()) === '监票人确认 3 / 2', 'three confirmations');
    await h.shot(sec, 'secretary-ready-to-open', { fullPage: true });
  });

  it('the ballot opens; every tablet gets its token from the scrutineers’ devices and shows the same 系统校验码', async () => {
    await sec.getByTestId('ballot-open').click();
    await until(async () => (await sec.getByTestId('ballot-card').getAttribute('data-status')) === 'open', 'open ballot');
    for (const t of tablets) await visible(t.page, 'ballot', 30_000);
    const view = await screenView();
    expect(view.ballots[0].fingerprint).toBe(fingerprint);
    expect(view.scrutiny.ceremony.fingerprint).toBe(fingerprint);
    // Each tablet computed the fingerprint itself from the ceremony record: the devices' and the projector's.
    for (const t of tablets) {
      expect(await t.page.getByTestId('fingerprint').getAttribute('data-fingerprint')).toBe(fingerprint);
      expect(await t.page.getByTestId('fingerprint').innerText()).toContain('请与大屏幕核对');
    }
    expect(await groupedFingerprint(screen, 'screen-fingerprint')).toBe(fingerprint);
    await until(() => tablets.every((t) => signers.get(t.name)?.length === 1), 'each tablet combined one signature');
    // Each device shows only how many it signed.
    for (const d of devices) await until(async () => (await d.page.getByTestId('scr-issued').innerText()).includes('已签发'), `${d.name}: issuing`);
    await until(async () => (await Promise.all(devices.map(deviceBallot))).reduce((n, b) => n + b.issuedByMe, 0) >= 6, 'at least two signatures per tablet');
    await h.shot(devices[0]!.page, 'scrutineer-open-800x1280');
    await h.shot(devices[2]!.page, 'scrutineer-open-360x640');
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
    await until(async () => (await ballotView()).cast === 2, 'two casts');
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

  it('the third scrutineer’s device goes offline; a lost phone is re-issued: its new phone waits for 同意补发 on the two devices left, then gets its token from them', async () => {
    // Mid-meeting the third device leaves the network: two of three must carry the meeting to the end.
    const gone = devices[2]!;
    await gone.ctx.setOffline(true);
    await visible(gone.page, 'scr-ceremony');
    await gone.page.getByText('网络暂时不通，正在自动重试…').first().waitFor({ timeout: 20_000 });
    await gone.page.evaluate(() => window.scrollTo(0, 0));
    await h.shot(gone.page, 'scrutineer-offline-360x640');

    // 赵秀英's phone (token in hand, nothing cast) is lost.
    const old = tablet('赵秀英');
    await old.ctx.close();
    tablets.splice(tablets.indexOf(old), 1);
    // The secretary gives her a new code (the old phone's session ends).
    await sec.getByTestId('tab-attendance').click();
    await sec.getByTestId('reissue-赵秀英').click();
    await sec.getByTestId('confirm-ok').click();
    await until(async () => (await sec.getByTestId('reissued-code').innerText()).includes('赵秀英'), 'new code for 赵秀英');
    codes.set('赵秀英', (await sec.getByTestId('reissued-code').locator('.big-code').innerText()).trim());
    // Her new phone, signed in before the ballot was re-issued: the server holds her first
    // token request, so this phone cannot get one and says so.
    const { page } = await signInTablet('赵秀英', VIEWPORTS.phone, 'typed');
    await visible(page, 'lost-ballot', 20_000);
    expect(await page.getByTestId('lost-ballot').innerText()).toContain('请联系会务人员重新发放选票');
    await h.shot(page, 'tablet-lost-360x640');
    // 重新发放选票 on the console. The console refreshes every 3 s while the ballot is open: the
    // secretary's pick survives the refresh (it used to snap back to 选择人员).
    await sec.getByTestId('tab-ballots').click();
    const reissue = sec.locator('details.reissue');
    await reissue.locator('summary').click();
    expect(await reissue.innerText()).toContain('仅在平板遗失或损坏时使用');
    const pick = reissue.getByLabel('选择人员');
    await pick.selectOption(memberIds.get('赵秀英')!);
    for (let i = 0; i < 2; i++) {
      const refreshed = await sec.waitForResponse((r) => r.url() === `${h.url}/api/meetings/${meetingId}` && r.request().method() === 'GET', { timeout: 10_000 });
      await refreshed.finished();
      await sec.waitForTimeout(300);
      expect(await pick.inputValue()).toBe(memberIds.get('赵秀英'));
      expect(await pick.evaluate((el: HTMLSelectElement) => el.selectedOptions[0]?.textContent)).toBe('赵秀英（常委）');
    }
    await reissue.getByRole('button', { name: '重新发放选票' }).click();
    await sec.getByText('已允许 赵秀英 再领取一张选票。').waitFor();
    await h.shot(sec, 'secretary-reissue', { fullPage: true });
    // The phone notices the re-issue by itself (no reload) and asks again.
    await until(async () => (await page.getByTestId('ballot-status').innerText()).includes('正在领取选票'), 'the new phone asks again', 15_000);
    expect(await page.getByTestId('lost-ballot').count()).toBe(0);

    // The new phone asks for a token; no device signs a second token without 同意补发.
    for (const d of online()) {
      await d.page.getByTestId('scr-reissue').waitFor({ timeout: 20_000 });
      expect(await d.page.getByTestId('scr-reissue').innerText()).toContain('补发申请：赵秀英');
    }
    await h.shot(devices[0]!.page, 'scrutineer-reissue-800x1280');
    await devices[1]!.page.getByTestId('scr-reissue').scrollIntoViewIfNeeded();
    await h.shot(devices[1]!.page, 'scrutineer-reissue-360x640');
    expect(await page.getByTestId('ballot').count()).toBe(0);
    await h.shot(page, 'tablet-preparing-360x640');

    // One approval is not enough (t = 2) ...
    await devices[0]!.page.getByTestId('scr-reissue-approve').click();
    await devices[0]!.page.getByTestId('confirm-dialog').getByText('同意为 赵秀英 补发一张选票？').waitFor();
    await devices[0]!.page.getByTestId('confirm-ok').click();
    await until(async () => (await devices[0]!.page.getByTestId('scr-reissue').count()) === 0, 'first approval');
    await page.waitForTimeout(2500);
    expect(await page.getByTestId('ballot').count()).toBe(0);
    // ... the second is.
    await devices[1]!.page.getByTestId('scr-reissue-approve').click();
    await devices[1]!.page.getByTestId('confirm-ok').click();
    await visible(page, 'ballot', 30_000);
    expect(await page.getByTestId('fingerprint').getAttribute('data-fingerprint')).toBe(fingerprint);
    expect(signers.get('赵秀英')).toEqual([[1, 2]]);
  });

  it('a phone offline at cast time retries and succeeds once back online', async () => {
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
    await until(async () => (await ballotView()).cast === 3, 'three casts');
  });

  it('a member arriving late shows as 新到会 on the devices and is signed for only after they confirm the list again', async () => {
    // Meanwhile the first scrutineer's page was closed by mistake: reopened in the same browser,
    // it goes on from the state it stored (no code needed) and still counts as confirmed.
    const first = devices[0]!;
    await first.page.close();
    first.page = await h.page(first.ctx, '/scrutineer');
    await visible(first.page, 'scr-issued', 20_000);
    expect(await groupedFingerprint(first.page, 'scr-fingerprint')).toBe(fingerprint);
    await visible(first.page, 'scr-confirmed');

    const { page } = await signInTablet('金丽华', VIEWPORTS.tabletPortrait, 'qr');
    for (const d of online()) {
      const card = d.page.getByTestId('scr-ballot');
      await until(async () => (await card.innerText()).includes('实到 4 人'), `${d.name}: four present`);
      await card.getByText('新到会').waitFor();
      expect(await card.innerText()).toContain('以下人员在您确认后到会：金丽华。');
      expect(await card.getByTestId('scr-confirm-attendance').isEnabled()).toBe(true);
    }
    await h.shot(devices[0]!.page, 'scrutineer-late-800x1280');
    await devices[1]!.page.getByText('新到会').scrollIntoViewIfNeeded();
    await h.shot(devices[1]!.page, 'scrutineer-late-360x640');
    // Her tablet has asked; the devices see the request and sign nothing for her: the server's
    // long poll (10 s) ends without a partial signature, and the tablet says it is waiting.
    await until(async () => (await ballotView()).issued === 4, 'her request recorded');
    const before = await Promise.all(online().map(deviceBallot));
    await visible(page, 'issue-waiting', 20_000);
    expect(await page.getByTestId('issue-waiting').innerText()).toBe('正在等待监票人的设备签发选票，请稍候…');
    expect((await Promise.all(online().map(deviceBallot))).map((b) => b.issuedByMe)).toEqual(before.map((b) => b.issuedByMe));
    expect(await page.getByTestId('ballot').count()).toBe(0);
    await h.shot(page, 'tablet-preparing-800x1280');

    await confirmAttendance(devices[0]!, 4);
    await until(async () => (await deviceBallot(devices[0]!)).issuedByMe === before[0]!.issuedByMe + 1, 'the first device signed for her');
    await page.waitForTimeout(1000);
    expect(await page.getByTestId('ballot').count()).toBe(0); // one partial of two
    await confirmAttendance(devices[1]!, 4);
    await visible(page, 'ballot', 30_000);
    expect(await page.getByTestId('fingerprint').getAttribute('data-fingerprint')).toBe(fingerprint);
    expect(signers.get('金丽华')).toEqual([[1, 2]]);
    await vote(page, ['disagree', 'agree']);
    await visible(page, 'cast-done');
    await until(async () => (await ballotView()).cast === 4, 'four casts');
  });

  it('every cast looks the same on the wire, and no count exists anywhere before the close', async () => {
    // No cookie, no referrer, no header of the page's own (not its Accept-Language either: only
    // the browser's default), one body size.
    expect(new Set(anonRequests.map((c) => c.name))).toEqual(new Set(['卢海涛', '余洋', '赵秀英', '金丽华']));
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
    expect([...shapes], [...shapes].join('\n')).toHaveLength(1);
    await until(async () => (await sec.getByTestId('cast-of').innerText()) === '已投 4 / 应参加 4', 'console: 已投 4 / 应参加 4');
    await until(async () => (await screen.getByTestId('screen-progress').innerText()) === '已投 4 / 应参加 4', 'projector: 已投 4 / 应参加 4');
    await h.shot(sec, 'secretary-open', { fullPage: true });
    await expectNoResultAnywhere();
  });

  it('closes the ballot; the two scrutineers still online check the number of ballots returned and decrypt the totals; the result is published', async () => {
    await sec.getByTestId('ballot-close').click();
    await sec.getByTestId('confirm-ok').click();
    await until(async () => (await ballotView()).status === 'closed', 'closed');
    for (const t of tablets) await visible(t.page, 'awaiting-result', 30_000);
    await h.shot(tablet('卢海涛').page, 'tablet-closed-1280x800');
    // Each device shows how many sealed ballots it was given (收回选票), to compare with the room.
    for (const d of online()) {
      await visible(d.page, 'scr-cast-count', 30_000);
      expect(await d.page.getByTestId('scr-cast-count').innerText()).toBe('收回选票 4 张');
    }
    await h.shot(devices[0]!.page, 'scrutineer-closed-800x1280');
    await devices[1]!.page.getByTestId('scr-decrypt').scrollIntoViewIfNeeded();
    await h.shot(devices[1]!.page, 'scrutineer-closed-360x640');
    await until(async () => (await sec.getByTestId('decrypted-of').innerText()) === '等待监票人解密（0 / 2）', 'console: 0 / 2');
    await expectNoResultAnywhere();

    // The first scrutineer confirms: one share of two, nothing is published yet.
    await devices[0]!.page.getByTestId('scr-decrypt').click();
    await visible(devices[0]!.page, 'scr-decrypted', 30_000);
    await until(async () => (await ballotView()).decryptions === 1, 'one decryption share');
    await until(async () => (await sec.getByTestId('decrypted-of').innerText()) === '等待监票人解密（1 / 2）', 'console: 1 / 2');
    await h.shot(devices[0]!.page, 'scrutineer-decrypted-800x1280');
    await h.shot(sec, 'secretary-decrypting');
    await until(async () => (await screen.getByTestId('screen-progress').innerText()) === '投票已结束，正在计票：监票人解密 1 / 2', 'projector: decrypting 1 / 2');
    await h.shot(screen, 'projector-decrypting-1920x1080');
    await expectNoResultAnywhere();

    // The second: t = 2 shares, the server counts and publishes.
    await devices[1]!.page.getByTestId('scr-decrypt').click();
    await until(async () => (await ballotView()).status === 'published', 'published', 30_000);
    const b = await ballotView();
    expect(b.decryptions).toBe(2);
    expect(b.result.cast).toBe(4);
    expect(b.result.items.map((i: { counts: unknown }) => i.counts)).toEqual([
      { agree: 3, disagree: 1, abstain: 0 },
      { agree: 2, disagree: 1, abstain: 1 },
    ]);
    expect(b.result.items.map((i: { outcome: string }) => i.outcome)).toEqual(['passed', 'failed']);
    // The totals were decrypted by devices 1 and 2: the offline one took no part.
    const bundle = (await apiFrom(screen, `/api/ballots/${ballotId}/bundle`)).json;
    expect(bundle.decryption.map((d: { index: number }) => d.index).sort()).toEqual([1, 2]);

    await until(async () => (await sec.getByTestId('ballot-card').getAttribute('data-status')) === 'published', 'published on the console');
    const table = sec.getByTestId('result-table');
    expect(await table.getByTestId('outcome').allInnerTexts()).toEqual(['通过', '未通过']);
    const text = await table.innerText();
    expect(text).toContain('同意 3 票，超过应到会常委 4 人的半数，通过');
    expect(text).toContain('同意 2 票，未超过应到会常委 4 人的半数，未通过');
    // The console shows the offline device as 离线.
    await until(async () => (await sec.getByTestId('scrutineer-chip').nth(2).innerText()).includes('离线'), 'third device offline on the console', 30_000);
    await h.shot(sec, 'secretary-result', { fullPage: true });
    await screen.getByTestId('result-table').waitFor();
    expect(await screen.getByTestId('result-table').getByTestId('outcome').allInnerTexts()).toEqual(['通过', '未通过']);
    await h.shot(screen, 'projector-result-1920x1080');
    for (const d of online()) await d.page.getByText('结果已公布，请看投影屏幕。').waitFor();
    await h.shot(devices[1]!.page, 'scrutineer-published-360x640');
    // Back on the network, the third device catches up: nothing is left for it to do.
    await devices[2]!.ctx.setOffline(false);
    await devices[2]!.page.getByText('结果已公布，请看投影屏幕。').waitFor({ timeout: 30_000 });
    expect((await deviceBallot(devices[2]!)).decrypted).toBe(false);
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
    expect(states).toHaveLength(21);
    // SERVER_KEY without a pinned key and ROUND without a previous round's bundle do not run.
    for (const s of states) expect(s === 'check-SERVER_KEY=skip' || s === 'check-ROUND=skip' || s.endsWith('=pass'), s).toBe(true);
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

  it('ending the meeting signs the tablets and the scrutineer devices out and erases what they kept, key shares included', async () => {
    await sec.getByTestId('end-meeting').click();
    expect(await sec.getByTestId('confirm-dialog').locator('.modal-text').innerText()).toBe(
      '确定结束本次会议吗？会议结束后，所有登录码作废，参会人员的平板和监票人的设备自动退出登录，不能再进行表决。此操作不可撤销。',
    );
    await h.shot(sec, 'secretary-end-confirm');
    await sec.getByTestId('confirm-ok').click();
    await sec.getByText('本次会议已结束。').waitFor();
    for (const t of tablets) await visible(t.page, 'ended', 30_000);
    await h.shot(tablet('卢海涛').page, 'tablet-ended-1280x800');
    for (const t of tablets) {
      const left = await t.page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('piaojue.ballot.')));
      expect(left).toEqual([]);
    }
    for (const d of devices) {
      await visible(d.page, 'scr-ended', 30_000);
      const left = await d.page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('piaojue.scrutineer.') && k !== 'piaojue.scrutineer.window'));
      expect(left, d.name).toEqual([]);
    }
    await h.shot(devices[1]!.page, 'scrutineer-ended-360x640');
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
      const res = await passOn(route);
      const json = await res.json();
      for (const b of Array.isArray(json?.ballots) ? json.ballots : []) if (b.publicKey) b.publicKey = forgedKey;
      await route.fulfill({ status: res.status, headers: Object.fromEntries(res.headers), json });
    });
    attacked.on('request', (r) => {
      if (/\/api\/ballots\/[^/]+\/issue$/.test(r.url()) || r.url().includes('/api/anon/')) issueRequests.push(r.url());
    });
    const honest = await h.page(await h.context(VIEWPORTS.phone));
    // A third tablet is handed a bundle from which its cast was removed (the signature no longer holds).
    const misled = await h.page(await h.context(VIEWPORTS.tabletPortrait));
    await misled.route('**/api/ballots/*/bundle', async (route) => {
      const res = await passOn(route);
      const json = await res.json();
      if (Array.isArray(json?.ballots)) json.ballots = [];
      await route.fulfill({ status: res.status, headers: Object.fromEntries(res.headers), json });
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
    // In words, never the check's raw status ("bad-bundle"), in the member's language.
    const alarm = await misled.getByTestId('not-counted').innerText();
    expect(alarm).toContain('公布的审计包未通过服务器签名校验');
    expect(alarm).toContain('请在会议结束前告知监票人，并出示回执码');
    expect(alarm).not.toMatch(/bad-bundle|[A-Za-z]{2,}/);
    await misled.getByRole('button', { name: '切换语言' }).click();
    const alarmEn = await misled.getByTestId('not-counted').innerText();
    expect(alarmEn).toContain('failed the server signature check');
    expect(alarmEn).toContain('Tell the scrutineers before the meeting ends');
    expect(alarmEn).not.toContain('bad-bundle');
    await h.shot(misled, 'tablet-not-counted-en-800x1280');
    await misled.getByRole('button', { name: 'Switch language' }).click();
    await misled.getByTestId('not-counted').getByText('请在会议结束前告知监票人').waitFor();
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
