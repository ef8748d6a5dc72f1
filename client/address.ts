/**
 * @module client/address
 * The address tablets reach the server at (`publicUrl` of GET /api/setup: PIAOJUE_PUBLIC_URL,
 * else the server's first LAN address — server/address.ts), for what is printed or shown to
 * be opened on another device: sign-in slips and their QR codes, the record's QR code. Asked
 * once per page; until the answer comes (or if it never does) the page's own origin stands in.
 */
import { createSignal } from 'solid-js';
import { request } from './api.ts';

const [origin, setOrigin] = createSignal(location.origin);
let asked = false;

/** The public origin, e.g. `https://192.168.31.20:8443` (no trailing slash); reactive. */
export function publicOrigin(): string {
  if (!asked) {
    asked = true;
    void request<{ publicUrl?: string }>('anonymous', 'GET', '/api/setup')
      .then((s) => {
        if (typeof s.publicUrl === 'string' && /^https?:\/\/[^/]+$/.test(s.publicUrl)) setOrigin(s.publicUrl);
      })
      .catch(() => undefined);
  }
  return origin();
}
