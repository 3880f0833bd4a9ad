export {
  generateSecret,
  InvalidSecretError,
  isValidSecret,
  MAX_SECRET_BYTES,
  MIN_SECRET_BYTES,
  parseSecret,
  SECRET_PREFIX,
} from './secret.js';
export { buildSignatureHeader, sign } from './sign.js';
export { DEFAULT_TOLERANCE_SECONDS, verifyWebhook, WebhookVerificationError } from './verify.js';
export type { VerifyWebhookOptions, WebhookHeaders, WebhookVerificationFailure } from './verify.js';
export {
  createKeyring,
  decryptSecret,
  encryptSecret,
  keyIdOf,
  keyIdOfCiphertext,
  SecretDecryptionError,
} from './encryption.js';
export type { EncryptionKey, SecretKeyring } from './encryption.js';
