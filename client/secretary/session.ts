/**
 * @module client/secretary/session
 * The secretary's calls: same-origin cookie (the browser adds Origin), and a signal that
 * flips back to the sign-in form whenever the server says the session is gone.
 */
import { createSignal } from 'solid-js';
import { ApiFailure, request } from '../api.ts';

const [signedIn, setSignedIn] = createSignal<boolean | null>(null);
export { signedIn, setSignedIn };

/** A secretary request; NOT_SIGNED_IN signs the console out. */
export async function sec<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  try {
    return await request<T>('secretary', method, path, body);
  } catch (e) {
    if (e instanceof ApiFailure && e.code === 'NOT_SIGNED_IN') setSignedIn(false);
    throw e;
  }
}

/** Navigate inside the console (these pages hold no secrets, so history entries are fine). */
const [path, setPath] = createSignal(location.pathname);
export { path };
export function go(to: string): void {
  if (to !== location.pathname) history.pushState(null, '', to);
  setPath(to);
}
window.addEventListener('popstate', () => setPath(location.pathname));
