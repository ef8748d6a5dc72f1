/**
 * @module client/record/data
 * What the printed record reads, and only from the server: the meeting view (GET
 * /api/meetings/:mid — roster, attendance, ballots, scrutineers) and each published or void
 * ballot's audit bundle (GET /api/ballots/:bid/bundle) exactly as served, with its id (the
 * SHA-256 of protocol §7.6 that a next round names). Every figure of the record is the
 * bundle's tally; nothing is counted again here (the sheets' words: client/record/lines.ts).
 */
import { bundleId, type Bundle } from '../../crypto/index.ts';
import { ApiFailure, request } from '../api.ts';
import { acceptLanguage, t } from '../i18n.ts';
import { sec } from '../secretary/session.ts';
import type { BallotView, MeetingDetail } from '../types.ts';

/** A published (or void) ballot's bundle as served: its text, the parsed bundle and its id. */
export type ServedBundle = { readonly text: string; readonly bundle: Bundle; readonly id: string };

/** The meeting view of the console. */
export function loadMeeting(meetingId: string): Promise<MeetingDetail> {
  return sec<MeetingDetail>('GET', `/api/meetings/${meetingId}`);
}

/** The address of a ballot's audit bundle (relative to the server). */
export const bundlePath = (ballotId: string): string => `/api/ballots/${ballotId}/bundle`;

/** Whether a ballot has a bundle (its result is out: published, or void). */
export const hasBundle = (b: Pick<BallotView, 'status'>): boolean => b.status === 'published' || b.status === 'void';

/** A ballot's bundle exactly as served; its id as the server computes it for a next round (server/routes/secretary.ts). */
export async function loadBundle(ballotId: string): Promise<ServedBundle> {
  let res: Response;
  try {
    res = await fetch(bundlePath(ballotId), { credentials: 'omit', cache: 'no-store', headers: { 'Accept-Language': acceptLanguage() } });
  } catch {
    throw new ApiFailure('NETWORK', 0, t('err.network'));
  }
  // The bytes as text exactly (a byte-order mark kept, as the verifier page reads a bundle: the strict reader refuses it).
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer());
  if (!res.ok) {
    let body: { error?: unknown; message?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      /* not JSON */
    }
    throw new ApiFailure(typeof body.error === 'string' ? body.error : `HTTP_${res.status}`, res.status, typeof body.message === 'string' ? body.message : t('err.unexpected'));
  }
  const bundle = JSON.parse(text) as Bundle;
  return { text, bundle, id: bundleId(bundle) };
}

/** The server key (hex) the secretary's console signs in against, to check the bundle's signature with. */
export async function loadServerKey(): Promise<string | null> {
  try {
    return (await request<{ serverKey: string }>('anonymous', 'GET', '/api/server-key')).serverKey;
  } catch {
    return null;
  }
}
