// Roster files through the roster page, as an organization department's secretary has them: the
// template downloads (Excel and CSV); the sample roster saved by Chinese Excel as a GBK CSV with
// the header 姓名,类别,职务, and the same roster as an XLSX workbook, each upload as their bytes
// and import all 48 members exactly; pasted lines with errors are listed in words; a re-import that would void issued sign-in slips asks first
// with the count (cancel changes nothing); a file that is no roster says what to do.
import { readFileSync } from 'node:fs';
import * as XLSX from '@e965/xlsx';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFrom, apiPost, startHarness, until, VIEWPORTS, visible, signInAndCreateMeeting, type Harness } from './harness.ts';

const SAMPLES = new URL('../../samples/', import.meta.url);
const sample = (name: string) => readFileSync(new URL(name, SAMPLES));
const SAMPLE = JSON.parse(sample('county-committee.json').toString('utf8')).members as { name: string; kind: string; title: string }[];
const COUNT = '共 48 人：常委 11，委员 29，候补委员 8';

let h: Harness;
let sec: Page;
let meetingId = '';

beforeAll(async () => {
  h = await startHarness();
}, 120_000);
afterAll(async () => {
  await h?.close();
});

const members = async () => (await apiFrom(sec, `/api/meetings/${meetingId}`)).json.members as { name: string; kind: string; title: string; hasCode: boolean }[];
const rows = (ms: { name: string; kind: string; title: string }[]) => ms.map((m) => ({ name: m.name, kind: m.kind, title: m.title }));

/** No hover or focus ring left on a button before a screenshot. */
async function still(): Promise<void> {
  await sec.mouse.move(1, 1);
  await sec.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
}

async function upload(name: string, mimeType: string, buffer: Buffer): Promise<void> {
  await sec.getByTestId('roster-file').setInputFiles({ name, mimeType, buffer });
}

describe('roster files on the roster page', () => {
  it('the secretary signs in and creates a meeting; the roster page offers the template as Excel and CSV', async () => {
    sec = await h.page(await h.context(VIEWPORTS.secretary), '/secretary');
    meetingId = await signInAndCreateMeeting(sec, '（示例）某县第十五届县委第三次全体会议');
    await visible(sec, 'roster-template');
    expect(await sec.getByTestId('roster-template').innerText()).toContain('没有现成名单文件？下载模板填写');

    const [xlsx] = await Promise.all([sec.waitForEvent('download'), sec.getByTestId('roster-template-xlsx').click()]);
    expect(xlsx.suggestedFilename()).toBe('名单模板.xlsx');
    const wb = XLSX.read(readFileSync((await xlsx.path())!), { type: 'buffer' });
    expect(XLSX.utils.sheet_to_json(wb.Sheets[wb.SheetNames[0]!]!, { header: 1 })).toEqual([
      ['姓名', '类别', '职务'], ['张三', '常委', '县委常委、组织部部长'], ['李四', '委员', '县人大常委会副主任'],
    ]);
    const [csv] = await Promise.all([sec.waitForEvent('download'), sec.getByTestId('roster-template-csv').click()]);
    expect(csv.suggestedFilename()).toBe('名单模板.csv');
    const csvBytes = readFileSync((await csv.path())!);
    expect([...csvBytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // Excel opens it as UTF-8 without asking
    expect(csvBytes.subarray(3).toString('utf8').split('\r\n')[0]).toBe('姓名,类别,职务');
  });

  it('pasted text with the Chinese header: every bad line listed in words, the import disabled', async () => {
    await sec.getByTestId('roster-text').fill(['姓名,类别,职务', '卢海涛,常委,县委书记', '余洋,书记,县长', ',常委,县委常委', '卢海涛,委员,县委委员'].join('\n'));
    await visible(sec, 'roster-error');
    const errors = await sec.getByTestId('roster-error').innerText();
    for (const line of ['名单有错误，请按提示逐行修改后再导入。', '第 3 行：类别须填写 常委、委员、候补委员 或 参会人员', '第 4 行：姓名须为 1–100 个字', '第 5 行：姓名重复（与第 2 行相同）'])
      expect(errors).toContain(line);
    expect(await sec.getByTestId('roster-import').isDisabled()).toBe(true);
    await still();
    await h.shot(sec, 'secretary-roster-line-errors', { fullPage: true });
  });

  it('a GBK CSV saved by Chinese Excel (header 姓名,类别,职务) previews and imports the 48 members of the sample exactly', async () => {
    await upload('县委委员名单.csv', 'text/csv', sample('county-committee-gbk.csv'));
    await sec.getByText(COUNT).waitFor();
    expect(await sec.getByTestId('roster-text').count()).toBe(0); // the file replaces the pasted text
    expect(await sec.getByTestId('roster-file-info').innerText()).toContain('已选择文件：县委委员名单.csv · CSV 文件 · GBK/GB18030 编码');
    expect(await sec.getByTestId('roster-error').count()).toBe(0);
    await sec.getByText('县委副书记、县长').first().waitFor(); // decoded, not mojibake
    await still();
    await h.shot(sec, 'secretary-roster-files');
    // The same on a tablet held landscape (the console is used on one in small rooms).
    await sec.setViewportSize({ width: 1024, height: 768 });
    await h.shot(sec, 'secretary-roster-files-1024x768');
    await sec.setViewportSize(VIEWPORTS.secretary);
    await sec.getByTestId('roster-import').click();
    await sec.getByText('已导入 48 人。').waitFor();
    await until(async () => (await sec.getByTestId('member-table').locator('tbody tr').count()) === 48, '48 members listed');
    expect(rows(await members())).toEqual(SAMPLE);
    expect(await sec.getByTestId('roster-file-info').count()).toBe(0); // the file is cleared after the import
    expect(await sec.getByTestId('roster-text').inputValue()).toBe('');
  });

  it('with slips issued, the XLSX re-import asks first with the count; cancel changes nothing, confirm imports the 48 and voids the slips', async () => {
    expect((await apiPost(sec, `/api/meetings/${meetingId}/codes`, {})).json.codes).toHaveLength(48);
    await upload('县委委员名单.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', sample('county-committee.xlsx'));
    await sec.getByText(COUNT).waitFor();
    expect(await sec.getByTestId('roster-file-info').innerText()).toContain('Excel 工作簿');
    expect(await sec.getByTestId('roster-void-warning').innerText()).toContain('已发放 48 张登录凭条');
    await sec.getByTestId('roster-import').click();
    await visible(sec, 'confirm-dialog');
    expect(await sec.getByTestId('confirm-dialog').innerText()).toContain('重新导入名单将使已发放的 48 张登录凭条作废，是否继续？');
    await h.shot(sec, 'secretary-roster-void-confirm');
    await sec.getByTestId('confirm-cancel').click();
    expect((await members()).every((m) => m.hasCode)).toBe(true);

    await sec.getByTestId('roster-import').click();
    await sec.getByTestId('confirm-ok').click();
    await sec.getByText('已导入 48 人，原 48 张登录凭条已作废').waitFor();
    const after = await members();
    expect(rows(after)).toEqual(SAMPLE);
    expect(after.some((m) => m.hasCode)).toBe(false);
  });

  it('a file that is no roster says what to do, in the chosen language, and changes nothing', async () => {
    const before = await members();
    await upload('照片.png', 'image/png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]));
    await visible(sec, 'roster-error');
    expect(await sec.getByTestId('roster-error').innerText()).toContain('无法识别文件的文字编码，或这不是名单文件。请在 Excel 中“另存为”CSV UTF-8');
    expect(await sec.getByTestId('roster-import').isDisabled()).toBe(true);
    await upload('旧名单.xls', 'application/vnd.ms-excel', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0]));
    await sec.getByText('这是旧版 Excel 文件（.xls）').waitFor();
    await sec.locator('.lang-switch').first().click(); // to English
    await sec.getByTestId('roster-file-clear').click();
    await upload('photo.png', 'image/png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
    await sec.getByText('The file’s text encoding is not recognised, or it is not a roster file.').waitFor();
    await sec.locator('.lang-switch').first().click(); // back to Chinese
    expect(await members()).toEqual(before);
    expect(h.problems).toEqual([]);
  });
});
