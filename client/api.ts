/**
 * @module client/api
 * The one way the client talks to the server. Four callers, as in docs/api.md:
 * `secretary`, `tablet` and `scrutineer` send the same-origin cookie; `anonymous` sends no credentials
 * at all (`credentials: 'omit'`), which is how casts stay unlinkable from the tablet's session.
 * Every failure becomes an `ApiFailure` carrying the server's stable code and its
 * localized message, or NETWORK when the request never got an answer.
 */
import { acceptLanguage, codeText, t } from './i18n.ts';

export type Caller = 'secretary' | 'tablet' | 'scrutineer' | 'anonymous';

/** A refused or failed request: `code` is the server's error code, or NETWORK / HTTP_<status>. */
export class ApiFailure extends Error {
  readonly code: string;
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
  constructor(code: string, status: number, message: string, body: Readonly<Record<string, unknown>> = {}) {
    super(message);
    this.name = 'ApiFailure';
    this.code = code;
    this.status = status;
    this.body = body;
  }
  /** Worth retrying unchanged: no answer, server trouble or a rate limit. */
  get transient(): boolean {
    return this.code === 'NETWORK' || this.status >= 500 || this.status === 429;
  }
}

/** Send one request and parse the JSON answer; throws ApiFailure. */
export async function request<T>(caller: Caller, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { 'Accept-Language': acceptLanguage(), Accept: 'application/json' };
  if (body !== undefined || method === 'POST') headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
      credentials: caller === 'anonymous' ? 'omit' : 'same-origin',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    throw new ApiFailure('NETWORK', 0, t('err.network'));
  }
  let json: Record<string, unknown> | null = null;
  try {
    json = (await res.json()) as Record<string, unknown>;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const code = typeof json?.error === 'string' ? json.error : `HTTP_${res.status}`;
    const message = typeof json?.message === 'string' ? json.message : t('err.unexpected');
    throw new ApiFailure(code, res.status, message, json ?? {});
  }
  if (json === null) throw new ApiFailure('BAD_ANSWER', res.status, t('err.unexpected'));
  return json as T;
}

/** Backoff delays in ms: 0.5 s doubling to at most 8 s, with ±20 % jitter. */
export function backoff(attempt: number): number {
  const base = Math.min(8000, 500 * 2 ** Math.min(attempt, 5));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/**
 * Repeat `send` until it answers, waiting with backoff after each transient failure
 * (network down, 5xx, 429); a refusal (4xx) is thrown at once. `onRetry` tells the UI.
 * Going back online cuts the wait short.
 */
export async function untilAcknowledged<T>(send: () => Promise<T>, onRetry?: (attempt: number, err: ApiFailure) => void, signal?: { stopped: boolean }): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (e) {
      const err = e instanceof ApiFailure ? e : new ApiFailure('NETWORK', 0, t('err.network'));
      if (!err.transient || signal?.stopped) throw err;
      onRetry?.(attempt + 1, err);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          window.removeEventListener('online', done);
          resolve();
        };
        const timer = setTimeout(done, backoff(attempt));
        window.addEventListener('online', done);
      });
    }
  }
}

/**
 * The message to show for any error: words in the person's language that say what to do, never
 * a raw code or a program's own error text (that goes to the console, for technical staff).
 */
export function messageOf(e: unknown): string {
  return wordsOf(e)();
}

/** `messageOf` as words to render later: the page's own words follow a language switch. */
export function wordsOf(e: unknown): () => string {
  // The page's own words for a code when it has them, else the server's, which are in the
  // language of the request.
  if (e instanceof ApiFailure) {
    const { code, message, body } = e;
    // Some refusals name what they are about (the ballot under way): their words say it.
    const vars = typeof body.ballot === 'string' ? { ballot: body.ballot } : undefined;
    return () => codeText(code, vars) ?? message;
  }
  console.warn('piaojue:', e);
  return () => t('err.unexpected');
}

/**
 * Follow a meeting's live events: `onChange` runs (with the screen view when the event
 * carries one) for every event, and once after each (re)connect. Returns a stop function.
 */
export function followMeeting<V>(meetingId: string, onChange: (view: V | null) => void): () => void {
  let es: EventSource | null = null;
  let stopped = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const handler = (ev: MessageEvent) => {
    let view: V | null = null;
    try {
      view = JSON.parse(String(ev.data)) as V;
    } catch {
      view = null;
    }
    onChange(view);
  };
  const connect = () => {
    if (stopped) return;
    es = new EventSource(`/api/meetings/${encodeURIComponent(meetingId)}/events`);
    for (const kind of ['state', 'attendance', 'ballot', 'scrutiny', 'published', 'meeting']) es.addEventListener(kind, handler as EventListener);
    es.onerror = () => {
      // The browser retries by itself while CONNECTING; when it gives up (CLOSED), start over.
      if (es?.readyState === EventSource.CLOSED) {
        es.close();
        retry = setTimeout(connect, 3000);
      }
    };
  };
  connect();
  return () => {
    stopped = true;
    clearTimeout(retry);
    es?.close();
  };
}
