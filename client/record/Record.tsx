/**
 * @module client/record/Record
 * The printed record of a meeting, opened from the secretary console in its own tab:
 * - `/secretary/m/:mid/record/:bid` — one A4 sheet per published or void ballot (表决结果单;
 *   征求意见结果, 推荐票统计表, 测评结果统计表 by kind): meeting, ballot, round, the rule in
 *   words, 应到 / 实到, the one line of ballots issued, cast, valid and invalid, the result table
 *   of the ballot's kind (none for a void ballot), the bundle's id and what the verifier says of
 *   it (run here, in a Web Worker, on the bundle as served), a QR code of the verifier with the
 *   bundle's address, and lines for the 监票人 (named), the 计票人 and the 主持人 to sign;
 * - `/secretary/m/:mid/minutes` — the draft minutes (会议记录): attendance (present, and 请假 /
 *   离会 where the meeting view gives them), the scrutineers and every ballot's result, with
 *   the CSV export of all results.
 * Figures are those of the bundles (client/record/data.ts). Print CSS: client/styles/record.css.
 */
import { createResource, createSignal, For, Match, Show, Switch, type JSX } from 'solid-js';
import type { Bundle } from '../../crypto/index.ts';
import { publicOrigin } from '../address.ts';
import { messageOf } from '../api.ts';
import { t } from '../i18n.ts';
import { clientKind } from '../kinds/index.ts';
import { ResultTable } from '../result.tsx';
import type { FromWorker } from '../verify/protocol.ts';
import type { MeetingDetail } from '../types.ts';
import { LangSwitch, Notice, QrCode } from '../ui.tsx';
import { kindWord, quorumSentence, roundWord, statusWord, typeWord } from '../words.ts';
import { resultsCsv, downloadText } from './csv.ts';
import { bundlePath, hasBundle, loadBundle, loadMeeting, loadServerKey, type ServedBundle } from './data.ts';
import { attendanceLists, countsLine, groupedHash, sheetHeading, turnoutLine } from './lines.ts';
import { recordRoute } from './paths.ts';
import '../styles/record.css';

type Verdict = { readonly ok: boolean; readonly codes: readonly string[]; readonly fingerprint: string | null };

/** Run the public verifier (client/verify/verify.worker.ts) on the bundle's text as served. */
function verifyInWorker(text: string, serverKey: string | null): Promise<Verdict> {
  return new Promise((resolve) => {
    const worker = new Worker(new URL('../verify/verify.worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (ev: MessageEvent<FromWorker>) => {
      const m = ev.data;
      if (m.kind !== 'result') return;
      worker.terminate();
      resolve({ ok: m.ok, codes: m.failures.map((f) => f.code), fingerprint: m.fingerprint });
    };
    worker.onerror = () => {
      worker.terminate();
      resolve({ ok: false, codes: ['WORKER'], fingerprint: null });
    };
    worker.postMessage({ kind: 'verify', text, ...(serverKey ? { serverKey } : {}) });
  });
}

/** The verifier's verdict: verified; complete but void (the only failure: more cast than issued, protocol §9); or not verified. */
function verdictState(v: Verdict): 'ok' | 'void' | 'failed' {
  if (v.ok) return 'ok';
  return v.codes.length > 0 && v.codes.every((c) => c === 'COUNT_EXCEEDS_ISSUED') ? 'void' : 'failed';
}

/** The verdict in words (a failure with its codes). */
function verdictWords(v: Verdict): string {
  const state = verdictState(v);
  return state === 'failed' ? t('record.verify.failed', { codes: v.codes.join(', ') }) : t(`record.verify.${state}`);
}

export default function Record() {
  const r = recordRoute(location.pathname)!;
  return (
    <div class="record-app">
      <header class="record-bar no-print">
        <a class="record-back" href={`/secretary/m/${r.meetingId}`}>← {t('record.back')}</a>
        <div class="record-bar-actions">
          <LangSwitch />
          <button type="button" class="btn btn-primary" onClick={() => window.print()} data-testid="record-print">
            {t('common.print')}
          </button>
        </div>
      </header>
      <Show when={r.ballotId} fallback={<Minutes meetingId={r.meetingId} />}>
        {(bid) => <BallotSheet meetingId={r.meetingId} ballotId={bid()} />}
      </Show>
    </div>
  );
}

/** Why the record cannot be shown, in words (a refusal's own, e.g. 表决结果尚未公布), and the way back. */
function Failure(props: { error?: unknown; words?: string; meetingId: string }) {
  return (
    <main class="record-main">
      <Notice kind="error" testid="record-error">
        {props.words ?? messageOf(props.error)} <a href={`/secretary/m/${props.meetingId}`}>{t('record.back')}</a>
      </Notice>
    </main>
  );
}

/** One row of the facts table. */
function Fact(props: { label: string; children: JSX.Element; testid?: string }) {
  return (
    <tr>
      <th scope="row">{props.label}</th>
      <td data-testid={props.testid}>{props.children}</td>
    </tr>
  );
}

/** The result of one bundle: its kind's table, or the items voted on and the void notice (no count per item, no outcome: protocol §9). */
function BundleResult(props: { bundle: Bundle; void: boolean }) {
  return (
    <Show
      when={!props.void}
      fallback={
        <>
          <ol class="record-items" data-testid="record-items">
            <For each={props.bundle.ballot.items}>{(item) => <li>{clientKind(props.bundle.ballot.type).itemLabel(item)}</li>}</For>
          </ol>
          <p class="record-void" data-testid="record-void">{t('record.void')}</p>
        </>
      }
    >
      <ResultTable ballot={props.bundle.ballot} tally={props.bundle.tally} class="record-table" />
    </Show>
  );
}

function BallotSheet(props: { meetingId: string; ballotId: string }) {
  const [detail] = createResource(() => loadMeeting(props.meetingId));
  const [served] = createResource(() => loadBundle(props.ballotId));
  const [verdict] = createResource(() => (served.state === 'ready' ? served() : undefined), async (s) => verifyInWorker(s.text, await loadServerKey()));
  const view = () => detail()?.ballots.find((b) => b.id === props.ballotId);
  const verifyUrl = () => `${publicOrigin()}/verify?bundle=${encodeURIComponent(bundlePath(props.ballotId))}`;
  return (
    <Switch fallback={<p class="record-main muted">{t('common.loading')}</p>}>
      <Match when={detail.error || served.error}>
        <Failure error={detail.error ?? served.error} meetingId={props.meetingId} />
      </Match>
      <Match when={!detail.error && detail() && !view()}>
        <Failure words={t('record.noBallot')} meetingId={props.meetingId} />
      </Match>
      {/* A resource read in error throws: each is read only once its error is known to be none. */}
      <Match when={!detail.error && !served.error && detail() && served() && view()}>
        {(_) => {
          const d = detail()!;
          const s = served()!;
          const b = s.bundle;
          const voided = view()!.status === 'void';
          const kind = clientKind(b.ballot.type);
          const previous = () => d.ballots.find((x) => x.id === b.ballot.round.previous?.ballotId);
          return (
            <main class="record-main">
              <article class="record-sheet" data-testid="record-sheet" data-verified={verdict() ? verdictState(verdict()!) : 'pending'}>
                <p class="record-org">{d.meeting.title}</p>
                <h1 class="record-title" data-testid="record-heading">{sheetHeading(b.ballot.type)}</h1>
                <table class="record-facts">
                  <tbody>
                    <Fact label={t('record.meeting')}>{d.meeting.title}</Fact>
                    <Fact label={t('record.ballot')} testid="record-ballot">{b.ballot.title}</Fact>
                    <Fact label={t('record.type')}>{typeWord(b.ballot.type)}{t('record.paren', { text: t(`type.${b.ballot.type}.who`) })}</Fact>
                    <Fact label={t('record.round')} testid="record-round">
                      {roundWord(b.ballot.round.number)}
                      <Show when={previous()}>{(p) => <>{t('record.paren', { text: t('round.previous', { title: p().title }) })}</>}</Show>
                    </Fact>
                    <Fact label={t('record.rule')}>{kind.ruleWords(b.ballot)} {quorumSentence(b.ballot.rule, b.ballot.type)}</Fact>
                    <Fact label={t('record.attendance')} testid="record-turnout">{turnoutLine(b.tally)}</Fact>
                    <Fact label={t('record.ballots')} testid="record-counts">{countsLine(b.tally)}</Fact>
                  </tbody>
                </table>
                <h2 class="record-h2">{t('record.result')}</h2>
                <BundleResult bundle={b} void={voided} />
                <section class="record-check">
                  <div class="record-check-text">
                    <p>
                      <span class="record-label">{t('record.bundleId')}</span>
                      <span class="mono record-hash" data-testid="record-hash">{groupedHash(s.id)}</span>
                    </p>
                    <p data-testid="record-verdict">
                      <span class="record-label">{t('record.verify')}</span>
                      {verdict() ? verdictWords(verdict()!) : t('record.verify.running')}
                    </p>
                    <Show when={verdict()?.fingerprint}>
                      {(f) => (
                        <p>
                          <span class="record-label">{t('record.fingerprint')}</span>
                          <span class="mono" data-testid="record-fingerprint">{f()}</span>
                        </p>
                      )}
                    </Show>
                    <p>
                      <span class="record-label">{t('record.address')}</span>
                      <span class="mono record-url" data-testid="record-url">{publicOrigin()}{bundlePath(props.ballotId)}</span>
                    </p>
                    <p class="record-hint">{t('record.qrHint')}</p>
                  </div>
                  <div class="record-qr" data-testid="record-qr" data-url={verifyUrl()}>
                    <QrCode text={verifyUrl()} label={t('record.qrHint')} />
                  </div>
                </section>
                <Signatures
                  rows={[
                    { role: t('record.sign.scrutineer'), names: d.scrutiny.scrutineers.map((x) => x.name) },
                    { role: t('record.sign.teller'), names: [''] },
                    { role: t('record.sign.chair'), names: [''] },
                  ]}
                />
              </article>
            </main>
          );
        }}
      </Match>
    </Switch>
  );
}

/** Lines to sign on: one per name (a printed name under the line), or one blank line. */
function Signatures(props: { rows: readonly { role: string; names: readonly string[] }[] }) {
  return (
    <section class="record-signatures" data-testid="record-signatures">
      <For each={props.rows}>
        {(row) => (
          <div class="sign-row">
            <span class="sign-role">{t('record.sign.role', { role: row.role })}</span>
            <div class="sign-lines">
              <For each={row.names.length ? row.names : ['']}>
                {(name) => (
                  <span class="sign-slot">
                    <span class="sign-line" />
                    <span class="sign-name">{name}</span>
                  </span>
                )}
              </For>
            </div>
          </div>
        )}
      </For>
      <p class="sign-date">{t('record.date')}</p>
    </section>
  );
}

function Minutes(props: { meetingId: string }) {
  const [detail] = createResource(() => loadMeeting(props.meetingId));
  const [bundles] = createResource(() => (detail.state === 'ready' ? detail() : undefined), async (d) => {
    const out = new Map<string, ServedBundle>();
    for (const b of d.ballots) if (hasBundle(b)) out.set(b.id, await loadBundle(b.id));
    return out;
  });
  const [csvError, setCsvError] = createSignal<string | null>(null);
  const exportCsv = (d: MeetingDetail, got: ReadonlyMap<string, ServedBundle>) => {
    setCsvError(null);
    const ballots = d.ballots.filter(hasBundle).map((b) => ({ bundle: got.get(b.id)!.bundle, void: b.status === 'void' }));
    if (!ballots.length) {
      setCsvError(t('record.csv.none'));
      return;
    }
    downloadText(resultsCsv(d.meeting.title, ballots), t('record.csv.file', { title: d.meeting.title.replace(/[\\/:*?"<>|]/g, '_') }));
  };
  return (
    <Switch fallback={<p class="record-main muted">{t('common.loading')}</p>}>
      <Match when={detail.error || bundles.error}>
        <Failure error={detail.error ?? bundles.error} meetingId={props.meetingId} />
      </Match>
      <Match when={!detail.error && !bundles.error && detail() && bundles()}>
        {(_) => {
          const d = detail()!;
          const got = bundles()!;
          const lists = attendanceLists(d.members);
          const names = (ms: readonly { name: string }[]) => ms.map((m) => m.name).join(t('record.nameSep'));
          /** 6 人：卢海涛、余洋 … (the count alone when nobody is listed). */
          const people = (ms: readonly { name: string }[]) => (ms.length ? t('record.minutes.list', { n: ms.length, names: names(ms) }) : t('record.minutes.people', { n: 0 }));
          const byKind = () => {
            const kinds = [...new Set(d.members.map((m) => m.kind))];
            return kinds.map((k) => t('record.kindCount', { kind: kindWord(k), n: d.members.filter((m) => m.kind === k).length })).join(t('record.listSep'));
          };
          return (
            <main class="record-main">
              <div class="record-tools no-print">
                <button type="button" class="btn btn-secondary" onClick={() => exportCsv(d, got)} data-testid="csv-export">
                  {t('record.csv.export')}
                </button>
                <span class="muted">{t('record.csv.hint')}</span>
                <Show when={csvError()}>{(m) => <Notice kind="warn">{m()}</Notice>}</Show>
              </div>
              <article class="record-sheet minutes" data-testid="minutes">
                <p class="record-draft">{t('record.minutes.draft')}</p>
                <h1 class="record-title">{t('record.minutes.title', { title: d.meeting.title })}</h1>
                <table class="record-facts">
                  <tbody>
                    <Fact label={t('record.meeting')}>{d.meeting.title}</Fact>
                    <Fact label={t('record.minutes.roster')} testid="minutes-roster">
                      {t('record.minutes.rosterLine', { n: d.members.length })}{byKind() ? t('record.paren', { text: byKind() }) : ''}
                    </Fact>
                    <Fact label={t('record.minutes.present')} testid="minutes-present">
                      {people(lists.present)}
                    </Fact>
                    <Show when={lists.leave.length}>
                      <Fact label={t('record.minutes.leave')} testid="minutes-leave">{people(lists.leave)}</Fact>
                    </Show>
                    <Show when={lists.left.length}>
                      <Fact label={t('record.minutes.left')} testid="minutes-left">{people(lists.left)}</Fact>
                    </Show>
                    <Show when={lists.absent.length}>
                      <Fact label={t('record.minutes.absent')} testid="minutes-absent">{people(lists.absent)}</Fact>
                    </Show>
                    <Fact label={t('record.sign.scrutineer')} testid="minutes-scrutineers">{names(d.scrutiny.scrutineers) || t('record.minutes.none')}</Fact>
                    <Fact label={t('record.minutes.ballots')}>{t('record.minutes.ballotCount', { n: d.ballots.length })}</Fact>
                  </tbody>
                </table>
                <h2 class="record-h2">{t('record.minutes.results')}</h2>
                <For each={d.ballots} fallback={<p class="muted">{t('record.minutes.noBallots')}</p>}>
                  {(b, i) => {
                    const s = got.get(b.id);
                    return (
                      <section class="minutes-ballot" data-testid="minutes-ballot" data-ballot={b.id}>
                        <h3>
                          {i() + 1}. {b.title}
                          <Show when={b.round.number > 1}>{t('record.paren', { text: roundWord(b.round.number) })}</Show>
                        </h3>
                        <p class="muted">{t('record.minutes.kindRule', { type: typeWord(b.type), rule: `${clientKind(b.type).ruleWords(b)} ${quorumSentence(b.rule, b.type)}` })}</p>
                        <Show when={s} fallback={<p data-testid="minutes-pending">{t('record.minutes.notOut', { status: statusWord(b.status) })}</p>}>
                          {(x) => (
                            <>
                              <p data-testid="minutes-turnout">{turnoutLine(x().bundle.tally)}</p>
                              <p data-testid="minutes-counts">{countsLine(x().bundle.tally)}</p>
                              <BundleResult bundle={x().bundle} void={b.status === 'void'} />
                              <p class="record-small">
                                <span class="record-label">{t('record.bundleId')}</span>
                                <span class="mono record-hash">{groupedHash(x().id)}</span>
                              </p>
                            </>
                          )}
                        </Show>
                      </section>
                    );
                  }}
                </For>
                <Signatures rows={[{ role: t('record.sign.clerk'), names: [''] }, { role: t('record.sign.chair'), names: [''] }]} />
              </article>
            </main>
          );
        }}
      </Match>
    </Switch>
  );
}
