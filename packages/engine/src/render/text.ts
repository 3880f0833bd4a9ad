/**
 * Text helpers shared by the platform renderers. Every length here is in
 * UTF-16 code units (what Discord, Telegram and Slack count, and what
 * `String.prototype.length` gives), and no cut ever splits a surrogate pair.
 */

export const ELLIPSIS = '…';

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** The longest prefix of `text` at most `max` units long that ends on a whole code point. */
export function cutAt(text: string, max: number): string {
  if (max <= 0) return '';
  if (text.length <= max) return text;
  let end = max;
  if (isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
  return text.slice(0, end);
}

/** `text` if it fits in `max` units, else a prefix plus "…" that does. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max < ELLIPSIS.length) return cutAt(text, max);
  return cutAt(text, max - ELLIPSIS.length) + ELLIPSIS;
}

/**
 * Escapes `text` with `escape` (applied per code point) and truncates the
 * escaped result to `max` units without ever cutting inside an escape
 * sequence (`&amp;`) or a surrogate pair; a cut text ends with "…".
 */
export function truncateEscaped(text: string, max: number, escape: (ch: string) => string): string {
  const pieces = Array.from(text, escape);
  const whole = pieces.join('');
  if (whole.length <= max) return whole;
  const room = max - ELLIPSIS.length;
  if (room < 0) return '';
  let out = '';
  for (const piece of pieces) {
    if (out.length + piece.length > room) break;
    out += piece;
  }
  return out + ELLIPSIS;
}

/** `&`, `<` and `>` as HTML entities (Telegram HTML, Slack mrkdwn). */
export function escapeHtmlChar(ch: string): string {
  return ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : ch;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>]/g, escapeHtmlChar);
}
