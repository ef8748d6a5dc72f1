/**
 * @module server/errors
 * The one error path of the API: a closed set of stable codes, each with an HTTP status
 * and a message in Chinese and English that tells the person what to do next. Handlers
 * throw `ApiError(code)`; `onError` renders `{error, message}` in the caller's language.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

type Entry = readonly [status: ContentfulStatusCode, zh: string, en: string];

/** Every error code the API can answer with. */
export const ERRORS = {
  BAD_REQUEST: [400, '请求格式不正确，请刷新页面后重试。', 'The request is malformed. Reload the page and try again.'],
  UNSUPPORTED_MEDIA_TYPE: [415, '请求必须是 JSON 格式，请刷新页面后重试。', 'The request body must be JSON. Reload the page and try again.'],
  BODY_TOO_LARGE: [413, '请求内容过大，请删减内容后重试。', 'The request body is too large. Make it smaller and try again.'],
  BAD_ORIGIN: [403, '请求来源不被允许，请从本系统页面操作。', 'Requests must come from this server’s own pages.'],
  NOT_SIGNED_IN: [401, '请先以会务人员身份登录。', 'Sign in as the secretary first.'],
  BAD_PASSWORD: [401, '密码不正确，请重试。', 'Wrong password. Try again.'],
  NOT_CHECKED_IN: [401, '本平板尚未签到，请输入登录码。', 'This tablet is not checked in. Enter your sign-in code.'],
  BAD_CODE: [401, '登录码不正确，请核对登录凭条后重新输入；如仍无法登录，请联系会务人员。', 'The sign-in code is not right. Check it against your sign-in slip and type it again; if it still fails, ask the secretary.'],
  TOO_MANY_STREAMS: [429, '本设备打开的实时连接过多，请关闭多余的窗口，页面会自动重连。', 'This device has too many live connections open. Close the extra windows and wait: the page reconnects by itself.'],
  STREAMS_FULL: [503, '服务器实时连接已满，请稍候，页面将在几秒后自动重连。', 'The server has no room for more live connections; please wait, the page reconnects in a few seconds.'],
  RATE_LIMITED: [429, '尝试次数过多，请稍候一分钟再试。', 'Too many attempts. Wait a minute and try again.'],
  NOT_FOUND: [404, '未找到该对象，请确认链接是否正确。', 'Not found. Check the link.'],
  MEETING_ENDED: [409, '会议已结束，不能再进行此操作。如有疑问，请联系会务人员。', 'The meeting has ended; this can no longer be done. If in doubt, ask the secretary.'],
  ROSTER_INVALID: [400, '名单有错误，请按提示逐行修改后重新导入。', 'The roster has errors. Fix the lines listed and import again.'],
  ROSTER_FILE_ENCODING: [400, '无法识别文件的文字编码，或这不是名单文件。请在 Excel 中“另存为”CSV UTF-8（逗号分隔）或 Excel 工作簿（.xlsx）后重新上传，名单未作改动。', 'The file’s text encoding is not recognised, or it is not a roster file. In Excel, “Save As” CSV UTF-8 (comma delimited) or Excel Workbook (.xlsx) and upload it again; the roster was not changed.'],
  ROSTER_FILE_OLD_EXCEL: [400, '这是旧版 Excel 文件（.xls）或设有密码的工作簿，无法读取。请在 Excel 中“另存为”Excel 工作簿（.xlsx，不设密码）或 CSV 后重新上传，名单未作改动。', 'This is an old Excel file (.xls) or a password-protected workbook, which cannot be read. In Excel, “Save As” Excel Workbook (.xlsx, no password) or CSV and upload it again; the roster was not changed.'],
  ROSTER_FILE_NOT_WORKBOOK: [400, '文件不是可读取的 Excel 工作簿（.xlsx）。请用 Excel 打开并重新保存为 .xlsx，或下载名单模板填写后上传，名单未作改动。', 'The file is not a readable Excel workbook (.xlsx). Open it in Excel and save it again as .xlsx, or fill in the roster template and upload that; the roster was not changed.'],
  ROSTER_FILE_TOO_LARGE: [413, '名单文件过大（最大 512 KB）。请只保留姓名、类别、职务等列后重新上传，名单未作改动。', 'The roster file is too large (512 KB at most). Keep only the name, kind and title columns and upload it again; the roster was not changed.'],
  ROSTER_CODES_ISSUED: [409, '已发放登录凭条，重新导入名单将使其全部作废，需重新发放和打印。请确认后再导入。', 'Sign-in slips have been issued; re-importing the roster voids all of them and new ones must be issued and printed. Confirm to import.'],
  ROSTER_LOCKED: [409, '已创建表决，名单不能再修改。如某人不参加某项表决，请在新建表决时将其列为回避人员。', 'Ballots exist; the roster can no longer change. To leave someone out of a ballot, list them as recused when you create it.'],
  BALLOT_INVALID: [400, '表决内容不完整或有误，请检查后重试。', 'The ballot is incomplete or invalid. Check it and try again.'],
  BAD_STATE: [409, '此操作与当前进度不符，本次未执行。请查看页面上的最新状态，按提示进行下一步。', 'This does not fit the current stage; nothing was done. Look at the latest state on the page and take the next step it shows.'],
  QUORUM_NOT_MET: [409, '到会人数未达到规定，不能开始投票。请待更多人员签到后再开始。', 'Too few of those entitled are present; voting cannot start. Wait for more members to check in, then start it.'],
  BALLOT_IN_PROGRESS: [409, '尚有表决正在投票或等待公布结果，请先结束投票并待结果公布后，再结束会议。', 'A ballot is still open or awaiting its result. Close its voting and wait for the result, then end the meeting.'],
  TITLE_IN_USE: [409, '同名的表决正在投票，不能同时开始两项同名表决。请先结束该项投票再开始，或新建一项名称不同的表决。', 'A ballot with the same title is open; two ballots of one title cannot be open together. Wait until its voting is closed, or create the ballot under another title.'],
  ATTENDANCE_LOCKED: [409, '该人员参加的表决正在进行，现在变更其到会状态会使该项表决无法计票。请在该项表决结果公布后再登记。', 'A ballot this member takes part in is under way; changing their attendance now would keep it from being counted. Wait for that ballot’s result, then record it.'],
  NOT_ELIGIBLE: [403, '您不参加本项表决。如有疑问，请联系会务人员。', 'You do not vote on this ballot. If you think you should, ask the secretary.'],
  ALREADY_ISSUED: [409, '本平板已领取过选票。如平板更换，请联系会务人员重新发放。', 'A ballot was already issued to you. If you changed tablets, ask the secretary to re-issue.'],
  BAD_POINT: [400, '选票数据无效，请刷新页面后重试。', 'The ballot data is invalid. Reload and try again.'],
  BAD_TOKEN_SIGNATURE: [400, '选票签名无效，此票不能投出。请告知会务人员和监票人。', 'The ballot signature is invalid; it cannot be cast. Tell the secretary and the scrutineers.'],
  DUPLICATE_TOKEN: [409, '该选票已投出，不能重复投票。如您并未投过这张票，请告知会务人员和监票人。', 'This ballot was already cast; it cannot be cast twice. If you did not cast it, tell the secretary and the scrutineers.'],
  BAD_CAST_MAC: [400, '选票校验失败，此票不能投出。请刷新页面后重新投票。', 'The ballot failed its check and cannot be cast. Reload the page and vote again.'],
  BAD_BALLOT_PROOF: [400, '选票加密数据无效，此票不能投出。请刷新页面后重新投票。', 'The sealed ballot is invalid and cannot be cast. Reload the page and vote again.'],
  BUSY: [503, '投票人数较多，请稍候几秒，系统将自动重试。', 'Many ballots are arriving; wait a few seconds, it will retry by itself.'],
  KEYS_NOT_READY: [409, '监票人密钥尚未生成：请全部监票人在各自设备上登录，待大屏显示系统校验码后再开始投票。', 'The scrutineers’ keys are not ready: every scrutineer must sign in on their device; open the ballot once the projector shows the fingerprint.'],
  NOT_CONFIRMED: [409, '监票人尚未确认到会名单：请监票人在各自设备上核对并确认后再开始投票。', 'The scrutineers have not confirmed the attendance: they must check and confirm it on their devices before the ballot opens.'],
  CEREMONY_MESSAGE: [400, '监票人设备发送的密钥数据无效，请在该设备上刷新页面。', 'The scrutineer device sent invalid key data; reload the page on that device.'],
  BAD_ISSUANCE_LOG: [400, '监票人设备的发票记录签名无效，请在该设备上刷新页面。', 'The scrutineer device’s issuance log is not validly signed; reload the page on that device.'],
  BAD_DECRYPTION_SHARE: [400, '监票人设备提交的计票数据未通过校验，请在该设备上刷新页面后重试。', 'The scrutineer device’s decryption share failed its check; reload the page on that device and try again.'],
  NOT_PUBLISHED: [404, '表决结果尚未公布，请待结果公布后再查看。', 'The result is not published yet. Look again once it is.'],
  SELF_VERIFY_FAILED: [500, '结果自检未通过，未予公布，请联系技术人员。', 'The result failed its self-check and was not published. Contact technical staff.'],
  STORAGE_UNAVAILABLE: [503, '服务器存储暂不可用，本次操作未生效，请稍后重试。', 'Server storage is unavailable; nothing was saved. Try again shortly.'],
  INTERNAL: [500, '服务器内部错误，请稍后重试或联系技术人员。', 'Internal server error. Try again or contact technical staff.'],
} as const satisfies Record<string, Entry>;

/** A stable API error code. */
export type ErrorCode = keyof typeof ERRORS;

/** Thrown by handlers; rendered by `onError`. `extra` fields are added to the JSON body. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly extra: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, detail?: string, extra?: Record<string, unknown>) {
    super(detail ? `${code}: ${detail}` : code);
    this.name = 'ApiError';
    this.code = code;
    this.extra = extra;
  }
}

/** The caller's UI language: English if Accept-Language prefers it, else Chinese. */
export function language(acceptLanguage: string | undefined): 'zh' | 'en' {
  if (!acceptLanguage) return 'zh';
  const first = acceptLanguage.split(',')[0]?.trim().toLowerCase() ?? '';
  return first.startsWith('en') ? 'en' : 'zh';
}

/** The JSON body of an error in a language. */
export function errorBody(code: ErrorCode, lang: 'zh' | 'en', detail?: string): { error: ErrorCode; message: string; detail?: string } {
  const [, zh, en] = ERRORS[code];
  return detail ? { error: code, message: lang === 'en' ? en : zh, detail } : { error: code, message: lang === 'en' ? en : zh };
}

/** Render an ApiError (or any error, as INTERNAL / STORAGE_UNAVAILABLE) for a request. */
export function renderError(err: unknown, c: Context): Response {
  const lang = language(c.req.header('accept-language'));
  let e: ApiError;
  if (err instanceof ApiError) e = err;
  else if (isStorageError(err)) e = new ApiError('STORAGE_UNAVAILABLE');
  else {
    console.error('[piaojue] internal error:', (err as Error)?.message);
    e = new ApiError('INTERNAL');
  }
  const detail = e.message.includes(': ') ? e.message.slice(e.message.indexOf(': ') + 2) : undefined;
  const res = c.json({ ...errorBody(e.code, lang, detail), ...(e.extra ?? {}) }, ERRORS[e.code][0]);
  // Refused before its body was read: the unread rest makes the connection unusable, so say so
  // (otherwise the client reuses a keep-alive socket the server is about to drop).
  if (e.code === 'BODY_TOO_LARGE' || e.code === 'UNSUPPORTED_MEDIA_TYPE') res.headers.set('Connection', 'close');
  if (typeof e.extra?.retryAfter === 'number') res.headers.set('Retry-After', String(e.extra.retryAfter));
  return res;
}

/** SQLite errors that mean the disk or file cannot take writes now. */
function isStorageError(err: unknown): boolean {
  const code = (err as { code?: string })?.code ?? '';
  return /^SQLITE_(FULL|READONLY|IOERR|BUSY|LOCKED|CANTOPEN)/.test(code);
}
