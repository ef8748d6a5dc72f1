/**
 * @module server/http
 * Small hono middleware factories shared by every route: security headers, the JSON body
 * reader (content type, size limit, parse), the same-origin check for mutating secretary
 * requests, and a fixed-window rate limiter. Each fails closed.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './errors.ts';

/**
 * Socket limits of every listener. Tablets keep their connections across a whole ballot: a short
 * keep-alive makes a client reuse a socket the server is just closing ("other side closed"). A
 * client gets 10 s for its TLS handshake and for a request's headers, and 30 s for the whole
 * request (a slow sender holds no socket longer), checked every second; an answer (a long-poll,
 * an event stream) may take as long as it needs.
 */
export const SERVER_TIMEOUTS = { keepAliveTimeout: 65_000, headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1_000 } as const;

/** HSTS on every HTTPS answer: a year, so a tablet never again tries this server over plain HTTP. */
export const HSTS = 'max-age=31536000';

/** Security headers on every response (strict CSP, no sniffing, no referrer, no framing). */
export const securityHeaders = (): MiddlewareHandler =>
  async function securityHeaders(c, next) {
    await next();
    const h = c.res.headers;
    h.set(
      'Content-Security-Policy',
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    h.set('X-Content-Type-Options', 'nosniff');
    h.set('Referrer-Policy', 'no-referrer');
    h.set('X-Frame-Options', 'DENY');
    h.set('Cross-Origin-Opener-Policy', 'same-origin');
    h.set('Cross-Origin-Resource-Policy', 'same-origin');
    if (c.req.path.startsWith('/api/')) h.set('Cache-Control', 'no-store');
    if (new URL(c.req.url).protocol === 'https:') h.set('Strict-Transport-Security', HSTS);
    const ct = h.get('Content-Type');
    if (ct && /^(text\/|application\/(json|javascript))/.test(ct) && !/charset=/i.test(ct)) h.set('Content-Type', `${ct}; charset=utf-8`);
  };

/** Default JSON body limit (bytes). */
export const BODY_LIMIT = 64 * 1024;

/**
 * Read the request body as JSON: refuses a non-JSON content type (415), a body over
 * `limit` bytes (413), invalid UTF-8 or JSON (400). Returns the parsed value.
 */
export async function readJson(c: Context, limit = BODY_LIMIT): Promise<unknown> {
  const ct = c.req.header('content-type') ?? '';
  if (!/^application\/json\s*(;\s*charset=utf-8\s*)?$/i.test(ct)) throw new ApiError('UNSUPPORTED_MEDIA_TYPE');
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > limit) throw new ApiError('BODY_TOO_LARGE');
  const reader = c.req.raw.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (reader) {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        // The client went away mid-body (an aborted upload): not a server error; nothing was read.
        throw new ApiError('BAD_REQUEST', 'the request body was cut short');
      }
      const { done, value } = chunk;
      if (done) break;
      size += value.length;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw new ApiError('BODY_TOO_LARGE');
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(size);
  let off = 0;
  for (const ch of chunks) {
    bytes.set(ch, off);
    off += ch.length;
  }
  let textBody: string;
  try {
    textBody = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError('BAD_REQUEST', 'body is not valid UTF-8');
  }
  try {
    return JSON.parse(textBody) as unknown;
  } catch {
    throw new ApiError('BAD_REQUEST', 'body is not valid JSON');
  }
}

/**
 * Mutating requests must carry an Origin equal to the server's own origin (CSRF defence on
 * top of SameSite=Strict). A missing Origin is refused.
 */
export const sameOrigin = (): MiddlewareHandler =>
  async function sameOrigin(c, next) {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const origin = c.req.header('origin');
      const self = new URL(c.req.url).origin;
      const host = c.req.header('host');
      const forwarded = host ? `${new URL(c.req.url).protocol}//${host}` : self;
      if (!origin || (origin !== self && origin !== forwarded)) throw new ApiError('BAD_ORIGIN');
    }
    await next();
  };

/**
 * A fixed-window counter: `take(key)` is false once `max` hits happened in the window. `take` is
 * synchronous, so an attempt is counted before any slow work and concurrent attempts cannot race
 * past the limit; `give(key)` hands a taken hit back (an attempt that turned out right).
 */
export function rateLimiter(max: number, windowMs: number, now: () => number = Date.now) {
  const hits = new Map<string, { start: number; n: number }>();
  return {
    take(key: string): boolean {
      const t = now();
      const h = hits.get(key);
      if (!h || t - h.start >= windowMs) {
        if (hits.size > 10_000) hits.clear();
        hits.set(key, { start: t, n: 1 });
        return true;
      }
      if (h.n >= max) return false;
      h.n++;
      return true;
    },
    /** Undo one `take(key)` of the current window. */
    give(key: string): void {
      const h = hits.get(key);
      if (h && now() - h.start < windowMs && h.n > 0) h.n--;
    },
  };
}

/**
 * The plain-HTTP listener beside the HTTPS one: every request is redirected (308) to the same
 * path over HTTPS on `httpsPort`, except `GET /ca.crt`, the generated CA's certificate, which a
 * tablet needs before it can open any HTTPS page without a warning. The certificate is public;
 * what makes it trustworthy is its fingerprint, shown on the set-up page and printed at start,
 * which the person installing it compares.
 */
export function redirectHandler(httpsPort: number, caPem: string | null) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').startsWith('/') ? req.url ?? '/' : '/';
    if (caPem && (req.method === 'GET' || req.method === 'HEAD') && path === '/ca.crt') {
      res.writeHead(200, { 'Content-Type': 'application/x-x509-ca-cert', 'Content-Disposition': 'attachment; filename="piaojue-ca.crt"', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : caPem);
      return;
    }
    // The host the client asked for, without its port; anything odd falls back to the loopback name.
    const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253})(:\d{1,5})?$/.exec(req.headers.host ?? '');
    const host = m ? m[1]! : 'localhost';
    res.writeHead(308, { Location: `https://${host}:${httpsPort}${path}`, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'close' });
    res.end('HTTPS only: https://' + host + ':' + httpsPort + path + '\n');
    // Whatever body was sent is not read.
    req.resume();
  };
}
