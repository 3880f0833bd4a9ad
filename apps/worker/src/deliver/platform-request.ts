import {
  isReservedHeader,
  renderDiscord,
  renderSlack,
  renderTelegram,
  type DeliveryTarget,
  type RenderableEvent,
} from '@herald/engine';
import type { DeliveryJobData } from '@herald/queue';

export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The event back from the standard body the fan-out built (`{type, timestamp, data}`). */
export function eventFromJob(data: DeliveryJobData): RenderableEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.body);
  } catch {
    parsed = null;
  }
  const body = (parsed !== null && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
  return {
    id: data.eventId,
    type: typeof body['type'] === 'string' ? body['type'] : 'event',
    timestamp: typeof body['timestamp'] === 'string' ? body['timestamp'] : new Date().toISOString(),
    data: body['data'] ?? null,
  };
}

/**
 * A Discord, Telegram or Slack request for one attempt: the platform's JSON,
 * `content-type`, the user agent, the webhook's custom headers and
 * `herald-delivery-id` / `herald-attempt` (harmless to the platforms, useful
 * behind a relay) — but no Standard Webhooks signature headers, which the
 * platforms ignore. Discord gets `?wait=true` so errors come back as errors;
 * Telegram's `chat_id` moves from the URL's query into the body.
 */
export function buildPlatformRequest(
  target: DeliveryTarget,
  data: DeliveryJobData,
  attempt: number,
  userAgent: string,
): OutgoingRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(target.headers)) {
    if (!isReservedHeader(name)) headers[name.toLowerCase()] = value;
  }
  headers['content-type'] = 'application/json';
  headers['user-agent'] = target.userAgent ?? userAgent;
  headers['herald-delivery-id'] = data.deliveryId;
  headers['herald-attempt'] = String(attempt);

  const event = eventFromJob(data);
  const url = new URL(target.url);
  let message: unknown;
  switch (target.format) {
    case 'discord':
      url.searchParams.set('wait', 'true');
      message = renderDiscord(event, { appName: target.appName });
      break;
    case 'telegram': {
      const chatId = url.searchParams.get('chat_id') ?? '';
      url.searchParams.delete('chat_id');
      message = renderTelegram(event, { chatId, appName: target.appName });
      break;
    }
    default:
      message = renderSlack(event, { appName: target.appName });
  }
  return { url: url.toString(), headers, body: JSON.stringify(message) };
}
