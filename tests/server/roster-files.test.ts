// Roster files as offices have them (server/roster-file.ts): the sample roster as a GBK CSV with
// the Chinese header, as a UTF-8 CSV with a BOM and as an XLSX workbook imports exactly as the
// JSON sample; headers in any order and language; bad bytes (neither UTF-8 nor GB18030, an old
// .xls, a zip that is no workbook, a file over the limit) are refused with a stable code and
// change nothing; a re-import that would void issued sign-in slips asks first, with the count;
// the template downloads as CSV (UTF-8 with BOM) and XLSX, and imports as the roster it shows.
import { readFileSync } from 'node:fs';
import * as XLSX from '@e965/xlsx';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleFiles, SAMPLES } from '../../scripts/sample-files.ts';
import { ApiError } from '../../server/errors.ts';
import { MAX_ROSTER_FILE, parseRosterFile, rosterWorkbook } from '../../server/roster-file.ts';
import { expectError, Jar, roster, setupMeeting, signIn, startTestServer, stateOf, type TestServer } from '../helpers/server.ts';

const sample = (name: string) => readFileSync(new URL(name, SAMPLES));
const SAMPLE = JSON.parse(sample('county-committee.json').toString('utf8')).members as { name: string; kind: string; title: string }[];
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const utf8 = (s: string) => new TextEncoder().encode(s);

let server: TestServer;
let sec: Jar;
beforeAll(async () => {
  server = await startTestServer();
  sec = await signIn(server);
});
afterAll(async () => server?.dispose());

async function newMeeting(title: string): Promise<string> {
  return (await sec.ok('POST', '/api/meetings', { title })).meeting.id;
}
const rows = (members: { name: string; kind: string; title: string }[]) => members.map((m) => ({ name: m.name, kind: m.kind, title: m.title }));

describe('the sample roster as files', () => {
  it('the committed XLSX and GBK CSV are what scripts/make-samples.ts builds from the CSV', () => {
    for (const [name, bytes] of Object.entries(sampleFiles())) expect(Buffer.compare(sample(name), Buffer.from(bytes)), name).toBe(0);
  });

  it('a GBK CSV with the Chinese header (not valid UTF-8) imports exactly the JSON sample: 48 members', async () => {
    const gbk = sample('county-committee-gbk.csv');
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(gbk)).toThrow();
    expect(gbk.subarray(0, 4)).toEqual(Buffer.from([0xd0, 0xd5, 0xc3, 0xfb])); // 姓名 in GBK
    const mid = await newMeeting('GBK 名单');
    const preview = await sec.ok('POST', `/api/meetings/${mid}/roster/preview`, { file: b64(gbk) });
    expect(preview).toMatchObject({ file: { format: 'csv', encoding: 'gb18030' }, problems: [], codesIssued: 0 });
    expect(preview.lines[0]).toEqual({ line: 2, name: '卢海涛', kind: '常委', title: '县委书记', category: '' });
    const { members } = await sec.ok('POST', `/api/meetings/${mid}/roster`, { file: b64(gbk) });
    expect(rows(members)).toEqual(SAMPLE);
    expect(SAMPLE).toHaveLength(48);
  });

  it('a UTF-8 CSV with a BOM, and without one, imports exactly the JSON sample', async () => {
    const csv = sample('county-committee.csv');
    for (const [bytes, encoding] of [[Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), csv]), 'utf-8-bom'], [csv, 'utf-8']] as const) {
      const mid = await newMeeting(`UTF-8 名单 ${encoding}`);
      const preview = await sec.ok('POST', `/api/meetings/${mid}/roster/preview`, { file: b64(bytes) });
      expect(preview.file).toEqual({ format: 'csv', encoding });
      expect(preview.lines[0].name).toBe('卢海涛'); // no BOM left on the first field
      expect(rows((await sec.ok('POST', `/api/meetings/${mid}/roster`, { file: b64(bytes) })).members)).toEqual(SAMPLE);
    }
  });

  it('the XLSX workbook (a title row above the Chinese header) imports exactly the JSON sample; lines are Excel row numbers', async () => {
    const mid = await newMeeting('XLSX 名单');
    const xlsx = sample('county-committee.xlsx');
    const preview = await sec.ok('POST', `/api/meetings/${mid}/roster/preview`, { file: b64(xlsx) });
    expect(preview).toMatchObject({ file: { format: 'xlsx', encoding: null }, problems: [] });
    expect(preview.lines[0]).toEqual({ line: 4, name: '卢海涛', kind: '常委', title: '县委书记', category: '' });
    expect(rows((await sec.ok('POST', `/api/meetings/${mid}/roster`, { file: b64(xlsx) })).members)).toEqual(SAMPLE);
  });

  it('a JSON file (as samples/county-committee.json) imports as the JSON body does; bad JSON is one problem', async () => {
    const mid = await newMeeting('JSON 文件');
    expect(rows((await sec.ok('POST', `/api/meetings/${mid}/roster`, { file: b64(sample('county-committee.json')) })).members)).toEqual(SAMPLE);
    const bad = await sec.post(`/api/meetings/${mid}/roster/preview`, { file: b64(utf8('{"members": [')) });
    expect(bad.json.problems).toEqual([{ line: 0, code: 'JSON', error: 'JSON 格式不正确，请检查文件，或改用 CSV、Excel 文件' }]);
  });
});

describe('headers and kinds', () => {
  it('columns in any order, Chinese or English, spaced Chinese headers, 序号 read past, 参会类别 for participants, cells pasted from Excel', async () => {
    const mid = await newMeeting('列顺序');
    const csv = ['序号,职务,类别,姓　名,参会类别', '1,县长,常委,甲,', '2,,Participant,乙,群众代表', '3,委员,常务委员,丙,'].join('\r\n');
    const { members } = await sec.ok('POST', `/api/meetings/${mid}/roster`, { csv });
    expect(members.map((m: { name: string; kind: string; title: string; category: string | null }) => [m.name, m.kind, m.title, m.category])).toEqual([
      ['甲', 'standing', '县长', null], ['乙', 'participant', '', '群众代表'], ['丙', 'standing', '委员', null],
    ]);
    // Cells copied from Excel and pasted are tab-separated (a title may hold a comma then).
    const pasted = await sec.ok('POST', `/api/meetings/${mid}/roster`, { csv: '姓名\t类别\t职务\r\n己\t委员\t县委委员，县长\r\n庚\t常委\t"县委常委\t组织部部长"' });
    expect(pasted.members.map((m: { name: string; title: string }) => [m.name, m.title])).toEqual([['己', '县委委员，县长'], ['庚', '县委常委\t组织部部长']]);
    const xlsx = rosterWorkbook([['Kind', 'NAME'], ['full', '丁'], ['候补委员', '戊']]);
    const viaXlsx = await sec.ok('POST', `/api/meetings/${mid}/roster`, { file: b64(xlsx) });
    expect(viaXlsx.members.map((m: { name: string; kind: string }) => [m.name, m.kind])).toEqual([['丁', 'full'], ['戊', 'alternate']]);
  });

  it('a bad header says what the first line must be, in the caller\'s language; an unknown or repeated column is named', async () => {
    const mid = await newMeeting('首行错误');
    const before = stateOf(server.dbPath);
    const header = await sec.post(`/api/meetings/${mid}/roster`, { csv: '名字,级别\n张三,常委' });
    expectError(header, 'ROSTER_INVALID');
    expect(header.json.lines).toEqual([{ line: 1, code: 'HEADER', error: '首行为“姓名,类别,职务”，类别填写 常委/委员/候补委员（参会人员名单可再加一列“参会类别”）' }]);
    const en = await sec.post(`/api/meetings/${mid}/roster`, { csv: '姓名,职务\n张三,县长' }, { lang: 'en' });
    expect(en.json.lines).toEqual([{ line: 1, code: 'HEADER', error: 'the first line must be “name,kind,title” (or 姓名,类别,职务), kind one of standing/full/alternate (常委/委员/候补委员); a participants’ roster may add a column “category” (参会类别)' }]);
    const column = await sec.post(`/api/meetings/${mid}/roster`, { csv: '姓名,类别,电话\n张三,常委,123' });
    expect(column.json.lines.map((l: { code: string }) => l.code)).toEqual(['COLUMN']);
    expect(column.json.lines[0].error).toMatch(/^首行有无法识别或重复的列“电话”。首行为“姓名,类别,职务”/);
    const twice = await sec.post(`/api/meetings/${mid}/roster`, { csv: '姓名,类别,name\n张三,常委,李四' });
    expect(twice.json.lines[0]).toMatchObject({ line: 1, code: 'COLUMN' });
    // Text under no column is not dropped silently.
    const extra = await sec.post(`/api/meetings/${mid}/roster`, { csv: '姓名,类别,职务\n张三,常委,县长,13800000000' });
    expect(extra.json.lines).toEqual([{ line: 2, code: 'FIELDS', error: '本行有首行未列出的内容（首行共 3 列），或引号未成对' }]);
    const kind = await sec.post(`/api/meetings/${mid}/roster`, { csv: '姓名,类别\n张三,书记' });
    expect(kind.json.lines).toEqual([{ line: 2, code: 'KIND', error: '类别须填写 常委、委员、候补委员 或 参会人员' }]);
    expect(stateOf(server.dbPath)).toEqual(before);
  });
});

describe('bad files are refused with a stable code and change nothing', () => {
  it('neither UTF-8 nor GB18030, UTF-16, binary, an old .xls, a zip that is no workbook, a broken workbook, too large', async () => {
    const m = await setupMeeting(sec, roster({ standing: 2 }, 'F'), '坏文件', { scrutineers: false });
    const before = stateOf(server.dbPath);
    const zip = (name: string) => {
      // A stored (uncompressed) one-file zip, as any zip tool writes it (APPNOTE 4.3.7, 4.3.12, 4.3.16).
      const data = utf8('<x/>');
      const n = utf8(name);
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0), local.writeUInt16LE(20, 4), local.writeUInt32LE(data.length, 18), local.writeUInt32LE(data.length, 22), local.writeUInt16LE(n.length, 26);
      const central = Buffer.alloc(46);
      central.writeUInt32LE(0x02014b50, 0), central.writeUInt32LE(data.length, 20), central.writeUInt32LE(data.length, 24), central.writeUInt16LE(n.length, 28);
      const cdOffset = 30 + n.length + data.length;
      const end = Buffer.alloc(22);
      end.writeUInt32LE(0x06054b50, 0), end.writeUInt16LE(1, 8), end.writeUInt16LE(1, 10), end.writeUInt32LE(46 + n.length, 12), end.writeUInt32LE(cdOffset, 16);
      return Buffer.concat([local, n, data, central, n, end]);
    };
    const workbook = Buffer.from(sample('county-committee.xlsx'));
    // Six bytes changed, found by the property below: SheetJS's own inflater looped on it without end.
    const damaged = Buffer.from(workbook);
    for (const [at, to] of [[2136, 75], [4713, 104], [6936, 193], [7252, 111], [7775, 0], [8597, 198]] as const) damaged[at] = to;
    const cases: [string, Uint8Array, string][] = [
      ['a damaged workbook', damaged, 'ROSTER_FILE_NOT_WORKBOOK'],
      ['invalid in both', Buffer.from([0x4e, 0x61, 0x6d, 0x65, 0xff, 0xfe, 0xfd, 0x2c]), 'ROSTER_FILE_ENCODING'],
      ['UTF-16 LE with BOM', Buffer.from('\ufeff姓名,类别\r\n', 'utf16le'), 'ROSTER_FILE_ENCODING'],
      ['a PNG', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), 'ROSTER_FILE_ENCODING'],
      ['an old .xls', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]), 'ROSTER_FILE_OLD_EXCEL'],
      ['a zip of a Word document', zip('word/document.xml'), 'ROSTER_FILE_NOT_WORKBOOK'],
      ['a cut-off workbook', workbook.subarray(0, workbook.length - 200), 'ROSTER_FILE_NOT_WORKBOOK'],
      ['a zip claiming a workbook but broken', zip('xl/workbook.xml'), 'ROSTER_FILE_NOT_WORKBOOK'],
      ['too large', Buffer.alloc(MAX_ROSTER_FILE + 1, 0x41), 'ROSTER_FILE_TOO_LARGE'],
    ];
    for (const [what, bytes, code] of cases)
      for (const path of ['roster', 'roster/preview']) {
        const res = await sec.post(`/api/meetings/${m.id}/${path}`, { file: b64(bytes) });
        expect(res.json.error, `${what} → ${path}: ${JSON.stringify(res.json)}`).toBe(code);
        expectError(res, code as never);
        const en = await sec.post(`/api/meetings/${m.id}/${path}`, { file: b64(bytes) }, { lang: 'en' });
        expectError(en, code as never, 'en');
      }
    expectError(await sec.post(`/api/meetings/${m.id}/roster`, { file: 'not base64!' }), 'BAD_REQUEST');
    expectError(await sec.post(`/api/meetings/${m.id}/roster`, { file: 7 }), 'BAD_REQUEST');
    expectError(await sec.post(`/api/meetings/${m.id}/roster`, { file: b64(utf8('name,kind\n甲,full')), csv: 'name,kind\n甲,full' }), 'BAD_REQUEST');
    expect(stateOf(server.dbPath)).toEqual(before);
  });

  it('any bytes — random, or a workbook with bytes flipped — parse or are refused with a ROSTER_FILE_ code within the time limit, never another error', async () => {
    const workbook = sample('county-committee.xlsx');
    const flipped = fc.array(fc.tuple(fc.nat(workbook.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }).map((flips) => {
      const b = Buffer.from(workbook);
      for (const [at, x] of flips) b[at]! ^= x;
      return new Uint8Array(b);
    });
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 400 }), fc.uint8Array({ maxLength: 400 }).map((b) => new Uint8Array([0x50, 0x4b, 0x03, 0x04, ...b])), flipped);
    await fc.assert(
      fc.asyncProperty(bytes, async (b) => {
        try {
          const { parsed } = await parseRosterFile(b);
          expect(parsed.rows.length === 0 || parsed.problems.length === 0).toBe(true);
        } catch (e) {
          expect(e instanceof ApiError && e.code.startsWith('ROSTER_FILE_'), String(e)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a workbook whose parts claim to unpack past 32 MiB is refused unread (a zip bomb)', async () => {
    const mid = await newMeeting('压缩炸弹');
    const wb = Buffer.from(rosterWorkbook([['姓名', '类别'], ['甲', '常委']]));
    // Raise the first central-directory entry's unpacked size to 40 MiB.
    const cd = wb.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    wb.writeUInt32LE(40 * 1024 * 1024, cd + 24);
    expectError(await sec.post(`/api/meetings/${mid}/roster/preview`, { file: b64(wb) }), 'ROSTER_FILE_TOO_LARGE');
  });
});

describe('a re-import that would void issued sign-in slips', () => {
  it('is refused with ROSTER_CODES_ISSUED and the count unless the request names that count; the preview says it first', async () => {
    const m = await setupMeeting(sec, roster({ standing: 3, full: 2 }, 'C'), '重新导入', { scrutineers: false });
    const csv = sample('county-committee-gbk.csv');
    const preview = await sec.ok('POST', `/api/meetings/${m.id}/roster/preview`, { file: b64(csv) });
    expect(preview.codesIssued).toBe(5);
    const before = stateOf(server.dbPath);
    const refused = await sec.post(`/api/meetings/${m.id}/roster`, { file: b64(csv) });
    expectError(refused, 'ROSTER_CODES_ISSUED');
    expect(refused.json.codes).toBe(5);
    const wrong = await sec.post(`/api/meetings/${m.id}/roster`, { file: b64(csv), voidCodes: 4 }, { lang: 'en' });
    expectError(wrong, 'ROSTER_CODES_ISSUED', 'en');
    expect(stateOf(server.dbPath)).toEqual(before);
    // The slips still work after a refusal; once confirmed, they are void.
    const tablet = new Jar(server);
    expect((await tablet.post('/api/checkin', { code: m.codes.get('C常委01') })).status).toBe(200);
    const { members } = await sec.ok('POST', `/api/meetings/${m.id}/roster`, { file: b64(csv), voidCodes: 5 });
    expect(rows(members)).toEqual(SAMPLE);
    expect(members.every((x: { hasCode: boolean }) => !x.hasCode)).toBe(true);
    expectError(await new Jar(server).post('/api/checkin', { code: m.codes.get('C常委02') }), 'BAD_CODE');
    expectError(await tablet.call('GET', '/api/tablet'), 'NOT_CHECKED_IN'); // the checked-in tablet is signed out
    // Nothing issued on the new roster yet: no confirmation needed.
    expect((await sec.ok('POST', `/api/meetings/${m.id}/roster/preview`, { csv: 'name,kind\n甲,standing' })).codesIssued).toBe(0);
    await sec.ok('POST', `/api/meetings/${m.id}/roster`, { csv: 'name,kind\n甲,standing' });
  });
});

describe('the template', () => {
  const get = (path: string, jar: Jar) => fetch(server.url + path, { headers: { Cookie: [...jar.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });

  it('downloads as CSV (UTF-8 with BOM) and XLSX with the Chinese header and two example rows, each importing as that roster', async () => {
    const csv = await get('/api/roster-template/csv', sec);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="roster-template.csv"; filename*=UTF-8''${encodeURIComponent('名单模板.csv')}`);
    const csvBytes = new Uint8Array(await csv.arrayBuffer());
    expect([...csvBytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder().decode(csvBytes)).toBe('姓名,类别,职务\r\n张三,常委,县委常委、组织部部长\r\n李四,委员,县人大常委会副主任\r\n');
    const xlsx = await get('/api/roster-template/xlsx', sec);
    expect(xlsx.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const xlsxBytes = new Uint8Array(await xlsx.arrayBuffer());
    const wb = XLSX.read(xlsxBytes, { type: 'array' });
    expect(XLSX.utils.sheet_to_json(wb.Sheets['名单']!, { header: 1 })).toEqual([['姓名', '类别', '职务'], ['张三', '常委', '县委常委、组织部部长'], ['李四', '委员', '县人大常委会副主任']]);
    const mid = await newMeeting('模板');
    for (const bytes of [csvBytes, xlsxBytes]) {
      const { members } = await sec.ok('POST', `/api/meetings/${mid}/roster`, { file: b64(bytes) });
      expect(rows(members)).toEqual([{ name: '张三', kind: 'standing', title: '县委常委、组织部部长' }, { name: '李四', kind: 'full', title: '县人大常委会副主任' }]);
    }
  });

  it('is for the signed-in secretary; an unknown format is 400', async () => {
    expect((await get('/api/roster-template/csv', new Jar(server))).status).toBe(401);
    expect((await get('/api/roster-template/xls', sec)).status).toBe(400);
  });
});
