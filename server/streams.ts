/**
 * @module server/streams
 * The live event streams (`GET /api/meetings/:mid/events`, Server-Sent Events), bounded. One
 * shared stream per meeting: a change notice of the hub is rendered once into one frame of
 * bytes, which is written to every projector and tablet of that meeting; one timer sends the
 * heartbeat of all streams. A stream costs its socket and a small queue, no timer or loop of
 * its own; one whose reader falls more than `maxQueuedBytes` behind is closed (it reconnects).
 *
 * Admission is decided synchronously, so no burst of connections can race past a cap:
 * - a signed-in caller (a tablet, a scrutineer device, the secretary: a live session cookie)
 *   may hold `perSession` streams — a room whose tablets all share one NAT address is never
 *   refused for sharing it;
 * - an anonymous caller (a projector, the public) may hold `perAddress` streams per address, and
 *   all anonymous callers together `anonymous`;
 * - and nobody past `total`, which keeps the server's file descriptors and memory bounded.
 * Beyond a cap the answer is 429 `TOO_MANY_STREAMS` (this caller) or 503 `STREAMS_FULL` (the
 * server), with `Retry-After`; the pages reconnect by themselves a few seconds later.
 */
import { ApiError } from './errors.ts';
import type { Hub } from './events.ts';

export type StreamLimits = {
  readonly perSession: number;
  readonly perAddress: number;
  readonly anonymous: number;
  readonly total: number;
  readonly heartbeatMs: number;
  readonly maxQueuedBytes: number;
};

/** Defaults for a 1000-member meeting: every tablet and device signed in, a few projectors and onlookers. */
export const STREAM_LIMITS: StreamLimits = { perSession: 4, perAddress: 16, anonymous: 256, total: 6000, heartbeatMs: 25_000, maxQueuedBytes: 1 << 20 };

/** Who opens a stream: a session (kind and stored hash) or only an address. */
export type StreamCaller = { readonly session: string | null; readonly address: string };

type Sub = { controller: ReadableStreamDefaultController<Uint8Array>; caller: StreamCaller; closed: boolean };

const enc = new TextEncoder();
const frame = (event: string, data: string) => enc.encode(`event: ${event}\ndata: ${data}\n\n`);

export function createStreams(hub: Hub, render: (meetingId: string) => string, limits: Partial<StreamLimits> = {}) {
  const L: StreamLimits = { ...STREAM_LIMITS, ...limits };
  const meetings = new Map<string, { subs: Set<Sub>; unsubscribe: () => void }>();
  const bySession = new Map<string, number>();
  const byAddress = new Map<string, number>();
  let anonymous = 0;
  let total = 0;
  let refused = 0;
  const bump = (m: Map<string, number>, k: string, d: number) => {
    const n = (m.get(k) ?? 0) + d;
    if (n > 0) m.set(k, n);
    else m.delete(k);
  };

  const ping = frame('ping', '{}');
  let heartbeat: ReturnType<typeof setInterval> | null = null;
  const every = () => {
    for (const m of meetings.values()) for (const s of m.subs) send(s, ping);
  };

  function send(s: Sub, bytes: Uint8Array): void {
    if (s.closed) return;
    // desiredSize = highWaterMark (0) − queued bytes: a reader this far behind is dropped.
    if ((s.controller.desiredSize ?? 0) < -L.maxQueuedBytes) {
      drop(s);
      try {
        s.controller.close();
      } catch {
        // already closed by the other side
      }
      return;
    }
    s.controller.enqueue(bytes);
  }

  function drop(s: Sub): void {
    if (s.closed) return;
    s.closed = true;
    total--;
    if (s.caller.session) bump(bySession, s.caller.session, -1);
    else {
      anonymous--;
      bump(byAddress, s.caller.address, -1);
    }
    for (const [mid, m] of meetings) {
      if (m.subs.delete(s) && m.subs.size === 0) {
        m.unsubscribe();
        meetings.delete(mid);
      }
    }
    if (total === 0 && heartbeat) {
      clearInterval(heartbeat);
      heartbeat = null;
    }
  }

  return {
    limits: L,
    /**
     * Admit a caller to a meeting's stream, or throw `TOO_MANY_STREAMS` / `STREAMS_FULL`. The
     * returned body starts with the meeting's current state and then carries every change.
     */
    open(meetingId: string, caller: StreamCaller): ReadableStream<Uint8Array> {
      const refuse = (code: 'TOO_MANY_STREAMS' | 'STREAMS_FULL', detail: string) => {
        refused++;
        throw new ApiError(code, detail, { retryAfter: 10 });
      };
      if (total >= L.total) refuse('STREAMS_FULL', `${L.total} event streams are open`);
      if (caller.session) {
        if ((bySession.get(caller.session) ?? 0) >= L.perSession) refuse('TOO_MANY_STREAMS', `at most ${L.perSession} event streams per signed-in device`);
      } else {
        if ((byAddress.get(caller.address) ?? 0) >= L.perAddress) refuse('TOO_MANY_STREAMS', `at most ${L.perAddress} event streams per address`);
        if (anonymous >= L.anonymous) refuse('STREAMS_FULL', `${L.anonymous} anonymous event streams are open`);
      }
      // Counted now, in the same tick as the checks.
      total++;
      if (caller.session) bump(bySession, caller.session, 1);
      else {
        anonymous++;
        bump(byAddress, caller.address, 1);
      }
      let sub!: Sub;
      const body = new ReadableStream<Uint8Array>(
        {
          start(controller) {
            sub = { controller, caller, closed: false };
            let m = meetings.get(meetingId);
            if (!m) {
              const subs = new Set<Sub>();
              // One rendering per change notice for the whole meeting.
              const unsubscribe = hub.subscribe(meetingId, (kind) => {
                const bytes = frame(kind, render(meetingId));
                for (const s of subs) send(s, bytes);
              });
              meetings.set(meetingId, (m = { subs, unsubscribe }));
            }
            m.subs.add(sub);
            heartbeat ??= setInterval(every, L.heartbeatMs);
            heartbeat.unref?.();
            controller.enqueue(frame('state', render(meetingId)));
          },
          cancel() {
            // The client went away (or the server is closing): not an error.
            drop(sub);
          },
        },
        { highWaterMark: 0, size: (chunk) => chunk.byteLength },
      );
      return body;
    },
    /** Live counts, for tests and the soak bench. */
    stats() {
      return { total, anonymous, sessions: bySession.size, addresses: byAddress.size, meetings: meetings.size, refused };
    },
    /** End every stream (server shutdown). */
    closeAll(): void {
      for (const m of [...meetings.values()])
        for (const s of [...m.subs]) {
          drop(s);
          try {
            s.controller.close();
          } catch {
            // already closed
          }
        }
    },
  };
}

export type Streams = ReturnType<typeof createStreams>;
