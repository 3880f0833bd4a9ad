import { deleteAllWebhooks, CLI_ACTOR, createSharedState } from '@herald/engine';
import {
  checkDiscordMessage,
  checkTelegramHtml,
  checkSlackMessage,
  startFakeDiscord,
  startFakeSlack,
  startFakeTelegram,
  startReceiver,
  waitUntil,
  type FakePlatform,
  type Receiver,
} from '@herald/testkit';
import { createLogger } from '@herald/logger';
import { createKeyring } from '@herald/signing';
import { TEST_KEY, startHarness, type Harness } from './testing/harness.js';
import { createWorker, type HeraldWorker } from './worker.js';

async function deliveryRows(h: Harness, webhookId: string) {
  return h.t.db.selectFrom('deliveries').selectAll().where('webhook_id', '=', webhookId).execute();
}

async function waitForStatus(h: Harness, webhookId: string, status: string) {
  const rows = await waitUntil(
    async () => {
      const found = await deliveryRows(h, webhookId);
      return found.some((r) => r.status === status) ? found : undefined;
    },
    { what: `a ${status} delivery`, timeoutMs: 20_000 },
  );
  return rows[0]!;
}

async function attemptsOf(h: Harness, deliveryId: string) {
  return h.t.db
    .selectFrom('delivery_attempts')
    .selectAll()
    .where('delivery_id', '=', deliveryId)
    .orderBy('attempt')
    .execute();
}

const adversarial = {
  user: '@everyone <@123> <@&456> **boom** [x](https://evil.example) <script>alert(1)</script>',
  long: 'A'.repeat(20_000),
  emoji: 'a' + '😀'.repeat(5_000),
  html: '</code></b><i>&nbsp;& < >',
  nested: { device: { hwid: 'abc', spoof: { level: 3 } }, list: [1, 2, 3] },
  ...Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f${i}`, '🇫🇷'.repeat(100)])),
};

describe('Discord, Telegram and Slack destinations', () => {
  let h: Harness;
  const fakes: FakePlatform[] = [];
  const receivers: Receiver[] = [];
  const track = <T extends FakePlatform>(f: T): T => {
    fakes.push(f);
    return f;
  };

  beforeAll(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await deleteAllWebhooks(h.engine, CLI_ACTOR, h.appId);
  });
  afterAll(async () => {
    await h.close();
    await Promise.all([...fakes, ...receivers].map((f) => f.close()));
  });

  test('a Discord-format event with adversarial data is accepted by Discord, unsigned and ping-free', async () => {
    const discord = track(await startFakeDiscord());
    const { id: webhookId } = await h.addWebhook({ url: discord.url, format: 'discord' });
    await h.client.publish({ app: h.appId, type: 'auth.login.failed', data: adversarial });
    const row = await waitForStatus(h, webhookId, 'succeeded');
    expect(discord.rejected).toEqual([]);
    expect(discord.accepted).toHaveLength(1);
    const [req] = discord.receiver.requests;
    expect(req!.path).toBe('/api/webhooks/1/fake-token?wait=true');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['user-agent']).toMatch(/^Herald-Webhooks\//);
    expect(req!.headers['webhook-signature']).toBeUndefined();
    expect(req!.headers['herald-delivery-id']).toBe(row.id);
    const message = discord.accepted[0] as {
      allowed_mentions: unknown;
      embeds: { title: string; author?: { name: string } }[];
    };
    expect(checkDiscordMessage(message)).toBeNull();
    expect(message.allowed_mentions).toEqual({ parse: [] });
    expect(message.embeds[0]!.title).toBe('🛡️ Login failed');
    expect(message.embeds[0]!.author).toEqual({ name: 'Test app' });
  });

  test('a Telegram-format event lands with the chat_id from the URL', async () => {
    const telegram = track(await startFakeTelegram());
    const { id: webhookId } = await h.addWebhook({
      url: `${telegram.url}?chat_id=-1001234`,
      format: 'telegram',
    });
    await h.client.publish({ app: h.appId, type: 'payment.success', data: adversarial });
    await waitForStatus(h, webhookId, 'succeeded');
    expect(telegram.rejected).toEqual([]);
    const sent = telegram.accepted[0] as { chat_id: string; text: string; parse_mode: string };
    expect(sent.chat_id).toBe('-1001234');
    expect(sent.parse_mode).toBe('HTML');
    expect(sent.text.length).toBeLessThanOrEqual(4_096);
    expect(checkTelegramHtml(sent.text)).toBeNull();
    expect(telegram.receiver.requests[0]!.path).toBe('/bot123456:FAKE-token/sendMessage');
  });

  test('a Telegram ok:false is a failure with its description recorded', async () => {
    const telegram = track(await startFakeTelegram());
    // No chat_id in the URL: Telegram answers {"ok":false,"description":"Bad Request: chat_id is empty"}.
    const { id: webhookId } = await h.addWebhook({ url: telegram.url, format: 'telegram' });
    await h.client.publish({ app: h.appId, type: 'payment.failed', data: { amount: 5 } });
    await telegram.receiver.waitForRequests(1);
    const row = await waitUntil(async () => (await deliveryRows(h, webhookId)).find((r) => r.attempts >= 1), {
      what: 'an attempted delivery',
    });
    const [attempt] = await attemptsOf(h, row.id);
    expect(attempt!.status_code).toBe(400);
    expect(attempt!.error).toBe('Telegram: Bad Request: chat_id is empty');
  });

  test('a Discord 429 with retry_after delays the webhook, then the message goes through', async () => {
    const discord = track(await startFakeDiscord());
    discord.rateLimitNext(1, 1.5);
    const { id: webhookId } = await h.addWebhook({ url: discord.url, format: 'discord' });
    await h.client.publish({ app: h.appId, type: 'license.redeemed', data: { key: 'K-1' } });
    const row = await waitForStatus(h, webhookId, 'succeeded');
    const [first, second] = discord.receiver.requests;
    expect(discord.receiver.requests).toHaveLength(2);
    // The body's 1.5 s, not the 200 ms schedule nor the header's rounded 2 s.
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(1_400);
    expect(second!.receivedAt - first!.receivedAt).toBeLessThan(5_000);
    const attempts = await attemptsOf(h, row.id);
    expect(attempts.map((a) => a.status_code)).toEqual([429, 200]);
    const webhook = await h.t.db
      .selectFrom('webhooks')
      .selectAll()
      .where('id', '=', webhookId)
      .executeTakeFirstOrThrow();
    expect(webhook.state).toBe('enabled');
  });

  test('a Telegram 429 with parameters.retry_after delays, then the message goes through', async () => {
    const telegram = track(await startFakeTelegram());
    telegram.rateLimitNext(1, 1);
    const { id: webhookId } = await h.addWebhook({ url: `${telegram.url}?chat_id=42`, format: 'telegram' });
    await h.client.publish({ app: h.appId, type: 'hwid.changed', data: { hwid: 'abc' } });
    await waitForStatus(h, webhookId, 'succeeded');
    const [first, second] = telegram.receiver.requests;
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(900);
    expect(telegram.accepted).toHaveLength(1);
  });

  test('a Slack-format event with adversarial data is accepted by Slack, unsigned and mention-free', async () => {
    const slack = track(await startFakeSlack());
    const { id: webhookId } = await h.addWebhook({ url: slack.url, format: 'slack' });
    await h.client.publish({ app: h.appId, type: 'payment.failed', data: adversarial });
    await waitForStatus(h, webhookId, 'succeeded');
    expect(slack.rejected).toEqual([]);
    const body = slack.accepted[0] as { text: string; blocks: unknown[] };
    expect(checkSlackMessage(body)).toBeNull();
    expect(body.text).toBe('❌ Payment failed');
    expect(body.blocks.length).toBeLessThanOrEqual(50);
    const raw = slack.receiver.requests[0]!.body;
    expect(raw).not.toContain('<!everyone>');
    expect(raw).not.toContain('<@123>');
    expect(raw).not.toContain('<script>');
    // The app's name is in the context line.
    expect(raw).toContain('Test app · ');
    expect(slack.receiver.requests[0]!.headers['webhook-signature']).toBeUndefined();
  });

  test('a Slack 429 with Retry-After delays the webhook, then the message goes through', async () => {
    const slack = track(await startFakeSlack());
    slack.rateLimitNext(1, 1);
    const { id: webhookId } = await h.addWebhook({ url: slack.url, format: 'slack' });
    await h.client.publish({ app: h.appId, type: 'user.register', data: { user: 'u' } });
    const row = await waitForStatus(h, webhookId, 'succeeded');
    const [first, second] = slack.receiver.requests;
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(900);
    expect((await attemptsOf(h, row.id)).map((a) => a.status_code)).toEqual([429, 200]);
  });

  test('a Telegram 200 with ok:false is a failed attempt with its description, not a success', async () => {
    const fake = await startReceiver(
      (_req, res) =>
        void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end('{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}'),
    );
    receivers.push(fake);
    const { id: webhookId } = await h.addWebhook({
      url: `${fake.url}/bot1:T/sendMessage?chat_id=1`,
      format: 'telegram',
    });
    await h.client.publish({ app: h.appId, type: 'payment.success', data: { amount: 1 } });
    const row = await waitUntil(async () => (await deliveryRows(h, webhookId)).find((r) => r.attempts >= 1), {
      what: 'an attempted delivery',
    });
    expect(row.status).not.toBe('succeeded');
    const [attempt] = await attemptsOf(h, row.id);
    expect(attempt!.status_code).toBe(200);
    expect(attempt!.outcome).toBe('http_error');
    expect(attempt!.error).toBe('Telegram: Bad Request: chat not found');
  });

  test('a Discord 404 disables the webhook with the reason', async () => {
    const discord = track(await startFakeDiscord());
    discord.deleteWebhook();
    const { id: webhookId } = await h.addWebhook({ url: discord.url, format: 'discord' });
    await h.client.publish({ app: h.appId, type: 'user.register', data: { user: 'u1' } });
    const row = await waitForStatus(h, webhookId, 'dead');
    const webhook = await h.t.db
      .selectFrom('webhooks')
      .selectAll()
      .where('id', '=', webhookId)
      .executeTakeFirstOrThrow();
    expect(webhook.state).toBe('disabled');
    expect(webhook.disabled_reason).toBe('Discord says the webhook no longer exists (404)');
    expect(discord.receiver.requests).toHaveLength(1);
    const [attempt] = await attemptsOf(h, row.id);
    expect(attempt!.error).toBe('Discord: Unknown Webhook (code 10015)');
  });
});

// Pacing runs through the shared gate: two workers (each with its own gate and
// Redis scripts) on one queue still space one webhook's messages.
describe('per-platform pacing across workers', () => {
  const PACE = { max: 2, perMs: 800 }; // one message every 400 ms, no burst
  const INTERVAL = PACE.perMs / PACE.max;
  const MESSAGES = 6;
  let h: Harness;
  let second: HeraldWorker;
  const fakes: FakePlatform[] = [];

  beforeAll(async () => {
    const pacing = { discord: PACE, telegram: PACE };
    h = await startHarness({ platformPacing: pacing });
    second = createWorker({
      db: h.t.db,
      queueBackend: h.queue.backend,
      shared: createSharedState(h.queue),
      log: createLogger({ name: 'test-worker-2', level: 'silent' }),
      keyring: createKeyring(TEST_KEY, []),
      concurrency: 20,
      busyAppPerSecond: 1_000_000,
      retryScheduleMs: [200, 200, 200],
      deliveryTimeoutMs: 1_500,
      allowPrivateNetworks: true,
      breakerFailures: 0,
      breakerOpenMs: 1_000,
      disableAfterMs: 5 * 86_400_000,
      reconcileEveryMs: 60_000,
      shutdownTimeoutMs: 5_000,
      platformPacing: pacing,
    });
    await second.start();
  });
  afterAll(async () => {
    await second.close();
    await h.close();
    await Promise.all(fakes.map((f) => f.close()));
  });

  test.each([
    ['discord', startFakeDiscord],
    ['telegram', startFakeTelegram],
  ] as const)(
    '%s: a burst of messages is spread out and the platform never answers 429',
    async (format, start) => {
      // The fake enforces a limit a little looser than the pace (arrival jitter), like the platform would.
      const fake = await start({ rateLimit: { max: PACE.max, perMs: PACE.perMs - 150 } });
      fakes.push(fake);
      const url = format === 'telegram' ? `${fake.url}?chat_id=7` : fake.url;
      const { id: webhookId } = await h.addWebhook({ url, format });
      await h.client.publishBatch(
        Array.from({ length: MESSAGES }, (_, i) => ({ app: h.appId, type: 'user.register', data: { n: i } })),
      );
      const rows = await waitUntil(
        async () => {
          const found = await deliveryRows(h, webhookId);
          return found.length === MESSAGES && found.every((r) => r.status === 'succeeded')
            ? found
            : undefined;
        },
        { what: 'every paced delivery succeeded', timeoutMs: 30_000 },
      );
      expect(fake.rejected).toEqual([]);
      expect(fake.accepted).toHaveLength(MESSAGES);
      // Waiting at the gate used no attempt.
      expect(rows.map((r) => r.attempts)).toEqual(Array(MESSAGES).fill(1));
      const times = fake.receiver.requests.map((r) => r.receivedAt).sort((a, b) => a - b);
      expect(times).toHaveLength(MESSAGES);
      // Admissions are exactly INTERVAL apart; arrivals may jitter a little either way.
      for (let i = 1; i < times.length; i++)
        expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(INTERVAL - 150);
      expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual((MESSAGES - 1) * INTERVAL - 150);
    },
  );

  test('the fake does enforce its limit: an unpaced burst to it gets 429s', async () => {
    const fake = await startFakeSlack({ rateLimit: { max: PACE.max, perMs: PACE.perMs - 150 } });
    fakes.push(fake);
    const { id: webhookId } = await h.addWebhook({ url: fake.url, format: 'slack' });
    await h.client.publishBatch(
      Array.from({ length: 4 }, (_, i) => ({ app: h.appId, type: 'user.register', data: { n: i } })),
    );
    await waitUntil(
      async () => {
        const found = await deliveryRows(h, webhookId);
        return found.length === 4 && found.every((r) => r.status === 'succeeded') ? found : undefined;
      },
      { what: 'every Slack delivery succeeded after its 429', timeoutMs: 30_000 },
    );
    expect(fake.rejected.some((r) => r.status === 429)).toBe(true);
    expect(fake.accepted).toHaveLength(4);
  });
});
