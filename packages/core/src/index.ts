export { newId, isId, ID_PREFIXES } from './ids.js';
export type { IdKind } from './ids.js';
export { NotFoundError, ValidationError } from './errors.js';
export type { FieldIssue } from './errors.js';
export { HERALD_VERSION } from './version.js';
export { StartupError, runMain } from './startup.js';
