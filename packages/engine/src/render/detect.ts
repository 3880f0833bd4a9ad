export type ProposedFormat = 'discord' | 'telegram' | 'slack' | 'standard';

const DISCORD_HOSTS = new Set([
  'discord.com',
  'discordapp.com',
  'ptb.discord.com',
  'canary.discord.com',
  'ptb.discordapp.com',
  'canary.discordapp.com',
]);

/**
 * The format a URL most likely wants — only a proposal: any URL may use any
 * format. Discord (`discord.com/api/webhooks/…`, also discordapp.com and
 * versioned `/api/v10/webhooks/…`), Telegram (`api.telegram.org/bot…/sendMessage`),
 * Slack incoming webhooks (`hooks.slack.com/services/…`); else standard.
 */
export function proposeFormat(url: string): ProposedFormat {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return 'standard';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'standard';
  const host = parsed.hostname.toLowerCase().replace(/\.$/, '');
  const path = parsed.pathname;
  if (DISCORD_HOSTS.has(host) && /^\/api(\/v\d+)?\/webhooks\/[^/]+\/[^/]+/.test(path)) return 'discord';
  if (host === 'api.telegram.org' && /^\/bot[^/]+\/sendMessage\/?$/i.test(path)) return 'telegram';
  if (host === 'hooks.slack.com' && /^\/services\/[^/]+/.test(path)) return 'slack';
  return 'standard';
}
