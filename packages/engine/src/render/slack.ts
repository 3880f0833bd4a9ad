import {
  FAMILY_EMOJI,
  eventFamily,
  eventFields,
  readableTime,
  titleFromType,
  type RenderableEvent,
} from './event.js';
import { escapeHtmlChar, truncate, truncateEscaped } from './text.js';

/** Slack's Block Kit limits we rely on (UTF-16 units). */
export const SLACK_LIMITS = {
  blocks: 50,
  header: 150,
  sectionText: 3_000,
  sectionFields: 10,
  fieldText: 2_000,
  contextElements: 10,
  fallbackText: 3_000,
} as const;

export interface SlackText {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
  verbatim?: boolean;
}

export type SlackBlock =
  | { type: 'header'; text: SlackText }
  | { type: 'section'; text?: SlackText; fields?: SlackText[] }
  | { type: 'context'; elements: SlackText[] };

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

export interface SlackRenderOptions {
  appName?: string;
}

const FIELD_VALUE_MAX = 500;

/**
 * Block Kit: a header (emoji + title), sections of up to 10 key fields, a
 * context line with the time, type and id, and a plain `text` fallback for
 * notifications. User data is escaped (`& < >`), so `<!everyone>` or
 * `<@U123>` in it mention nobody; `verbatim` turns off auto-linking.
 */
export function renderSlack(event: RenderableEvent, options: SlackRenderOptions = {}): SlackMessage {
  const family = eventFamily(event.type);
  const esc = (text: string, max: number) => truncateEscaped(text, max, escapeHtmlChar);
  const title = `${FAMILY_EMOJI[family]} ${titleFromType(event.type)}`;
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(title, SLACK_LIMITS.header), emoji: true } },
  ];
  const all = eventFields(event.data);
  // header + context + the "more" note leave 47 blocks of fields.
  const maxSections = SLACK_LIMITS.blocks - 3;
  let shown = 0;
  for (let s = 0; s < maxSections && shown < all.length; s++) {
    const fields = all.slice(shown, shown + SLACK_LIMITS.sectionFields).map((f): SlackText => ({
      type: 'mrkdwn',
      verbatim: true,
      text: truncate(
        `*${esc(f.name, 200)}*\n${esc(f.value === '' ? '(empty)' : f.value, FIELD_VALUE_MAX)}`,
        SLACK_LIMITS.fieldText,
      ),
    }));
    blocks.push({ type: 'section', fields });
    shown += fields.length;
  }
  if (shown < all.length) {
    const omitted = all.length - shown;
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `_… ${omitted} more field${omitted === 1 ? '' : 's'} not shown_` },
    });
  }
  const appName = options.appName?.trim();
  const context = [readableTime(event.timestamp), event.type, event.id];
  if (appName) context.unshift(appName);
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', verbatim: true, text: esc(context.join(' · '), SLACK_LIMITS.sectionText) }],
  });
  return { text: esc(title, SLACK_LIMITS.fallbackText), blocks };
}
