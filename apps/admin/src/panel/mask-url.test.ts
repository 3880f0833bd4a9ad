import { maskWebhookUrl } from './mask-url.js';

describe('maskWebhookUrl', () => {
  test('when the URL is a Discord webhook, the token is masked and the id kept', () => {
    expect(maskWebhookUrl('https://discord.com/api/webhooks/123456/AbCdEf-token_x')).toBe(
      'https://discord.com/api/webhooks/123456/••••••',
    );
    expect(maskWebhookUrl('https://canary.discordapp.com/api/v10/webhooks/1/tok/slack')).toBe(
      'https://canary.discordapp.com/api/v10/webhooks/1/••••••/slack',
    );
  });

  test('when the URL is a Telegram bot URL, the bot token is masked', () => {
    expect(maskWebhookUrl('https://api.telegram.org/bot123:ABC-def/sendMessage?chat_id=42')).toBe(
      'https://api.telegram.org/bot••••••/sendMessage?chat_id=••••••',
    );
  });

  test('when the URL is a Slack hook, its secret segment is masked', () => {
    expect(maskWebhookUrl('https://hooks.slack.com/services/T000/B000/XXXXSECRET')).toBe(
      'https://hooks.slack.com/services/T000/B000/••••••',
    );
  });

  test('when the host is written fully qualified or the path ends in a slash, the token is still masked', () => {
    expect(maskWebhookUrl('https://discord.com./api/webhooks/456/LeakedToken')).toBe(
      'https://discord.com./api/webhooks/456/••••••',
    );
    expect(maskWebhookUrl('https://API.Telegram.org./botBOT:TOKEN/sendMessage')).toBe(
      'https://api.telegram.org./bot••••••/sendMessage',
    );
    expect(maskWebhookUrl('https://hooks.slack.com/services/T0/B0/SLACKSECRET/')).toBe(
      'https://hooks.slack.com/services/T0/B0/••••••/',
    );
    expect(maskWebhookUrl('https://hooks.slack.com./services/T0/B0/SLACKSECRET')).toBe(
      'https://hooks.slack.com./services/T0/B0/••••••',
    );
  });

  test('when the URL is an ordinary endpoint, only query values are masked', () => {
    expect(maskWebhookUrl('https://example.com:8443/hooks/herald')).toBe(
      'https://example.com:8443/hooks/herald',
    );
    expect(maskWebhookUrl('https://example.com/h?token=s3cret&x=1')).toBe(
      'https://example.com/h?token=••••••&x=••••••',
    );
  });

  test('when the text is not a URL, nothing of it is shown', () => {
    expect(maskWebhookUrl('not a url')).toBe('••••••');
  });
});
