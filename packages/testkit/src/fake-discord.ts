import {
  parseJson,
  startFakePlatform,
  type FakePlatform,
  type FakePlatformOptions,
} from './fake-platform.js';

/**
 * Discord's documented webhook-message validation (Execute Webhook, embed
 * limits), counted in UTF-16 units: stricter than Discord, which counts code
 * points. Returns what Discord would complain about; empty = accepted.
 */
export function checkDiscordMessage(
  message: unknown,
): { code: number; message: string; errors: string[] } | null {
  const invalid = (errors: string[]) => ({ code: 50035, message: 'Invalid Form Body', errors });
  if (message === null || typeof message !== 'object' || Array.isArray(message)) {
    return { code: 50109, message: 'The request body contains invalid JSON.', errors: [] };
  }
  const m = message as Record<string, unknown>;
  const errors: string[] = [];
  const str = (v: unknown): v is string => typeof v === 'string';
  const content = m['content'];
  if (content !== undefined && !str(content)) errors.push('content: must be a string');
  if (str(content) && content.length > 2_000) errors.push('content: must be 2000 or fewer in length');
  const embeds = m['embeds'];
  if (embeds !== undefined && !Array.isArray(embeds)) errors.push('embeds: must be an array');
  const list = Array.isArray(embeds) ? (embeds as unknown[]) : [];
  if (list.length > 10) errors.push('embeds: must be 10 or fewer in length');
  let total = 0;
  list.forEach((raw, i) => {
    if (raw === null || typeof raw !== 'object') return void errors.push(`embeds.${i}: must be an object`);
    const e = raw as Record<string, unknown>;
    const limit = (path: string, v: unknown, max: number, required = false) => {
      if (v === undefined && !required) return;
      if (!str(v)) return void errors.push(`${path}: must be a string`);
      if (required && v.trim() === '') errors.push(`${path}: this field is required`);
      if (v.length > max) errors.push(`${path}: must be ${max} or fewer in length`);
      total += v.length;
    };
    limit(`embeds.${i}.title`, e['title'], 256);
    limit(`embeds.${i}.description`, e['description'], 4_096);
    const footer = e['footer'] as Record<string, unknown> | undefined;
    if (footer !== undefined) limit(`embeds.${i}.footer.text`, footer['text'], 2_048, true);
    const author = e['author'] as Record<string, unknown> | undefined;
    if (author !== undefined) limit(`embeds.${i}.author.name`, author['name'], 256, true);
    const color = e['color'];
    if (
      color !== undefined &&
      (!Number.isInteger(color) || (color as number) < 0 || (color as number) > 0xffffff)
    )
      errors.push(`embeds.${i}.color: invalid`);
    const ts = e['timestamp'];
    if (ts !== undefined && (!str(ts) || Number.isNaN(Date.parse(ts))))
      errors.push(`embeds.${i}.timestamp: could not parse`);
    const fields = e['fields'];
    if (fields !== undefined) {
      if (!Array.isArray(fields)) return void errors.push(`embeds.${i}.fields: must be an array`);
      if (fields.length > 25) errors.push(`embeds.${i}.fields: must be 25 or fewer in length`);
      (fields as unknown[]).forEach((f, j) => {
        const field = (f ?? {}) as Record<string, unknown>;
        limit(`embeds.${i}.fields.${j}.name`, field['name'], 256, true);
        limit(`embeds.${i}.fields.${j}.value`, field['value'], 1_024, true);
      });
    }
  });
  if (total > 6_000) errors.push('embeds: total length must be 6000 or fewer');
  const mentions = m['allowed_mentions'] as Record<string, unknown> | undefined;
  if (mentions !== undefined) {
    const parse = mentions['parse'];
    if (
      parse !== undefined &&
      (!Array.isArray(parse) || parse.some((p) => !['roles', 'users', 'everyone'].includes(String(p))))
    )
      errors.push('allowed_mentions.parse: invalid');
  }
  if (errors.length > 0) return invalid(errors);
  const hasContent = str(content) && content.trim() !== '';
  if (!hasContent && list.length === 0)
    return { code: 50006, message: 'Cannot send an empty message', errors: [] };
  return null;
}

export interface FakeDiscord extends FakePlatform {
  /** From now on the webhook is deleted: 404 `{"code": 10015}`. */
  deleteWebhook(): void;
}

/** A local Discord webhook endpoint (`/api/webhooks/1/token`) enforcing Discord's validation. */
export async function startFakeDiscord(options: FakePlatformOptions = {}): Promise<FakeDiscord> {
  let deleted = false;
  let nextId = 1;
  const platform = await startFakePlatform(options, '/api/webhooks/1/fake-token', (req, reply) => {
    if (req.method !== 'POST' || !/^\/api\/webhooks\/[^/]+\/[^/?]+/.test(req.path))
      return reply.answer(404, { message: '404: Not Found', code: 0 });
    if (deleted) return reply.answer(404, { message: 'Unknown Webhook', code: 10015 });
    const seconds = reply.throttled();
    if (seconds !== null) {
      return reply.answer(
        429,
        { message: 'You are being rate limited.', retry_after: seconds, global: false },
        { 'retry-after': String(Math.ceil(seconds)) },
      );
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
      return reply.answer(400, { message: 'Cannot send an empty message', code: 50006 });
    const body = parseJson(req.body);
    if (body === undefined)
      return reply.answer(400, { message: 'The request body contains invalid JSON.', code: 50109 });
    const problem = checkDiscordMessage(body);
    if (problem) return reply.answer(400, problem);
    reply.accept(body);
    const wait = new URL(req.path, 'http://x').searchParams.get('wait') === 'true';
    if (!wait) return reply.empty(204);
    return reply.answer(200, { id: String(nextId++), type: 0, ...(body as object) });
  });
  return {
    ...platform,
    deleteWebhook() {
      deleted = true;
    },
  };
}
