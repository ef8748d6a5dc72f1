/**
 * @module client/main
 * Entry of the single-page client. The server answers /, /secretary(/…) (the console and its
 * printed record), /scrutineer,
 * /screen/:id, /verify and /setup with this same page; a small router on location.pathname picks
 * the page and loads it as its own chunk, so a tablet never downloads the secretary console.
 */
import { lazy, type Component } from 'solid-js';
import { render } from 'solid-js/web';
import { lang } from './i18n.ts';
import { recordRoute } from './record/paths.ts';
import './styles/base.css';

const Tablet = lazy(() => import('./tablet/Tablet.tsx'));
const Secretary = lazy(() => import('./secretary/Secretary.tsx'));
const Screen = lazy(() => import('./screen/Screen.tsx'));
const Verify = lazy(() => import('./verify/Verify.tsx'));
const Scrutineer = lazy(() => import('./scrutineer/Scrutineer.tsx'));
const Setup = lazy(() => import('./setup/Setup.tsx'));
const Record = lazy(() => import('./record/Record.tsx'));

/** Which page a path shows. */
export function route(pathname: string): { page: 'tablet' | 'secretary' | 'record' | 'scrutineer' | 'screen' | 'verify' | 'setup' | 'none'; id?: string } {
  if (pathname === '/' || pathname === '/index.html') return { page: 'tablet' };
  // The printed record of a meeting (client/record/): /secretary/m/:mid/record/:bid and /secretary/m/:mid/minutes.
  if (recordRoute(pathname)) return { page: 'record' };
  if (pathname === '/secretary' || pathname.startsWith('/secretary/')) return { page: 'secretary' };
  if (pathname === '/scrutineer' || pathname === '/scrutineer/') return { page: 'scrutineer' };
  const screen = /^\/screen\/([A-Za-z0-9_-]{1,64})\/?$/.exec(pathname);
  if (screen) return { page: 'screen', id: screen[1]! };
  if (pathname === '/verify' || pathname === '/verify/') return { page: 'verify' };
  if (pathname === '/setup' || pathname === '/setup/') return { page: 'setup' };
  return { page: 'none' };
}

const NotFound: Component = () => <main class="page-none"><p>404</p></main>;

function App() {
  const r = route(location.pathname);
  document.documentElement.lang = lang() === 'en' ? 'en' : 'zh-CN';
  switch (r.page) {
    case 'tablet':
      return <Tablet />;
    case 'secretary':
      return <Secretary />;
    case 'record':
      return <Record />;
    case 'scrutineer':
      return <Scrutineer />;
    case 'screen':
      return <Screen meetingId={r.id!} />;
    case 'verify':
      return <Verify />;
    case 'setup':
      return <Setup />;
    default:
      return <NotFound />;
  }
}

render(() => <App />, document.getElementById('app')!);
