import { checkDiscordMessage, checkSlackMessage, checkTelegramHtml } from '@herald/testkit';
import { proposeFormat } from './detect.js';
import { DISCORD_LIMITS, discordEmbedLength, renderDiscord } from './discord.js';
import { eventFamily, titleFromType, type RenderableEvent } from './event.js';
import { SLACK_LIMITS, renderSlack } from './slack.js';
import { TELEGRAM_TEXT_LIMIT, renderTelegram } from './telegram.js';
import { cutAt, truncate, truncateEscaped, escapeHtmlChar } from './text.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Every string anywhere in `value`. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

function expectNoSplitPairs(value: unknown): void {
  for (const s of strings(value)) expect(LONE_SURROGATE.test(s)).toBe(false);
}

const event = (type: string, data: unknown): RenderableEvent => ({
  id: 'msg_01JABCDEFGHJKMNPQRSTVWXYZ0',
  type,
  timestamp: '2026-11-27T08:55:12.000Z',
  data,
});

const hundredFields = Object.fromEntries(
  Array.from({ length: 100 }, (_, i) => [`field_${i}_${'k'.repeat(300)}`, '😀'.repeat(700) + i]),
);

// Cut points of every limit fall on a pair for some of these (odd and even prefixes).
const adversarial: Record<string, unknown>[] = [
  { long: 'x'.repeat(100_000), longEmoji: '😀'.repeat(50_000), oddEmoji: 'a' + '😀'.repeat(5_000) },
  {
    html: '<script>alert(1)</script></code></b><a href="javascript:x">&amp;&lt;&#9999;&nbsp;',
    markdown: '**bold** __u__ ~~s~~ `code` ```block``` [link](https://evil.example) > quote # h1 ||spoiler||',
    mentions: '@everyone @here <@123> <@&456> <#789> <!everyone> <!channel>',
  },
  {
    nested: { deep: { deeper: { deepest: { x: 1 } } }, list: [1, 'two', { three: 3 }] },
    empty: '',
    blank: '   ',
    newline: '\n\n',
    nul: null,
    bool: false,
    n: 1.5,
    '': 'empty key',
  },
  hundredFields,
  { zwj: '👩‍👩‍👧‍👦'.repeat(1_000), flags: '🇫🇷'.repeat(2_000), combining: 'é'.repeat(3_000) },
];
const types = ['auth.login.failed', 'payment.success', 'hwid.changed', 'x'.repeat(1_000) + '😀'.repeat(300)];

describe('text helpers', () => {
  test('cutting a string never splits a surrogate pair', () => {
    const s = 'ab😀😀';
    expect(cutAt(s, 3)).toBe('ab');
    expect(cutAt(s, 4)).toBe('ab😀');
    expect(truncate(s, 5)).toBe('ab😀…');
    expect(truncate(s, 4)).toBe('ab…');
    expect(truncate(s, 6)).toBe(s);
  });

  test('escaped truncation never cuts inside an entity', () => {
    const out = truncateEscaped('a&&&&&&&', 10, escapeHtmlChar);
    expect(out).toBe('a&amp;…');
    expect(truncateEscaped('<>', 8, escapeHtmlChar)).toBe('&lt;&gt;');
  });
});

describe('titles and families', () => {
  test.each([
    ['auth.login.failed', 'Login failed', 'security'],
    ['auth.login.success', 'Login success', 'success'],
    ['user.register', 'User register', 'success'],
    ['license.redeemed', 'License redeemed', 'success'],
    ['hwid.changed', 'Hwid changed', 'security'],
    ['hwid.spoof_attempt', 'Hwid spoof attempt', 'security'],
    ['blacklist.added', 'Blacklist added', 'security'],
    ['user.ban', 'User ban', 'security'],
    ['payment.failed', 'Payment failed', 'failure'],
    ['payment.success', 'Payment success', 'success'],
    ['order.shipped', 'Order shipped', 'info'],
  ])('%s reads "%s" and is %s', (type, title, family) => {
    expect(titleFromType(type)).toBe(title);
    expect(eventFamily(type)).toBe(family);
  });
});

describe('renderDiscord', () => {
  test('a failed login is an orange embed with its fields, time and no mentions', () => {
    const msg = renderDiscord(event('auth.login.failed', { user: 'bob', ip: '1.2.3.4' }), {
      appName: 'Shop',
    });
    expect(msg.allowed_mentions).toEqual({ parse: [] });
    const [embed] = msg.embeds;
    expect(embed!.title).toBe('🛡️ Login failed');
    expect(embed!.color).toBe(0xe67e22);
    expect(embed!.timestamp).toBe('2026-11-27T08:55:12.000Z');
    expect(embed!.author).toEqual({ name: 'Shop' });
    expect(embed!.fields).toEqual([
      { name: 'user', value: '`bob`', inline: true },
      { name: 'ip', value: '`1.2.3.4`', inline: true },
    ]);
    expect(checkDiscordMessage(msg)).toBeNull();
  });

  test('field names are markdown-escaped like values, and never cut inside an escape', () => {
    const msg = renderDiscord(
      event('user.register', { '**bold** [x](https://e.example) `c`': 'v', ['_'.repeat(300)]: 'w' }),
    );
    const [first, second] = msg.embeds[0]!.fields!;
    expect(first!.name).toBe('\\*\\*bold\\*\\* \\[x\\]\\(https://e.example\\) \\`c\\`');
    expect(second!.name.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldName);
    expect(second!.name).toMatch(/^(\\_)+…$/);
    expect(checkDiscordMessage(msg)).toBeNull();
  });

  test.each(adversarial.flatMap((data, i) => types.map((type) => [i, type, data] as const)))(
    'adversarial data %i (%#) stays within every limit',
    (_i, type, data) => {
      const msg = renderDiscord(event(type, data), { appName: '@everyone '.repeat(100) });
      expect(checkDiscordMessage(msg)).toBeNull();
      expect(msg.embeds.length).toBeLessThanOrEqual(DISCORD_LIMITS.embeds);
      for (const e of msg.embeds) {
        expect(discordEmbedLength(e)).toBeLessThanOrEqual(DISCORD_LIMITS.embedTotal);
        expect(e.fields?.length ?? 0).toBeLessThanOrEqual(DISCORD_LIMITS.fields);
        for (const f of e.fields ?? []) {
          expect(f.value.trim()).not.toBe('');
          expect(f.name.trim()).not.toBe('');
        }
      }
      expect(msg.allowed_mentions).toEqual({ parse: [] });
      expectNoSplitPairs(msg);
    },
  );

  test('100 fields become 24 plus a note of how many were left out', () => {
    const fields = renderDiscord(event('x.y', hundredFields)).embeds[0]!.fields!;
    expect(fields.length).toBeLessThanOrEqual(25);
    expect(fields.at(-1)!.value).toMatch(/^\d+ more fields not shown$/);
  });

  test('markdown in user data is escaped or kept inside inline code', () => {
    const fields = renderDiscord(event('x.y', { a: '**bold**', b: 'has `tick` **x**' })).embeds[0]!.fields!;
    expect(fields[0]!.value).toBe('`**bold**`');
    expect(fields[1]!.value).toBe('has \\`tick\\` \\*\\*x\\*\\*');
  });
});

describe('renderTelegram', () => {
  test('a payment is bold title, escaped fields and the chat id', () => {
    const msg = renderTelegram(event('payment.success', { amount: '5 < 6 & 7 > 3' }), { chatId: '-100123' });
    expect(msg).toMatchObject({ chat_id: '-100123', parse_mode: 'HTML' });
    expect(msg.text).toContain('<b>✅ Payment success</b>');
    expect(msg.text).toContain('<b>amount</b>: <code>5 &lt; 6 &amp; 7 &gt; 3</code>');
    expect(checkTelegramHtml(msg.text)).toBeNull();
  });

  test.each(adversarial.flatMap((data, i) => types.map((type) => [i, type, data] as const)))(
    'adversarial data %i (%#) is valid HTML within 4,096 units',
    (_i, type, data) => {
      const msg = renderTelegram(event(type, data), { chatId: '1', appName: '<b>app</b>'.repeat(50) });
      expect(msg.text.length).toBeLessThanOrEqual(TELEGRAM_TEXT_LIMIT);
      expect(checkTelegramHtml(msg.text)).toBeNull();
      expect(msg.text).not.toContain('<script');
      expectNoSplitPairs(msg);
    },
  );
});

describe('renderSlack', () => {
  test.each(adversarial.flatMap((data, i) => types.map((type) => [i, type, data] as const)))(
    'adversarial data %i (%#) stays within block limits with escaped mentions',
    (_i, type, data) => {
      const msg = renderSlack(event(type, data), { appName: 'App' });
      expect(checkSlackMessage(msg)).toBeNull();
      expect(msg.text.length).toBeGreaterThan(0);
      expect(msg.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
      expect(msg.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
      for (const b of msg.blocks) {
        if (b.type === 'header') expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.header);
        if (b.type === 'section') {
          expect(b.text?.text.length ?? 0).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
          expect(b.fields?.length ?? 0).toBeLessThanOrEqual(SLACK_LIMITS.sectionFields);
          for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
        }
        if (b.type === 'context')
          for (const e of b.elements) expect(e.text.length).toBeLessThanOrEqual(3_000);
      }
      const text = JSON.stringify(msg.blocks);
      expect(text).not.toContain('<!everyone>');
      expect(text).not.toContain('<@123>');
      expectNoSplitPairs(msg);
    },
  );
});

describe('proposeFormat', () => {
  test.each([
    ['https://discord.com/api/webhooks/123/abc', 'discord'],
    ['https://discordapp.com/api/webhooks/123/abc?thread_id=1', 'discord'],
    ['https://canary.discord.com/api/v10/webhooks/123/abc', 'discord'],
    ['https://api.telegram.org/bot123:ABC/sendMessage?chat_id=-100', 'telegram'],
    ['https://hooks.slack.com/services/T000/B000/XXXX', 'slack'],
    ['https://example.com/api/webhooks/123/abc', 'standard'],
    ['https://discord.com.evil.example/api/webhooks/1/a', 'standard'],
    ['https://api.telegram.org/bot123/getUpdates', 'standard'],
    ['https://discord.com/channels/1/2', 'standard'],
    ['not a url', 'standard'],
  ])('%s → %s', (url, format) => {
    expect(proposeFormat(url)).toBe(format);
  });
});
