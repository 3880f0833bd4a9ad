const MASK = '••••••';

const DISCORD_HOSTS = new Set([
  'discord.com',
  'discordapp.com',
  'ptb.discord.com',
  'canary.discord.com',
  'ptb.discordapp.com',
  'canary.discordapp.com',
]);

/**
 * The endpoint URL as the panel shows it: tokens that chat services put in
 * the URL itself (Discord's webhook token, Telegram's bot token, Slack's hook
 * secret) and every query value are replaced by dots. The stored URL is
 * unchanged; the mask only keeps tokens off screens and screenshots.
 */
export function maskWebhookUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return MASK;
  }
  // A fully qualified name (`discord.com.`) reaches the same service.
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  let path = url.pathname;
  if (DISCORD_HOSTS.has(host)) {
    // /api/webhooks/<id>/<token>[/…] (also /api/v10/webhooks/…)
    path = path.replace(/^(\/api(?:\/v\d+)?\/webhooks\/[^/]+\/)[^/]+/i, `$1${MASK}`);
  } else if (host === 'api.telegram.org') {
    path = path.replace(/^\/bot[^/]+/i, `/bot${MASK}`);
  } else if (host === 'hooks.slack.com') {
    // /services/<team>/<bot>/<secret>, /workflows/…/<secret>, /triggers/…/<secret>
    path = path.replace(/^(\/(?:services|workflows|triggers)\/(?:[^/]+\/)*)[^/]+(\/?)$/i, `$1${MASK}$2`);
  }
  const query = [...url.searchParams.keys()].map((k) => `${encodeURIComponent(k)}=${MASK}`).join('&');
  const port = url.port ? `:${url.port}` : '';
  return `${url.protocol}//${url.hostname}${port}${path}${query ? `?${query}` : ''}${url.hash ? '#' + MASK : ''}`;
}
