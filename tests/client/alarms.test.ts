// Every alarm and error a member's tablet or a scrutineer's device can show is in the person's
// language and says what to do next — never a raw code such as "bad-bundle" or "BAD_CAST_MAC".
// The words are the pages' own (client/words.ts, client/i18n.ts), in Chinese and English.
import { afterEach, describe, expect, it } from 'vitest';
import { ERRORS } from '../../server/errors.ts';
import { codeText, setLang, t, type Key, type Lang } from '../../client/i18n.ts';
import { castRefusalWords, ceremonyFailureWords, checkProblemWords, type CheckProblem } from '../../client/words.ts';

// i18n.ts remembers the language on the page; in Node there is neither storage nor a document.
(globalThis as { document?: unknown }).document ??= { documentElement: {} };

const LANGS: readonly Lang[] = ['zh', 'en'];
/** A code as the server or the crypto code spells it: BAD_CAST_MAC, HTTP_502, bad-bundle, other-keys. */
const RAW = /\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\bHTTP\b|\b(?:bad|invalid|other|no|accused)-[a-z]+\b/;
/**
 * In Chinese text, any word in lower-case Latin letters is a program's text (JSON is a format's
 * name); a file name extension as Windows shows it (.xlsx, .xls, .csv) is the user's own word.
 */
const LATIN_IN_ZH = /(?<!\.)\b[a-z]{2,}|(?<=\.)(?!(?:xlsx|xls|csv)\b)[a-z]{2,}/;
/** What to do next: 请… / 须… in Chinese; an imperative in English. */
const NEXT_STEP: Record<Lang, RegExp> = {
  zh: /请|须/,
  en: /\b(Reload|reload|Try|try|Ask|ask|Tell|tell|Wait|wait|Sign in|sign in|Enter|Check|Fix|Contact|contact|Look|Make|List|list|Use|Save|Open|Keep|upload|confirm|Do not|must)\b/,
};

function inEach(f: (lang: Lang) => void): void {
  for (const lang of LANGS) {
    setLang(lang);
    f(lang);
  }
}

function expectPlain(lang: Lang, text: string, what: string): void {
  expect(text, `${what} (${lang})`).not.toMatch(RAW);
  expect(text, `${what} (${lang})`).not.toMatch(/\{\w+\}/); // no placeholder left unfilled
  if (lang === 'zh') {
    expect(text, `${what} (zh)`).toMatch(/[\u4e00-\u9fff]/);
    expect(text, `${what} (zh)`).not.toMatch(LATIN_IN_ZH);
  }
  else expect(text, `${what} (en)`).not.toMatch(/[\u4e00-\u9fff]/);
}

function expectAlarm(lang: Lang, text: string, what: string): void {
  expectPlain(lang, text, what);
  expect(text, `${what} (${lang}): says what to do`).toMatch(NEXT_STEP[lang]);
}

afterEach(() => setLang('zh'));

describe('the tablet', () => {
  it('a failed inclusion check names the problem in words and what to do, for every status', () => {
    const statuses: CheckProblem[] = ['bad-bundle', 'invalid-receipt', 'other-ballot', 'other-server'];
    inEach((lang) => {
      const seen = new Set<string>();
      for (const s of statuses) {
        const text = checkProblemWords(s);
        expectAlarm(lang, text, s);
        seen.add(text);
      }
      expect(seen.size).toBe(statuses.length); // each says what went wrong, not one text for all
    });
  });

  it('a refused cast is explained in the member’s words whatever the server’s code', () => {
    inEach((lang) => {
      for (const code of [...Object.keys(ERRORS), 'HTTP_404', 'SOMETHING_NEW']) expectAlarm(lang, castRefusalWords(code), `cast refused with ${code}`);
    });
  });

  it('the tablet’s other alarms say what to do', () => {
    const keys: Key[] = [
      'err.network', 'err.unexpected', 'err.crypto', 'tablet.lostBallot', 'tablet.signedOut', 'tablet.confirm.notMe', 'tablet.receipt.bad',
      'tablet.cast.duplicate', 'tablet.cast.refused', 'tablet.cast.rejected', 'tablet.missing.hint', 'tablet.otherKeys.hint', 'tablet.keys.hint',
      'tablet.casting.retry', 'tablet.casting.busy',
    ];
    inEach((lang) => {
      for (const k of keys) expectAlarm(lang, t(k, { n: 2 }), k);
      for (const r of ['invalid', 'changed', 'no-ceremony'] as const) expectPlain(lang, t(`tablet.keys.reason.${r}`), r);
    });
  });
});

describe('the scrutineer’s device', () => {
  it('a failed key ceremony is told in words (which device), never as the technical record', () => {
    const failures = [
      'device 2: share from device 2: bad share',
      'device 3 cheated in the key ceremony (accused-cheated)',
      'device 1 sent an invalid complaint',
      'the ceremony does not list this device with its keys',
    ];
    inEach((lang) => {
      expectAlarm(lang, t('scr.ceremony.failedHint'), 'scr.ceremony.failedHint');
      for (const f of failures) {
        const words = ceremonyFailureWords(f);
        expect(words, f).not.toBeNull();
        expectPlain(lang, words!, f);
      }
      expect(ceremonyFailureWords('device 2: share from device 2: bad share')).toContain('2');
      expect(ceremonyFailureWords('record hash mismatch')).toBeNull(); // nothing to say beyond the hint
    });
  });

  it('the device’s other alarms say what to do', () => {
    const keys: Key[] = ['scr.ceremony.keysLost', 'scr.storageFailed', 'scr.otherTab', 'scr.signedOut', 'scr.confirm.notMe', 'scr.decrypt.noShares', 'scr.unconfirmed'];
    inEach((lang) => {
      for (const k of keys) {
        const text = t(k, { names: lang === 'zh' ? '张三、李四' : 'Zhang San, Li Si' });
        // scr.decrypt.noShares states a fact the ceremony card beside it explains.
        if (k === 'scr.decrypt.noShares') expectPlain(lang, text, k);
        else expectAlarm(lang, text, k);
      }
    });
  });
});

describe('error messages of the API as the pages show them', () => {
  it('every code: the page’s own words where it has them, else the server’s — plain and with a next step', () => {
    inEach((lang) => {
      for (const [code, [, zh, en]] of Object.entries(ERRORS)) {
        const text = codeText(code) ?? (lang === 'en' ? en : zh);
        expectAlarm(lang, text, code);
      }
    });
  });
});
