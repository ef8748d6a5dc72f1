/**
 * @module crypto/json
 * The one way a bundle's text becomes a value (protocol §7.5): RFC 8259 JSON, read so that
 * every text has at most one meaning for every implementation. Refused, with BAD_VALUE: a
 * byte-order mark, an object with two members of the same name, a string with a lone
 * surrogate (also escaped, "\ud800"), a number that is not a safe integer (fractions,
 * exponents, -0, beyond ±(2^53−1)), nesting deeper than 64, and anything RFC 8259 refuses.
 * `JSON.parse` takes the last of two equal names and any number; two verifiers could then
 * disagree on the same bundle.
 */
import { isWellFormed } from './bytes.ts';
import { refuse } from './errors.ts';

const MAX_DEPTH = 64;

/** Parse JSON text strictly (see the module comment). @throws CryptoInputError BAD_TYPE / BAD_VALUE. */
export function parseJsonStrict(text: string): unknown {
  if (typeof text !== 'string') refuse('BAD_TYPE', 'JSON text must be a string');
  if (text.charCodeAt(0) === 0xfeff) refuse('BAD_VALUE', 'JSON text must not start with a byte-order mark');
  let i = 0;
  const fail = (what: string): never => refuse('BAD_VALUE', `JSON: ${what} at offset ${i}`);
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const str = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      // Fast path: copy a run of plain characters at once (bundles hold megabytes of hex).
      let j = i;
      for (let c = text.charCodeAt(j); j < text.length && c !== 0x22 && c !== 0x5c && c >= 0x20; c = text.charCodeAt(++j));
      out += text.slice(i, j);
      i = j;
      if (i >= text.length) fail('unterminated string');
      const ch = text[i]!;
      const code = ch.charCodeAt(0);
      if (ch === '"') {
        i++;
        break;
      }
      if (code < 0x20) fail('control character in a string');
      if (ch === '\\') {
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else fail('bad escape');
      } else {
        out += ch;
        i++;
      }
    }
    if (!isWellFormed(out)) fail('lone surrogate in a string');
    return out;
  };
  const num = (): number => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m) fail('bad number');
    if (m![2] !== undefined || m![3] !== undefined) fail('only integers are allowed');
    i += m![0].length;
    const v = Number(m![0]);
    if (!Number.isSafeInteger(v) || Object.is(v, -0)) fail('integer out of the safe range');
    return v;
  };
  const value = (depth: number): unknown => {
    if (depth > MAX_DEPTH) fail('nesting too deep');
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      const o: Record<string, unknown> = {};
      const seen = new Set<string>();
      ws();
      if (text[i] === '}') {
        i++;
        return o;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a member name');
        const k = str();
        if (seen.has(k)) fail(`duplicate member name ${JSON.stringify(k)}`);
        seen.add(k);
        ws();
        if (text[i] !== ':') fail('expected :');
        i++;
        Object.defineProperty(o, k, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return o;
        }
        fail('expected , or }');
      }
    }
    if (ch === '[') {
      i++;
      const a: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return a;
      }
      for (;;) {
        a.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return a;
        }
        fail('expected , or ]');
      }
    }
    if (ch === '"') return str();
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return num();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const)
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    return fail('unexpected character');
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('text after the value');
  return v;
}
