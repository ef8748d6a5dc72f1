/**
 * @module server/routes/setup
 * Device set-up (docs/api.md § Set-up): what a tablet needs to trust this server once — the
 * generated certificate authority's certificate (`GET /ca.crt`) and `GET /api/setup` for the
 * `/setup` page (the CA's SHA-256 fingerprint to compare, and where to download it over plain
 * HTTP when the redirect listener runs, for the page's QR code) and the public address tablets
 * reach (`publicUrl`, server/address.ts), which the console prints on slips and records. With the organization's own
 * certificate or in lab mode there is no CA to hand out (`ca: false`).
 */
import { Hono } from 'hono';
import type { AuthEnv } from '../auth.ts';
import { ApiError } from '../errors.ts';

export function setupRoutes(opts: { ca: string | null; fingerprint: string | null; redirectPort: () => number | undefined; publicUrl: () => string | null }) {
  const app = new Hono<AuthEnv>();
  app.get('/ca.crt', (c) => {
    if (!opts.ca) throw new ApiError('NOT_FOUND', 'this server uses a certificate of its organization, not its own CA');
    return c.body(opts.ca, 200, { 'Content-Type': 'application/x-x509-ca-cert', 'Content-Disposition': 'attachment; filename="piaojue-ca.crt"' });
  });
  app.get('/api/setup', (c) => {
    const url = new URL(c.req.url);
    const redirect = opts.redirectPort();
    const host = c.req.header('host')?.replace(/:\d+$/, '') ?? url.hostname;
    return c.json({
      https: url.protocol === 'https:',
      ca: !!opts.ca,
      fingerprint: opts.fingerprint,
      // The same host the page was opened on: the tablet reaches the server at that address.
      download: opts.ca ? (redirect !== undefined ? `http://${host}:${redirect}/ca.crt` : `${url.origin}/ca.crt`) : null,
      address: `${url.protocol}//${c.req.header('host') ?? url.host}/`,
      // The address tablets reach (PIAOJUE_PUBLIC_URL or the first LAN address): slips, QR codes, the record.
      publicUrl: opts.publicUrl() ?? `${url.protocol}//${c.req.header('host') ?? url.host}`,
    });
  });
  return app;
}
