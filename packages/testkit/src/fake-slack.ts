import {
  parseJson,
  startFakePlatform,
  type FakePlatform,
  type FakePlatformOptions,
} from './fake-platform.js';

/** Block Kit limits Slack documents for messages (UTF-16 units). */
const SLACK = {
  blocks: 50,
  text: 40_000,
  header: 150,
  sectionText: 3_000,
  sectionFields: 10,
  fieldText: 2_000,
  contextElements: 10,
  textObject: 3_000,
  blockId: 255,
} as const;

/**
 * Slack's incoming-webhook validation as documented: a JSON object with a
 * non-empty `text` or `blocks` (else `no_text`), malformed bodies
 * `invalid_payload`, and Block Kit's limits for the blocks we send (header,
 * section, context, divider) — anything off is `invalid_blocks`. Returns the
 * error string Slack would answer with, or null when the message is accepted.
 */
export function checkSlackMessage(message: unknown): string | null {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return 'invalid_payload';
  const m = message as Record<string, unknown>;
  const text = m['text'];
  const blocks = m['blocks'];
  if (text !== undefined && typeof text !== 'string') return 'invalid_payload';
  if (blocks !== undefined && !Array.isArray(blocks)) return 'invalid_payload';
  const hasText = typeof text === 'string' && text.trim() !== '';
  const list = Array.isArray(blocks) ? (blocks as unknown[]) : [];
  if (!hasText && list.length === 0) return 'no_text';
  if (typeof text === 'string' && text.length > SLACK.text) return 'msg_too_long';
  if (list.length > SLACK.blocks) return 'invalid_blocks';
  const textObject = (v: unknown, max: number, only?: 'plain_text'): boolean => {
    if (v === null || typeof v !== 'object') return false;
    const t = v as Record<string, unknown>;
    if (t['type'] !== 'plain_text' && t['type'] !== 'mrkdwn') return false;
    if (only && t['type'] !== only) return false;
    if (typeof t['text'] !== 'string' || t['text'].length === 0 || t['text'].length > max) return false;
    if (t['emoji'] !== undefined && (t['type'] !== 'plain_text' || typeof t['emoji'] !== 'boolean'))
      return false;
    if (t['verbatim'] !== undefined && (t['type'] !== 'mrkdwn' || typeof t['verbatim'] !== 'boolean'))
      return false;
    return true;
  };
  for (const raw of list) {
    if (raw === null || typeof raw !== 'object') return 'invalid_blocks';
    const b = raw as Record<string, unknown>;
    const id = b['block_id'];
    if (id !== undefined && (typeof id !== 'string' || id.length > SLACK.blockId)) return 'invalid_blocks';
    switch (b['type']) {
      case 'header':
        if (!textObject(b['text'], SLACK.header, 'plain_text')) return 'invalid_blocks';
        break;
      case 'section': {
        const fields = b['fields'];
        if (b['text'] === undefined && fields === undefined) return 'invalid_blocks';
        if (b['text'] !== undefined && !textObject(b['text'], SLACK.sectionText)) return 'invalid_blocks';
        if (fields !== undefined) {
          if (!Array.isArray(fields) || fields.length === 0 || fields.length > SLACK.sectionFields)
            return 'invalid_blocks';
          if (!(fields as unknown[]).every((f) => textObject(f, SLACK.fieldText))) return 'invalid_blocks';
        }
        break;
      }
      case 'context': {
        const elements = b['elements'];
        if (!Array.isArray(elements) || elements.length === 0 || elements.length > SLACK.contextElements)
          return 'invalid_blocks';
        if (!(elements as unknown[]).every((e) => textObject(e, SLACK.textObject))) return 'invalid_blocks';
        break;
      }
      case 'divider':
        break;
      default:
        return 'invalid_blocks';
    }
  }
  return null;
}

/**
 * A local Slack incoming webhook (`/services/T…/B…/…`): 200 `ok` for an
 * accepted message, 400 with Slack's plain-text error otherwise, 404
 * `no_service` for another path, and 429 with `Retry-After` (seconds) when
 * rate limited (Slack allows about one message a second per webhook).
 */
export function startFakeSlack(options: FakePlatformOptions = {}): Promise<FakePlatform> {
  return startFakePlatform(options, '/services/T0000FAKE/B0000FAKE/fakeSecretToken', (req, reply) => {
    if (req.method !== 'POST' || !/^\/services\/[^/]+\/[^/]+\/[^/?]+$/.test(req.path))
      return reply.answer(404, 'no_service');
    const seconds = reply.throttled();
    if (seconds !== null)
      return reply.answer(429, 'rate_limited', { 'retry-after': String(Math.ceil(seconds)) });
    if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
      return reply.answer(400, 'invalid_payload');
    const body = parseJson(req.body);
    if (body === undefined) return reply.answer(400, 'invalid_payload');
    const problem = checkSlackMessage(body);
    if (problem) return reply.answer(400, problem);
    reply.accept(body);
    return reply.answer(200, 'ok');
  });
}
