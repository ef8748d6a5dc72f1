/**
 * @module server/simulate
 * Simulated participants that speak the real HTTP API with real crypto — a cookie-jar HTTP
 * client, a scrutineer device and a tablet — for the rehearsal drill (server/rehearse.ts),
 * the tests and the benchmarks. Their protocol decisions are the pure engines the browser
 * pages use too (crypto/device.ts, crypto/voter.ts), so a drill exercises the same logic.
 */
import {
  ballotKeys, ballotShape, ceremonyStep, confirmAttendance, createDevice, decryptCasts, finishIssuance, fromHex,
  prepareCast, receiptMatches, answerSelections, choicesAnswer, signRequests, startIssuance, approveReissue, toHex,
  type BallotDefinition, type BallotKeys, type CeremonyRecord, type DeviceState, type IssuanceRequest,
  type PreparedCast, type Receipt,
} from '../crypto/index.ts';

/** What a device needs of a ballot to know its selection-vector shape (a ballot view has it all). */
export type ShapeDefinition = Pick<BallotDefinition, 'type' | 'items' | 'options' | 'rule' | 'params' | 'recusedItems'>;
/** What a tablet needs of a ballot to seal an answer. */
export type CastDefinition = ShapeDefinition & Pick<BallotDefinition, 'id'>;

/** Per-request options (the tests use them to send what a browser or an attacker would). */
export type CallOptions = {
  /** Origin header: the base's own origin by default; null sends none. */
  readonly origin?: string | null;
  /** Accept-Language header. */
  readonly lang?: string;
  /** Content-Type: application/json by default when there is a body; null sends none. */
  readonly contentType?: string | null;
  /** A raw body, sent as is instead of JSON.stringify(body). */
  readonly raw?: string | Uint8Array;
  readonly headers?: Record<string, string>;
  /** Read the status and headers only and cancel the body (a stream such as SSE). */
  readonly headOnly?: boolean;
};

/** An answer: status, parsed JSON (`{raw}` when not JSON), headers and the Set-Cookie lines as sent. */
export type JarResponse = { status: number; json: any; headers: Headers; setCookies: string[] };

/**
 * A minimal HTTP client with its own cookie jar (`sendCookies: false`: never sends a cookie).
 * A cookie the server expires (Max-Age=0, empty value) leaves the jar. The server is a base URL,
 * or an object whose `url` is read at every call (a server restarted on another port); `send` is
 * the transport (fetch), which a subclass may replace, e.g. to answer in-process.
 */
export class Jar {
  readonly cookies = new Map<string, string>();
  constructor(
    private readonly server: string | { readonly url: string },
    private readonly sendCookies = true,
    private readonly headers: Record<string, string> = {},
  ) {}
  /** The base URL requests go to (read at every call). */
  get base(): string {
    return typeof this.server === 'string' ? this.server : this.server.url;
  }
  protected send(url: string, init: RequestInit): Promise<Response> {
    return fetch(url, init);
  }
  async call(method: string, path: string, body?: unknown, opts: CallOptions = {}): Promise<JarResponse> {
    const base = this.base;
    const headers: Record<string, string> = { ...this.headers, ...(opts.headers ?? {}) };
    const origin = opts.origin === undefined ? new URL(base).origin : opts.origin;
    if (origin !== null) headers.Origin = origin;
    if (opts.lang) headers['Accept-Language'] = opts.lang;
    const hasBody = body !== undefined || opts.raw !== undefined;
    const ct = opts.contentType === undefined ? (hasBody ? 'application/json' : null) : opts.contentType;
    if (ct !== null) headers['Content-Type'] = ct;
    if (this.sendCookies && this.cookies.size) headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const payload = opts.raw !== undefined ? opts.raw : body === undefined ? undefined : JSON.stringify(body);
    let res: Response;
    for (let attempt = 0; ; attempt++) {
      try {
        res = await this.send(base + path, { method, headers, body: payload as BodyInit | undefined });
        break;
      } catch (e) {
        const cause = (e as Error & { cause?: Error & { code?: string } }).cause;
        // A keep-alive connection the server closed just as it was reused (a busy event loop fires
        // both sides' idle timers late) is reset before the request reached the server; a browser
        // sends the request again on a new connection, and so does this client, once.
        if (attempt === 0 && (cause?.code === 'ECONNRESET' || cause?.code === 'UND_ERR_SOCKET')) continue;
        // Name the request: "fetch failed" alone does not say which of a drill's thousands it was.
        throw new Error(`${method} ${path}: ${(e as Error).message}${cause ? ` (${cause.message})` : ''}`, { cause: e });
      }
    }
    const setCookies = res.headers.getSetCookie();
    for (const sc of setCookies) {
      const [kv, ...attrs] = sc.split(';');
      const i = kv!.indexOf('=');
      const name = kv!.slice(0, i).trim();
      const value = kv!.slice(i + 1);
      if (value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    if (opts.headOnly) {
      await res.body?.cancel();
      return { status: res.status, json: null, headers: res.headers, setCookies };
    }
    const text = await res.text();
    let json: any = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = { raw: text };
    }
    return { status: res.status, json, headers: res.headers, setCookies };
  }
  /** A call that must succeed (2xx); returns the JSON body. */
  async ok(method: string, path: string, body?: unknown, opts?: CallOptions): Promise<any> {
    const r = await this.call(method, path, body, opts);
    if (r.status < 200 || r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  }
  get(path: string, opts?: CallOptions): Promise<JarResponse> {
    return this.call('GET', path, undefined, opts);
  }
  post(path: string, body?: unknown, opts?: CallOptions): Promise<JarResponse> {
    return this.call('POST', path, body, opts);
  }
}

/**
 * A scrutineer's device: signs in, registers its keys, takes part in the ceremony, confirms
 * attendance, signs issuance requests and decrypts the sums — all through the real API.
 * `online = false` makes it ignore everything (a device that went away).
 */
export class SimulatedScrutineer {
  readonly jar: Jar;
  state: DeviceState | null = null;
  online = true;
  constructor(url: string, readonly code: string) {
    this.jar = new Jar(url);
  }
  async signIn(): Promise<void> {
    const { scrutineer, meeting } = await this.jar.ok('POST', '/api/scrutineer/checkin', { code: this.code });
    this.state = createDevice(meeting.id, scrutineer.index, scrutineer.name);
    await this.jar.ok('POST', '/api/scrutineer/keys', { signingKey: this.state.key.signingKey, encryptionKey: this.state.key.encryptionKey });
  }
  get index(): number {
    return this.state!.key.index;
  }
  /** One round of everything the device does when it looks at the server. Returns whether it sent anything. */
  async step(): Promise<boolean> {
    if (!this.online || !this.state) return false;
    const view = await this.jar.ok('GET', '/api/scrutineer');
    let sent = false;
    if (view.ceremony?.status === 'running') {
      const r = ceremonyStep(this.state, view.ceremony);
      this.state = r.state;
      if (r.send) {
        await this.jar.ok('POST', '/api/scrutineer/ceremony', r.send);
        sent = true;
      }
    }
    for (const b of view.ballots as ({ id: string; status: string; electionKey: string | null; sums: string[] | null; decrypted: boolean } & ShapeDefinition)[]) {
      if (b.status === 'closed' && b.sums && !b.decrypted && this.state.shares) {
        // The device adds the sealed ballots up itself; the scrutineer compares the count with the room.
        const { casts } = await this.jar.ok('GET', `/api/scrutineer/ballots/${b.id}/casts`);
        const r = decryptCasts(this.state, b.id, b.electionKey!, ballotShape(b), casts);
        this.state = r.state;
        const res = await this.jar.call('POST', `/api/scrutineer/ballots/${b.id}/decryption`, { share: r.share });
        // t other shares may have published the ballot meanwhile: a late share is not needed (409 BAD_STATE).
        if (res.status !== 200 && !(res.status === 409 && res.json?.error === 'BAD_STATE'))
          throw new Error(`POST /api/scrutineer/ballots/${b.id}/decryption → ${res.status} ${JSON.stringify(res.json)}`);
        sent = true;
      }
    }
    return sent;
  }
  /** The scrutineer checks and confirms the attendance of a ballot (present entitled members). */
  async confirm(ballotId: string): Promise<void> {
    if (!this.online) return;
    const view = await this.jar.ok('GET', '/api/scrutineer');
    const b = (view.ballots as { id: string; entitled: { memberId: string; present: boolean }[] }[]).find((x) => x.id === ballotId)!;
    const r = confirmAttendance(this.state!, ballotId, b.entitled.filter((m) => m.present).map((m) => m.memberId));
    this.state = r.state;
    await this.jar.ok('POST', `/api/scrutineer/ballots/${ballotId}/confirm`, { log: r.log });
  }
  /** The scrutineer approves a re-issue for a member on this device. */
  approve(ballotId: string, memberId: string): void {
    this.state = approveReissue(this.state!, ballotId, memberId);
  }
  /** Sign every pending issuance request (grouped per ballot). Returns how many partials were sent. */
  async serve(): Promise<number> {
    if (!this.online || !this.state?.shares) return 0;
    const { requests } = (await this.jar.ok('GET', '/api/scrutineer/requests')) as { requests: IssuanceRequest[] };
    let sent = 0;
    for (const ballotId of new Set(requests.map((r) => r.ballotId))) {
      const r = signRequests(this.state, ballotId, requests.filter((q) => q.ballotId === ballotId));
      this.state = r.state;
      if (r.log) {
        await this.jar.ok('POST', '/api/scrutineer/partials', { ballotId, partials: r.partials, log: r.log });
        sent += r.partials.length;
      }
    }
    return sent;
  }
}

/** Run every device's step until none sends anything (the ceremony or the decryption settles). */
export async function settle(devices: readonly SimulatedScrutineer[], rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const sent = await Promise.all(devices.map((d) => d.step()));
    if (!sent.some(Boolean)) return;
  }
}

/** Keep the devices serving issuance requests until `stop` resolves. */
export function serveWhile(devices: readonly SimulatedScrutineer[], stop: Promise<unknown>): Promise<void> {
  let done = false;
  void stop.finally(() => (done = true));
  return (async () => {
    while (!done) {
      const n = await Promise.all(devices.map((d) => d.serve().catch(() => 0)));
      if (!n.some((x) => x > 0)) await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(devices.map((d) => d.serve().catch(() => 0)));
  })();
}

/** A member's tablet: check-in, key check against the ceremony, threshold issuance, sealed cast. */
export class SimulatedTablet {
  readonly jar: Jar;
  private readonly anon: Jar;
  constructor(url: string, readonly name: string) {
    this.jar = new Jar(url);
    // Casts carry no cookie and the same headers from every tablet.
    this.anon = new Jar(url, false);
  }
  async checkIn(code: string): Promise<{ id: string }> {
    const { member } = await this.jar.ok('POST', '/api/checkin', { code });
    return member;
  }
  /** The ballot keys as the tablet accepts them: derived from the ceremony record it was given. */
  async keys(ballotId: string): Promise<BallotKeys> {
    const view = await this.jar.ok('GET', '/api/tablet');
    const b = view.ballots.find((x: { id: string }) => x.id === ballotId);
    return ballotKeys(view.ceremony as CeremonyRecord, { publicKey: b?.publicKey, electionKey: b?.electionKey });
  }
  /** Get a token: blind, wait for t partials (asking again while pending), combine, unblind. */
  async token(ballotId: string, keys: BallotKeys): Promise<{ token: Uint8Array; sigma: Uint8Array; castKey: Uint8Array }> {
    const st = startIssuance(ballotId);
    for (let attempt = 0; attempt < 30; attempt++) {
      const r = await this.jar.ok('POST', `/api/ballots/${ballotId}/issue`, { blinded: toHex(st.blinded) });
      if (r.status === 'signed') return { token: st.token, sigma: finishIssuance(st, r.partials, keys), castKey: fromHex(r.castKey, 32, 'castKey') };
    }
    throw new Error(`${this.name}: no token after 30 attempts`);
  }
  /**
   * Seal an answer and cast; the receipt must match exactly this cast. The answer is one option id
   * per item (null: an item the member is recused from) or, for a recommendation, the indices of
   * the candidates marked (`{ picked }`).
   */
  async cast(
    def: CastDefinition, keys: BallotKeys, tok: { token: Uint8Array; sigma: Uint8Array; castKey: Uint8Array },
    answer: readonly (string | null)[] | { readonly picked: readonly number[] },
  ): Promise<{ prepared: PreparedCast; receipt: Receipt }> {
    const groups = 'picked' in answer ? [answer.picked] : choicesAnswer(def, answer as readonly (string | null)[]);
    const prepared = prepareCast(def.id, keys, ballotShape(def), answerSelections(def, groups), tok.token, tok.sigma, tok.castKey);
    for (let attempt = 0; ; attempt++) {
      const r = await this.anon.call('POST', `/api/anon/ballots/${def.id}/cast`, prepared.body);
      if (r.status === 503 && attempt < 50) {
        await new Promise((res) => setTimeout(res, 200));
        continue;
      }
      if (r.status !== 200) throw new Error(`cast → ${r.status} ${JSON.stringify(r.json)}`);
      if (!receiptMatches(r.json.receipt, prepared.expect)) throw new Error('the receipt does not match the cast');
      return { prepared, receipt: r.json.receipt as Receipt };
    }
  }
}
