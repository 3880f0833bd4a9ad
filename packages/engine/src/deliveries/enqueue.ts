import { deliveryJobOptions, type DeliveryJobData, type HeraldQueue } from '@herald/queue';

/** Everything needed to (re)build a delivery job without reading the event again. */
export type DeliveryToEnqueue = Omit<DeliveryJobData, 'v'>;

/** Standard Webhooks body, built once per event and shared by its deliveries. */
export function buildEventBody(event: { type: string; timestamp: string; data: unknown }): string {
  return JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
}

/**
 * Adds one job per delivery (job id = delivery id, so a job that already
 * exists is not added twice), after `delayMs` when given (a retry).
 */
export async function enqueueDeliveries(
  queue: HeraldQueue,
  deliveries: readonly DeliveryToEnqueue[],
  options: { priority?: number; delayMs?: number } = {},
): Promise<void> {
  const CHUNK = 500;
  for (let i = 0; i < deliveries.length; i += CHUNK) {
    await queue.addBulk(
      deliveries.slice(i, i + CHUNK).map((d) => {
        const data: DeliveryJobData = { v: 1, ...d };
        return { name: 'deliver', data, opts: deliveryJobOptions(data, options.priority, options.delayMs) };
      }),
    );
  }
}
