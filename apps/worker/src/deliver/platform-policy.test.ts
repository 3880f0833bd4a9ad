import type { DeliveryTarget } from '@herald/engine';
import type { DeliveryJobData } from '@herald/queue';
import { buildPlatformRequest } from './platform-request.js';
import { decide, platformError, platformRetryAfterMs, type AttemptResult } from './retry-policy.js';

const opts = { scheduleMs: [5_000, 300_000], random: () => 0.5 };
const answer = (
  statusCode: number,
  format: AttemptResult['format'],
  body: unknown,
  retryAfterMs: number | null = null,
): AttemptResult => ({
  outcome: statusCode < 300 ? 'success' : 'http_error',
  statusCode,
  retryAfterMs,
  format,
  responseSnippet: typeof body === 'string' ? body : JSON.stringify(body),
});

describe('platform answers', () => {
  test('a Discord 429 waits the body’s fractional retry_after, pauses the webhook and spares the breaker', () => {
    const d = decide(answer(429, 'discord', { retry_after: 7.25, global: false }, 8_000), 0, opts);
    expect(d).toEqual({ kind: 'retry', delayMs: 7_250, pauseWebhookMs: 7_250, countsForBreaker: false });
  });

  test('a Telegram 429 waits parameters.retry_after', () => {
    const body = {
      ok: false,
      error_code: 429,
      description: 'Too Many Requests: retry after 12',
      parameters: { retry_after: 12 },
    };
    expect(decide(answer(429, 'telegram', body), 0, opts)).toMatchObject({
      kind: 'retry',
      delayMs: 12_000,
      pauseWebhookMs: 12_000,
      countsForBreaker: false,
    });
  });

  test('a 429 without a usable body falls back to Retry-After', () => {
    expect(decide(answer(429, 'discord', 'not json', 9_000), 0, opts)).toMatchObject({
      pauseWebhookMs: 9_000,
    });
    expect(decide(answer(429, 'discord', { retry_after: -1 }, 9_000), 0, opts)).toMatchObject({
      pauseWebhookMs: 9_000,
    });
  });

  test('a standard webhook’s body retry_after is not read', () => {
    expect(platformRetryAfterMs('standard', '{"retry_after": 100}')).toBeNull();
    expect(decide(answer(429, 'standard', { retry_after: 100 }), 0, opts)).toMatchObject({
      pauseWebhookMs: 5_000,
    });
  });

  test('the body’s retry_after is bounded like Retry-After', () => {
    expect(decide(answer(429, 'discord', { retry_after: 1e9 }), 0, opts)).toMatchObject({
      pauseWebhookMs: 3_600_000,
    });
  });

  test.each([
    [404, 'Discord says the webhook no longer exists (404)'],
    [401, 'Discord refused the webhook token (401)'],
  ])('a Discord %i disables the webhook with the reason', (code, reason) => {
    expect(decide(answer(code, 'discord', { message: 'Unknown Webhook', code: 10015 }), 0, opts)).toEqual({
      kind: 'disable',
      reason,
    });
  });

  test('a 404 from a standard or Telegram endpoint is an ordinary failure', () => {
    expect(decide(answer(404, 'standard', ''), 0, opts)).toMatchObject({ kind: 'retry' });
    expect(decide(answer(404, 'telegram', { ok: false }), 0, opts)).toMatchObject({ kind: 'retry' });
  });

  test('a Telegram 2xx with ok:false is a failure (counted by the breaker), ok:true a success', () => {
    const refusal = { ok: false, error_code: 400, description: 'Bad Request: chat not found' };
    expect(decide(answer(200, 'telegram', refusal), 0, opts)).toMatchObject({
      kind: 'retry',
      countsForBreaker: true,
    });
    expect(decide(answer(200, 'telegram', refusal), 2, opts)).toMatchObject({ kind: 'dead' });
    expect(decide(answer(200, 'telegram', { ok: true, result: {} }), 0, opts)).toEqual({ kind: 'succeeded' });
    // A body cut short still starts with its verdict.
    expect(decide(answer(200, 'telegram', '{"ok":false,"description":"x'), 0, opts)).toMatchObject({
      kind: 'retry',
    });
    expect(
      decide(answer(200, 'telegram', `{"ok":true,"result":{"text":"${'x'.repeat(50)}`), 0, opts),
    ).toEqual({
      kind: 'succeeded',
    });
    // Only Telegram's answers are read that way.
    expect(decide(answer(200, 'standard', refusal), 0, opts)).toEqual({ kind: 'succeeded' });
    expect(platformError('telegram', 200, JSON.stringify(refusal))).toBe(
      'Telegram: Bad Request: chat not found',
    );
  });

  test('Telegram’s ok:false description and Discord’s message become the attempt error', () => {
    expect(
      platformError(
        'telegram',
        400,
        '{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}',
      ),
    ).toBe('Telegram: Bad Request: chat not found');
    expect(platformError('discord', 400, '{"message":"Cannot send an empty message","code":50006}')).toBe(
      'Discord: Cannot send an empty message (code 50006)',
    );
    expect(platformError('telegram', 200, '{"ok":true,"result":{}}')).toBeNull();
    expect(platformError('standard', 400, '{"ok":false,"description":"x"}')).toBeNull();
    expect(platformError('telegram', 502, '<html>bad gateway</html>')).toBeNull();
  });
});

describe('buildPlatformRequest', () => {
  const target = (format: DeliveryTarget['format'], url: string): DeliveryTarget => ({
    id: 'wh_1',
    appId: 'app_1',
    url,
    format,
    headers: { 'x-custom': 'yes', 'webhook-signature': 'forged' },
    userAgent: null,
    state: 'enabled',
    eventTypes: [],
    rateLimitPerSecond: null,
    signingKeys: [Buffer.alloc(32)],
    appName: 'Shop <b>&',
  });
  const data = {
    deliveryId: 'dlv_1',
    eventId: 'msg_1',
    webhookId: 'wh_1',
    appId: 'app_1',
    body: JSON.stringify({
      type: 'auth.login.failed',
      timestamp: '2026-11-27T08:00:00.000Z',
      data: { user: 'a' },
    }),
    attemptOffset: 0,
    scheduleOffset: 0,
  } as unknown as DeliveryJobData;

  test('Discord gets ?wait=true, an embed and no signature headers', () => {
    const req = buildPlatformRequest(
      target('discord', 'https://discord.com/api/webhooks/1/tok?thread_id=9'),
      data,
      2,
      'Herald-Webhooks/test',
    );
    expect(req.url).toBe('https://discord.com/api/webhooks/1/tok?thread_id=9&wait=true');
    expect(req.headers).toEqual({
      'x-custom': 'yes',
      'content-type': 'application/json',
      'user-agent': 'Herald-Webhooks/test',
      'herald-delivery-id': 'dlv_1',
      'herald-attempt': '2',
    });
    const body = JSON.parse(req.body);
    expect(body.embeds[0].title).toBe('🛡️ Login failed');
    expect(body.embeds[0].footer.text).toBe('auth.login.failed · msg_1');
    expect(body.embeds[0].author).toEqual({ name: 'Shop <b>&' });
    expect(body.allowed_mentions).toEqual({ parse: [] });
  });

  test('Telegram’s chat_id moves from the URL into the body', () => {
    const req = buildPlatformRequest(
      target('telegram', 'https://api.telegram.org/bot1:AA/sendMessage?chat_id=-100123'),
      data,
      1,
      'ua',
    );
    expect(req.url).toBe('https://api.telegram.org/bot1:AA/sendMessage');
    const body = JSON.parse(req.body);
    expect(body).toMatchObject({ chat_id: '-100123', parse_mode: 'HTML' });
    // The app name is in the message, escaped for Telegram's HTML.
    expect(body.text).toContain('<i>Shop &lt;b&gt;&amp;</i>');
  });

  test('Slack gets blocks with a text fallback', () => {
    const req = buildPlatformRequest(
      target('slack', 'https://hooks.slack.com/services/T/B/X'),
      data,
      1,
      'ua',
    );
    expect(req.url).toBe('https://hooks.slack.com/services/T/B/X');
    const body = JSON.parse(req.body) as { text: string; blocks: unknown[] };
    expect(body.text).toBe('🛡️ Login failed');
    expect(body.blocks[0]).toMatchObject({ type: 'header' });
    expect(JSON.stringify(body.blocks.at(-1))).toContain('Shop &lt;b&gt;&amp; · ');
  });
});
