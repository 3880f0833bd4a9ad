/** True when `text` has a C0 control character or DEL (line breaks, NUL, escapes…). */
export function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** Drops NUL characters, which Postgres text columns refuse. */
export function withoutNul(text: string): string {
  return text.includes('\u0000') ? text.split('\u0000').join('') : text;
}

/** An admin password's bounds, in characters as people see them (code points). */
export const ADMIN_PASSWORD_MIN_LENGTH = 12;
export const ADMIN_PASSWORD_MAX_LENGTH = 1024;

/**
 * Why a password is refused for an admin, as a field message (undefined: it
 * is fine). One rule for the panel, the CLI and HERALD_ADMIN_PASSWORD, so the
 * environment check at start-up refuses what creating the admin would.
 */
export function adminPasswordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < ADMIN_PASSWORD_MIN_LENGTH || length > ADMIN_PASSWORD_MAX_LENGTH) {
    return `must be ${ADMIN_PASSWORD_MIN_LENGTH}–${ADMIN_PASSWORD_MAX_LENGTH} characters`;
  }
  if (hasControlCharacters(password)) return 'must not contain control characters';
  return undefined;
}
