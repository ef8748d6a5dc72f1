/**
 * @module server/events
 * Live state for tablets and the projector over Server-Sent Events. The hub only says
 * *that* a meeting changed; each subscriber then receives the public screen view, which
 * never holds a count per item before publication. Bursts (hundreds of casts a second)
 * are coalesced so one change notice goes out per interval.
 */
export type Listener = (event: string) => void;

/** A per-meeting publish/subscribe hub with coalescing. */
export function createHub(coalesceMs = 150) {
  const listeners = new Map<string, Set<Listener>>();
  const pending = new Map<string, Set<string>>();
  return {
    subscribe(meetingId: string, fn: Listener): () => void {
      let set = listeners.get(meetingId);
      if (!set) listeners.set(meetingId, (set = new Set()));
      set.add(fn);
      return () => {
        set!.delete(fn);
        if (set!.size === 0) listeners.delete(meetingId);
      };
    },
    /** Announce a change of `kind` (attendance, ballot, published) in a meeting. */
    notify(meetingId: string, kind: string): void {
      let kinds = pending.get(meetingId);
      if (kinds) return void kinds.add(kind);
      pending.set(meetingId, (kinds = new Set([kind])));
      setTimeout(() => {
        pending.delete(meetingId);
        for (const fn of listeners.get(meetingId) ?? []) for (const k of kinds!) fn(k);
      }, coalesceMs).unref?.();
    },
    size(meetingId: string): number {
      return listeners.get(meetingId)?.size ?? 0;
    },
  };
}

export type Hub = ReturnType<typeof createHub>;
