import { findCatalogEventType } from '@herald/core';

/** True when `type` is in the event catalog (`EVENT_CATALOG` in @herald/core). */
export function isCatalogType(type: string): boolean {
  return findCatalogEventType(type) !== undefined;
}

/**
 * The catalog's example data for `type`: what "Send test event" publishes
 * (plus `"test": true`) and what the format preview renders. Empty for a
 * type outside the catalog.
 */
export function sampleEventData(type: string): Record<string, unknown> {
  return { ...(findCatalogEventType(type)?.example ?? {}) };
}
