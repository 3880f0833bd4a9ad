/** Herald's version, sent in the default User-Agent. Bump with package.json. */
export const HERALD_VERSION = '0.1.0';
