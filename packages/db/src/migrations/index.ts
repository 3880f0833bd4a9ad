import type { Migration } from 'kysely';
import * as initial from './2026-11-27T08-00_initial.js';
import * as adminSessions from './2026-11-27T10-00_admin-sessions.js';
import * as auditFilters from './2026-11-27T12-00_audit-filters.js';
import * as sharedState from './2026-11-27T12-00_shared-state.js';
import * as webhookInsights from './2026-11-27T12-30_webhook-insights.js';
import * as scheduleBase from './2026-11-28T05-00_schedule-base.js';
import * as gateExpiry from './2026-11-28T13-00_gate-expiry.js';

// Listed by hand (not read from disk) so migrations run the same under tsx,
// Jest and a bundle. Names sort by time; append, never reorder or edit.
export const MIGRATIONS: Record<string, Migration> = {
  '2026-11-27T08-00_initial': initial,
  '2026-11-27T10-00_admin-sessions': adminSessions,
  '2026-11-27T12-00_audit-filters': auditFilters,
  '2026-11-27T12-00_shared-state': sharedState,
  '2026-11-27T12-30_webhook-insights': webhookInsights,
  '2026-11-28T05-00_schedule-base': scheduleBase,
  '2026-11-28T13-00_gate-expiry': gateExpiry,
};
