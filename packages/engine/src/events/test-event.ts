import { NotFoundError, ValidationError, checkEventInput, newId } from '@herald/core';
import type { DeliveryStatus } from '@herald/db';
import type { EventJobData } from '@herald/queue';
import { recordAudit, type Actor } from '../audit/audit.js';
import { buildEventBody, enqueueDeliveries } from '../deliveries/enqueue.js';
import type { Engine } from '../engine.js';
import { writeFanout } from './fanout.repository.js';

export interface TestEventInput {
  /** A real event type (the catalog's, or any valid one): renderers and filters treat it as such. */
  type: string;
  /** Sample data; `"test": true` is added so receivers can tell a test from the real thing. */
  data: Record<string, unknown>;
}

export interface SentTestEvent {
  eventId: string;
  deliveryId: string;
  /** `pending` (queued) or `held` (the webhook is paused or disabled). */
  status: DeliveryStatus;
}

/**
 * A sample event sent to one webhook through the normal delivery pipeline:
 * the event and its delivery are recorded like a fan-out's (the same
 * repository), then the delivery job is queued for the workers — gate,
 * signing or rendering, retries and the attempt log all apply. Only this
 * webhook gets it, whatever its event filter; other webhooks of the app
 * never see a test. Audited as `webhook.test_event`.
 */
export async function sendTestEvent(
  engine: Engine,
  actor: Actor,
  appId: string,
  webhookId: string,
  input: TestEventInput,
): Promise<SentTestEvent> {
  const data = { ...input.data, test: true };
  const { issues } = checkEventInput({ type: input.type, data });
  if (issues.length > 0) throw new ValidationError('invalid test event', issues);
  const webhook = await engine.db
    .selectFrom('webhooks')
    .select(['id', 'state'])
    .where('id', '=', webhookId)
    .where('app_id', '=', appId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!webhook) throw new NotFoundError('webhook', webhookId);

  const now = Date.now();
  const event: EventJobData = {
    v: 1,
    id: newId('event', now),
    appId,
    type: input.type,
    timestamp: new Date(now).toISOString(),
    data,
  };
  const [result] = await writeFanout(engine.db, [
    { event, matches: [{ webhookId, deliverable: webhook.state === 'enabled' }] },
  ]);
  const delivery = result && !result.unknownApp ? result.deliveries[0] : undefined;
  if (!delivery) throw new NotFoundError('app', appId);
  if (delivery.status === 'pending') {
    await enqueueDeliveries(engine.queues.deliveries, [
      {
        deliveryId: delivery.deliveryId,
        eventId: event.id,
        webhookId,
        appId,
        body: buildEventBody(event),
        attemptOffset: 0,
        scheduleOffset: 0,
      },
    ]);
  }
  await recordAudit(engine.db, actor, {
    action: 'webhook.test_event',
    appId,
    targetType: 'webhook',
    targetId: webhookId,
    details: { eventId: event.id, deliveryId: delivery.deliveryId, type: input.type },
  });
  return { eventId: event.id, deliveryId: delivery.deliveryId, status: delivery.status };
}
