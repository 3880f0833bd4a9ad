import {
  parseJson,
  startFakePlatform,
  type FakePlatform,
  type FakePlatformOptions,
} from './fake-platform.js';

const TELEGRAM_TAGS = new Set([
  'b',
  'strong',
  'i',
  'em',
  'u',
  'ins',
  's',
  'strike',
  'del',
  'span',
  'tg-spoiler',
  'a',
  'tg-emoji',
  'code',
  'pre',
  'blockquote',
]);

/**
 * Telegram's HTML parse mode rules: only its tags, properly nested; `<`,
 * `>` and `&` only as markup or as `&lt;` `&gt;` `&amp;` `&quot;` or numeric
 * entities. Returns the parse error, or null.
 */
export function checkTelegramHtml(text: string): string | null {
  const stack: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '<') {
      const m = /^<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+="[^"<>]*")*)\s*>/.exec(text.slice(i));
      if (!m) return `can't parse entities: unexpected "<" at byte offset ${i}`;
      const [all, closing, rawName] = m;
      const name = (rawName ?? '').toLowerCase();
      if (!TELEGRAM_TAGS.has(name))
        return `can't parse entities: unsupported start tag "${name}" at byte offset ${i}`;
      if (closing) {
        if (stack.pop() !== name) return `can't parse entities: unmatched end tag at byte offset ${i}`;
      } else stack.push(name);
      i += all.length - 1;
    } else if (ch === '>') {
      return `can't parse entities: unexpected ">" at byte offset ${i}`;
    } else if (ch === '&') {
      if (!/^&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);/.test(text.slice(i, i + 12)))
        return `can't parse entities: unsupported entity at byte offset ${i}`;
    }
  }
  if (stack.length > 0)
    return `can't parse entities: can't find end tag corresponding to start tag "${stack.pop()}"`;
  return null;
}

/** A local Telegram Bot API `sendMessage` (`/bot<token>/sendMessage`) enforcing its rules. */
export function startFakeTelegram(options: FakePlatformOptions = {}): Promise<FakePlatform> {
  let nextId = 1;
  return startFakePlatform(options, '/bot123456:FAKE-token/sendMessage', (req, reply) => {
    const fail = (status: number, description: string) =>
      reply.answer(status, { ok: false, error_code: status, description });
    const path = new URL(req.path, 'http://x');
    if (!/^\/bot[^/]+\/sendMessage$/.test(path.pathname)) return fail(404, 'Not Found');
    const throttled = reply.throttled();
    if (throttled !== null) {
      // Telegram's retry_after is whole seconds.
      const seconds = Math.ceil(throttled);
      return reply.answer(
        429,
        {
          ok: false,
          error_code: 429,
          description: `Too Many Requests: retry after ${seconds}`,
          parameters: { retry_after: seconds },
        },
        { 'retry-after': String(seconds) },
      );
    }
    const parsed = parseJson(req.body);
    if (parsed === null || typeof parsed !== 'object') return fail(400, 'Bad Request: message text is empty');
    const body = parsed as Record<string, unknown>;
    const rawChatId = body['chat_id'] ?? path.searchParams.get('chat_id');
    const chatId = typeof rawChatId === 'string' || typeof rawChatId === 'number' ? String(rawChatId) : '';
    if (chatId === '') return fail(400, 'Bad Request: chat_id is empty');
    const text = body['text'];
    if (typeof text !== 'string' || text.trim() === '')
      return fail(400, 'Bad Request: message text is empty');
    if (text.length > 4_096) return fail(400, 'Bad Request: message is too long');
    if (body['parse_mode'] !== undefined && body['parse_mode'] !== 'HTML')
      return fail(400, 'Bad Request: unsupported parse_mode in this fake');
    if (body['parse_mode'] === 'HTML') {
      const problem = checkTelegramHtml(text);
      if (problem) return fail(400, `Bad Request: ${problem}`);
    }
    reply.accept(body);
    return reply.answer(200, {
      ok: true,
      result: { message_id: nextId++, chat: { id: chatId }, date: Math.floor(Date.now() / 1000), text },
    });
  });
}
