export { newId, isId, idTimeMs, ID_PREFIXES } from './ids.js';
export type { IdKind } from './ids.js';
export { ConflictError, NotFoundError, ValidationError } from './errors.js';
export type { FieldIssue } from './errors.js';
export { HERALD_VERSION } from './version.js';
export { utcDate } from './time.js';
export { StartupError, WORKER_ENTRY, WORKER_NODE_FLAGS, nodeArgsFor, runMain } from './startup.js';
export {
  EVENT_TYPE_PATTERN,
  MAX_EVENT_DATA_DEPTH,
  jsonDataProblem,
  jsonDepth,
  jsonHasLoneSurrogate,
  jsonHasNul,
  MAX_EVENT_DATA_BYTES,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  checkEventInput,
  parseEventInput,
} from './event-input.js';
export type { EventInput } from './event-input.js';
export {
  ADMIN_PASSWORD_MAX_LENGTH,
  ADMIN_PASSWORD_MIN_LENGTH,
  adminPasswordProblem,
  hasControlCharacters,
  withoutNul,
} from './text.js';
export { EVENT_CATALOG, EVENT_CATALOG_TYPES, findCatalogEventType } from './event-catalog.js';
export type { CatalogEventType } from './event-catalog.js';
