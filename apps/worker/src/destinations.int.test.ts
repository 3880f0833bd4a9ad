import { deleteAllWebhooks, CLI_ACTOR } from '@herald/engine';
import {
  checkDiscordMessage,
  checkTelegramHtml,
  startFakeDiscord,
  startFakeTelegram,
  startReceiver,
  waitUntil,
  type FakePlatform,
  type Receiver,
} from '@herald/testkit';
import { startHarness, type Harness } from './testing/harness.js';

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
    const message = discord.accepted[0] as { allowed_mentions: unknown; embeds: { title: string }[] };
    expect(checkDiscordMessage(message)).toBeNull();
    expect(message.allowed_mentions).toEqual({ parse: [] });
    expect(message.embeds[0]!.title).toBe('🛡️ Login failed');
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

  test('a Slack-format event is Block Kit JSON with a text fallback', async () => {
    const slack = await startReceiver((_req, res) => void res.writeHead(200).end('ok'));
    receivers.push(slack);
    const { id: webhookId } = await h.addWebhook({ url: `${slack.url}/services/T/B/X`, format: 'slack' });
    await h.client.publish({ app: h.appId, type: 'payment.failed', data: adversarial });
    await waitForStatus(h, webhookId, 'succeeded');
    const body = JSON.parse(slack.requests[0]!.body) as { text: string; blocks: unknown[] };
    expect(body.text).toBe('❌ Payment failed');
    expect(body.blocks.length).toBeLessThanOrEqual(50);
    expect(slack.requests[0]!.body).not.toContain('<!everyone>');
    expect(slack.requests[0]!.headers['webhook-signature']).toBeUndefined();
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
