/**
 * @module server/http
 * Small hono middleware factories shared by every route: security headers, the JSON body
 * reader (content type, size limit, parse), the same-origin check for mutating secretary
 * requests, and a fixed-window rate limiter. Each fails closed.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { ApiError } from './errors.ts';

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
      const { done, value } = await reader.read();
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

/** A fixed-window counter: `take(key)` is false once `max` hits happened in the window. */
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
      h.n++;
      return h.n <= max;
    },
    /** True once `max` hits happened in the current window of `key` (counts nothing). */
    exhausted(key: string): boolean {
      const h = hits.get(key);
      return !!h && now() - h.start < windowMs && h.n >= max;
    },
  };
}
