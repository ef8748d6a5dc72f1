/**
 * @module client/setup/Setup
 * The device set-up page (/setup), opened by the secretary on the console or the projector and
 * by each tablet once: the fingerprint of the server's generated certificate authority, a link
 * and a QR code to download its certificate (over the plain-HTTP listener, which a tablet can
 * reach before it trusts anything), and how to install it on each kind of device. With the
 * organization's own certificate it says nothing needs installing; in lab mode it warns.
 */
import { createResource, Match, Show, Switch } from 'solid-js';
import { LangSwitch, Notice, QrCode } from '../ui.tsx';
import { w } from './words.ts';
import '../styles/setup.css';

type SetupInfo = { https: boolean; ca: boolean; fingerprint: string | null; download: string | null; address: string };

async function load(): Promise<SetupInfo> {
  const res = await fetch('/api/setup', { credentials: 'omit' });
  if (!res.ok) throw new Error(String(res.status));
  return (await res.json()) as SetupInfo;
}

export default function Setup() {
  const [info] = createResource(load);
  return (
    <main class="page-setup" data-testid="setup">
      <header class="setup-head">
        <h1>{w('title')}</h1>
        <LangSwitch />
      </header>
      <Switch fallback={<p>{w('loading')}</p>}>
        <Match when={info.error}>
          <Notice kind="error">{w('failed')}</Notice>
        </Match>
        <Match when={info() && !info()!.https}>
          <Notice kind="error" testid="setup-plain">{w('plain')}</Notice>
        </Match>
        <Match when={info() && !info()!.ca}>
          <Notice kind="ok" testid="setup-organization">{w('organization')}</Notice>
        </Match>
        <Match when={info()}>
          <p>{w('intro')}</p>
          <Notice kind="ok">{w('https')}</Notice>
          <h2>{w('fingerprint')}</h2>
          <p class="setup-fingerprint" data-testid="setup-fingerprint">{info()!.fingerprint}</p>
          <Notice kind="warn">{w('compare')}</Notice>
          <p>
            <a class="button" href={info()!.download!} download="piaojue-ca.crt" data-testid="setup-download">{w('download')}</a>
          </p>
          <p>{w('scan')}</p>
          <div class="setup-qr" data-testid="setup-qr">
            <QrCode text={info()!.download!} />
          </div>
          <p class="setup-link">{info()!.download}</p>
          <ul>
            <li>{w('android')}</li>
            <li>{w('ios')}</li>
            <li>{w('windows')}</li>
          </ul>
          <p>
            {w('then')} <a href="/">{info()!.address}</a>
          </p>
          <Show when={info()!.ca}>
            <p class="setup-note">{w('constrained')}</p>
          </Show>
        </Match>
      </Switch>
    </main>
  );
}
