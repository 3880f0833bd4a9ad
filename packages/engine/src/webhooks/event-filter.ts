/**
 * A webhook's event filter: exact names (`user.register`) and prefix
 * wildcards (`auth.*` matches `auth.login.success`, not `auth`); `*` matches
 * everything, and an empty filter too.
 */
export const EVENT_FILTER_PATTERN = /^(\*|[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*(\.\*)?)$/;

export function isValidEventFilter(filter: string): boolean {
  return filter.length <= 256 && EVENT_FILTER_PATTERN.test(filter);
}

export function matchesEventFilter(filters: readonly string[], type: string): boolean {
  if (filters.length === 0) return true;
  for (const filter of filters) {
    if (filter === '*' || filter === type) return true;
    if (filter.endsWith('.*') && type.startsWith(filter.slice(0, -1))) return true;
  }
  return false;
}
