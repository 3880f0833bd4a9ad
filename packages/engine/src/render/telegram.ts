import {
  FAMILY_EMOJI,
  eventFamily,
  eventFields,
  readableTime,
  titleFromType,
  type RenderableEvent,
} from './event.js';
import { escapeHtmlChar, truncateEscaped } from './text.js';

/** Telegram's sendMessage text limit; we count it on the HTML we send, which is stricter. */
export const TELEGRAM_TEXT_LIMIT = 4_096;

export interface TelegramMessage {
  chat_id: string;
  text: string;
  parse_mode: 'HTML';
  disable_web_page_preview: true;
}

export interface TelegramRenderOptions {
  chatId: string;
  appName?: string;
}

const FIELD_VALUE_MAX = 1_000;

/**
 * An HTML message (only `<b>`, `<i>` and `<code>`, every piece of user data
 * escaped): emoji + title in bold, app name, one `name: value` line per key
 * field, then the time, type and id. At most 4,096 units of HTML.
 */
export function renderTelegram(event: RenderableEvent, options: TelegramRenderOptions): TelegramMessage {
  const family = eventFamily(event.type);
  const esc = (text: string, max: number) => truncateEscaped(text, max, escapeHtmlChar);
  const head = [`<b>${FAMILY_EMOJI[family]} ${esc(titleFromType(event.type), 200)}</b>`];
  const appName = options.appName?.trim();
  if (appName) head.push(`<i>${esc(appName, 200)}</i>`);
  const foot = `\n<i>${esc(readableTime(event.timestamp), 100)}</i> · <code>${esc(event.type, 200)}</code> · <code>${esc(event.id, 100)}</code>`;

  const all = eventFields(event.data);
  const lines: string[] = [];
  let length = head.join('\n').length + 1 + foot.length;
  const noteRoom = 40;
  for (const f of all) {
    const name = esc(f.name, 200);
    const prefix = `<b>${name}</b>: <code>`;
    const suffix = '</code>';
    const budget = TELEGRAM_TEXT_LIMIT - noteRoom - length - 1 - prefix.length - suffix.length;
    if (budget < 10) break;
    const value = esc(f.value === '' ? '(empty)' : f.value, Math.min(FIELD_VALUE_MAX, budget));
    const line = prefix + value + suffix;
    lines.push(line);
    length += 1 + line.length;
  }
  const omitted = all.length - lines.length;
  if (omitted > 0) lines.push(`<i>… ${omitted} more field${omitted === 1 ? '' : 's'} not shown</i>`);
  const body = lines.length > 0 ? `\n${lines.join('\n')}` : '';
  return {
    chat_id: options.chatId,
    text: `${head.join('\n')}${body}${foot}`,
    parse_mode: 'HTML',
    disable_web_page_preview: true,
  };
}
