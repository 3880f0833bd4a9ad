// Every BullMQ queue Herald uses. Renaming one strands the jobs already
// stored under the old name: add a migration path before you do.
//
// Each name carries its own Redis Cluster hash tag ({…}), so all of one
// queue's keys share a slot (BullMQ's Lua scripts need that) while different
// queues may live on different cluster nodes.
export const QUEUE_NAMES = {
  /** Published events waiting for fan-out. */
  events: '{events}',
  /** One job per delivery attempt series; job id = delivery id. */
  deliveries: '{deliveries}',
  /** Scheduled upkeep: reconciler, retention, breaker sweeps. */
  maintenance: '{maintenance}',
} as const;

export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];
