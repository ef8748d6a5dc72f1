/**
 * @module client/secretary/Secretary
 * The secretary console: sign in with the password, list and create meetings, and open
 * one meeting (Meeting.tsx). Routes: /secretary and /secretary/m/:meetingId.
 */
import { createResource, createSignal, For, Match, onMount, Show, Switch } from 'solid-js';
import { messageOf } from '../api.ts';
import { t } from '../i18n.ts';
import type { MeetingSummary } from '../types.ts';
import { ConfirmHost, LangSwitch, Notice } from '../ui.tsx';
import Meeting from './Meeting.tsx';
import { go, path, sec, setSignedIn, signedIn } from './session.ts';
import '../styles/secretary.css';

export default function Secretary() {
  onMount(async () => {
    try {
      await sec('GET', '/api/secretary/me');
      setSignedIn(true);
    } catch {
      setSignedIn(false);
    }
  });
  const meetingId = () => /^\/secretary\/m\/([A-Za-z0-9_-]+)/.exec(path())?.[1];
  const logout = async () => {
    await sec('POST', '/api/secretary/logout').catch(() => undefined);
    setSignedIn(false);
  };
  return (
    <div class="sec-app">
      <header class="sec-header no-print">
        <a
          class="sec-brand"
          href="/secretary"
          onClick={(e) => {
            e.preventDefault();
            go('/secretary');
          }}
        >
          <span class="brand-mark">{t('app.name')}</span>
          <span>{t('sec.title')}</span>
        </a>
        <div class="sec-header-actions">
          <LangSwitch />
          <Show when={signedIn()}>
            <button type="button" class="btn btn-secondary btn-small" onClick={() => void logout()}>
              {t('sec.logout')}
            </button>
          </Show>
        </div>
      </header>
      <Switch>
        <Match when={signedIn() === null}>
          <p class="sec-main muted">{t('common.loading')}</p>
        </Match>
        <Match when={signedIn() === false}>
          <Login />
        </Match>
        <Match when={meetingId()}>{(id) => <Meeting meetingId={id()} />}</Match>
        <Match when={true}>
          <Meetings />
        </Match>
      </Switch>
      <ConfirmHost />
    </div>
  );
}

function Login() {
  const [password, setPassword] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await sec('POST', '/api/secretary/login', { password: password() });
      setSignedIn(true);
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <main class="sec-main">
      <form class="card sec-login" onSubmit={submit}>
        <h1>{t('sec.login.heading')}</h1>
        <label class="field-label" for="pw">{t('sec.login.password')}</label>
        <input id="pw" type="password" class="input" autocomplete="current-password" value={password()} onInput={(e) => setPassword(e.currentTarget.value)} data-testid="password" />
        <Show when={error()}>{(m) => <Notice kind="error">{m()}</Notice>}</Show>
        <button type="submit" class="btn btn-primary" data-testid="login">{t('sec.login.submit')}</button>
      </form>
    </main>
  );
}

function Meetings() {
  const [list, { refetch }] = createResource(() => sec<{ meetings: MeetingSummary[] }>('GET', '/api/meetings'));
  const [title, setTitle] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const { meeting } = await sec<{ meeting: MeetingSummary }>('POST', '/api/meetings', { title: title() });
      setTitle('');
      void refetch();
      go(`/secretary/m/${meeting.id}`);
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <main class="sec-main">
      <h1>{t('sec.meetings')}</h1>
      <form class="card sec-new-meeting" onSubmit={create}>
        <h2>{t('sec.meetings.new')}</h2>
        <label class="field-label" for="mt">{t('sec.meetings.titleLabel')}</label>
        <div class="inline-form">
          <input id="mt" class="input" value={title()} placeholder={t('sec.meetings.titlePlaceholder')} onInput={(e) => setTitle(e.currentTarget.value)} data-testid="meeting-title" />
          <button type="submit" class="btn btn-primary" disabled={!title().trim()} data-testid="meeting-create">{t('sec.meetings.create')}</button>
        </div>
        <Show when={error()}>{(m) => <Notice kind="error">{m()}</Notice>}</Show>
      </form>
      <Show when={list.error}>
        <Notice kind="error">{messageOf(list.error)}</Notice>
      </Show>
      <Show when={list()?.meetings.length} fallback={<p class="muted">{list.loading ? t('common.loading') : t('sec.meetings.none')}</p>}>
        <ul class="meeting-list">
          <For each={[...(list()?.meetings ?? [])].reverse()}>
            {(m) => (
              <li class="card meeting-row">
                <div>
                  <p class="meeting-row-title">{m.title}</p>
                  <p class="muted">
                    {new Date(m.createdAt).toLocaleString()} · {m.status === 'active' ? t('sec.meeting.active') : t('sec.meeting.ended')}
                  </p>
                </div>
                <button type="button" class="btn btn-primary" onClick={() => go(`/secretary/m/${m.id}`)}>
                  {t('sec.meetings.open')}
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </main>
  );
}
