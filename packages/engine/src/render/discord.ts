import {
  FAMILY_COLOUR,
  FAMILY_EMOJI,
  eventFamily,
  eventFields,
  isoTime,
  titleFromType,
  type RenderableEvent,
} from './event.js';
import { truncate, truncateEscaped } from './text.js';

/** Discord's documented message and embed limits (UTF-16 units). */
export const DISCORD_LIMITS = {
  content: 2_000,
  embeds: 10,
  title: 256,
  description: 4_096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1_024,
  footer: 2_048,
  author: 256,
  /** title + description + field names and values + footer + author, across all embeds. */
  embedTotal: 6_000,
} as const;

export interface DiscordEmbedField {
  name: string;
  value: string;
  inline?: boolean;
}

export interface DiscordEmbed {
  title?: string;
  description?: string;
  color?: number;
  timestamp?: string;
  author?: { name: string };
  footer?: { text: string };
  fields?: DiscordEmbedField[];
}

export interface DiscordMessage {
  content?: string;
  embeds: DiscordEmbed[];
  allowed_mentions: { parse: string[] };
}

export interface DiscordRenderOptions {
  appName?: string;
}

const DISCORD_MARKDOWN = /[\\*_~`|>#[\]()-]/;

/** Backslash-escapes Discord markdown so user data renders as typed. */
export function escapeDiscordMarkdown(text: string): string {
  return text.replace(new RegExp(DISCORD_MARKDOWN.source, 'g'), '\\$&');
}

function escapeDiscordChar(ch: string): string {
  return DISCORD_MARKDOWN.test(ch) ? `\\${ch}` : ch;
}

function fieldValue(raw: string, max: number): string {
  const text = raw.trim() === '' ? (raw === '' ? '(empty)' : '(blank)') : raw;
  // Inline code keeps user data literal; a backtick or newline would break it, so those are escaped text.
  if (!text.includes('`') && !text.includes('\n')) return `\`${truncate(text, max - 2)}\``;
  return truncateEscaped(text, max, escapeDiscordChar);
}

function fieldName(raw: string): string {
  // Field names render markdown like values do: escaped, never cut inside an escape.
  if (raw.trim() === '') return '(unnamed)';
  return truncateEscaped(raw, DISCORD_LIMITS.fieldName, escapeDiscordChar);
}

/**
 * One embed per event: emoji + readable title, the family's colour, the key
 * fields of `data`, the event's time and (footer) its type and id. Every
 * limit holds by construction; mentions in the data ping nobody.
 */
export function renderDiscord(event: RenderableEvent, options: DiscordRenderOptions = {}): DiscordMessage {
  const family = eventFamily(event.type);
  const embed: DiscordEmbed = {
    title: truncate(`${FAMILY_EMOJI[family]} ${titleFromType(event.type)}`, DISCORD_LIMITS.title),
    color: FAMILY_COLOUR[family],
  };
  const timestamp = isoTime(event.timestamp);
  if (timestamp !== null) embed.timestamp = timestamp;
  const appName = options.appName?.trim();
  if (appName) embed.author = { name: truncate(appName, DISCORD_LIMITS.author) };
  embed.footer = { text: truncate(`${event.type} · ${event.id}`, DISCORD_LIMITS.footer) };

  let used = (embed.title?.length ?? 0) + (embed.author?.name.length ?? 0) + (embed.footer?.text.length ?? 0);
  const all = eventFields(event.data);
  const fields: DiscordEmbedField[] = [];
  // Keep room for the "more fields" note when some do not fit.
  const noteRoom = 40;
  for (let i = 0; i < all.length; i++) {
    const f = all[i]!;
    const reserveSlot = i < all.length - 1 ? 1 : 0;
    if (fields.length >= DISCORD_LIMITS.fields - reserveSlot) break;
    const name = fieldName(f.name);
    const budget = DISCORD_LIMITS.embedTotal - noteRoom - used - name.length;
    if (budget < 20) break;
    const value = fieldValue(f.value, Math.min(DISCORD_LIMITS.fieldValue, budget));
    fields.push({ name, value, inline: value.length <= 40 });
    used += name.length + value.length;
  }
  const omitted = all.length - fields.length;
  if (omitted > 0) {
    fields.push({ name: '…', value: `${omitted} more field${omitted === 1 ? '' : 's'} not shown` });
  }
  if (fields.length > 0) embed.fields = fields;
  return { embeds: [embed], allowed_mentions: { parse: [] } };
}

/** Total embed text Discord counts against its 6,000 limit. */
export function discordEmbedLength(embed: DiscordEmbed): number {
  let n = (embed.title?.length ?? 0) + (embed.description?.length ?? 0);
  n += (embed.footer?.text.length ?? 0) + (embed.author?.name.length ?? 0);
  for (const f of embed.fields ?? []) n += f.name.length + f.value.length;
  return n;
}
