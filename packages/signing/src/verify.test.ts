import { Webhook } from 'standardwebhooks';
import {
  generateSecret,
  InvalidSecretError,
  parseSecret,
  sign,
  verifyWebhook,
  WebhookVerificationError,
  type WebhookVerificationFailure,
} from './index.js';

const MSG_ID = 'msg_01JBZ6V0M9J8QX5N1S2T3V4W5X';
const PAYLOAD = { type: 'auth.login.success', timestamp: '2025-01-01T00:00:00.000Z', data: { n: 1 } };
const BODY = JSON.stringify(PAYLOAD);
const NOW_SECONDS = 1_750_000_000;
const now = (): number => NOW_SECONDS * 1000;

function signed(
  secret: string,
  options: { ts?: number; body?: string; msgId?: string } = {},
): Record<string, string> {
  const ts = options.ts ?? NOW_SECONDS;
  const msgId = options.msgId ?? MSG_ID;
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(ts),
    'webhook-signature': sign(parseSecret(secret), msgId, ts, options.body ?? BODY),
  };
}

function refusal(run: () => unknown): WebhookVerificationError {
  try {
    run();
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error;
    throw error;
  }
  throw new Error('expected the delivery to be refused');
}

function expectRefused(
  secret: string,
  run: () => unknown,
  reason: WebhookVerificationFailure,
  message: RegExp,
): void {
  const error = refusal(run);
  expect(error.reason).toBe(reason);
  expect(error.message).toMatch(message);
  expect(error.message).not.toContain(secret);
  expect(error.message).not.toContain(secret.slice('whsec_'.length));
}

describe('verifyWebhook', () => {
  test('when standardwebhooks signed the delivery, it is accepted and the payload returned', () => {
    const secret = generateSecret();
    const ts = Math.floor(Date.now() / 1000);
    const headers = {
      'webhook-id': MSG_ID,
      'webhook-timestamp': String(ts),
      'webhook-signature': new Webhook(secret).sign(MSG_ID, new Date(ts * 1000), BODY),
    };
    expect(verifyWebhook(secret, BODY, headers)).toEqual(PAYLOAD);
    expect(verifyWebhook(secret, Buffer.from(BODY), headers)).toEqual(PAYLOAD);
  });

  test('when the secret is a 24-byte standardwebhooks-style secret, it is accepted too', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const ts = 1614265330;
    const body = '{"test": 2432232314}';
    const headers = {
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': String(ts),
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    expect(verifyWebhook(secret, body, headers, { now: () => ts * 1000 })).toEqual({
      test: 2432232314,
    });
  });

  test('when the body is changed after signing, verification fails', () => {
    const secret = generateSecret();
    const tampered = BODY.replace('"n":1', '"n":2');
    expectRefused(
      secret,
      () => verifyWebhook(secret, tampered, signed(secret), { now }),
      'no_matching_signature',
      /no matching v1 signature/,
    );
  });

  test('when the webhook-id is changed after signing, verification fails', () => {
    const secret = generateSecret();
    const headers = { ...signed(secret), 'webhook-id': 'msg_other' };
    expect(refusal(() => verifyWebhook(secret, BODY, headers, { now })).reason).toBe('no_matching_signature');
  });

  test('when the timestamp is changed after signing (within tolerance), verification fails', () => {
    const secret = generateSecret();
    const headers = { ...signed(secret), 'webhook-timestamp': String(NOW_SECONDS + 1) };
    expect(refusal(() => verifyWebhook(secret, BODY, headers, { now })).reason).toBe('no_matching_signature');
  });

  test('when the delivery was signed with another secret, verification fails', () => {
    const secret = generateSecret();
    expectRefused(
      secret,
      () => verifyWebhook(secret, BODY, signed(generateSecret()), { now }),
      'no_matching_signature',
      /no matching/,
    );
  });

  test('when the timestamp is older than the tolerance, verification fails even with a good signature', () => {
    const secret = generateSecret();
    expectRefused(
      secret,
      () => verifyWebhook(secret, BODY, signed(secret, { ts: NOW_SECONDS - 301 }), { now }),
      'timestamp_too_old',
      /more than 300 s in the past/,
    );
  });

  test('when the timestamp is further in the future than the tolerance, verification fails', () => {
    const secret = generateSecret();
    expectRefused(
      secret,
      () => verifyWebhook(secret, BODY, signed(secret, { ts: NOW_SECONDS + 301 }), { now }),
      'timestamp_too_new',
      /more than 300 s in the future/,
    );
  });

  test('when the timestamp is exactly at the tolerance either way, the delivery is accepted', () => {
    const secret = generateSecret();
    for (const ts of [NOW_SECONDS - 300, NOW_SECONDS + 300]) {
      expect(verifyWebhook(secret, BODY, signed(secret, { ts }), { now })).toEqual(PAYLOAD);
    }
  });

  test('when a tolerance is given, it replaces the 300 s default', () => {
    const secret = generateSecret();
    const headers = signed(secret, { ts: NOW_SECONDS - 61 });
    expect(refusal(() => verifyWebhook(secret, BODY, headers, { now, toleranceSeconds: 60 })).reason).toBe(
      'timestamp_too_old',
    );
    expect(verifyWebhook(secret, BODY, headers, { now, toleranceSeconds: 61 })).toEqual(PAYLOAD);
  });

  test.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])(
    'when the %s header is missing, verification fails naming it',
    (name) => {
      const secret = generateSecret();
      const headers: Record<string, string | undefined> = { ...signed(secret) };
      delete headers[name];
      expectRefused(
        secret,
        () => verifyWebhook(secret, BODY, headers, { now }),
        'missing_header',
        new RegExp(`missing ${name} header`),
      );
      headers[name] = '';
      expect(refusal(() => verifyWebhook(secret, BODY, headers, { now })).reason).toBe('missing_header');
    },
  );

  test('when no headers are sent at all, verification fails naming all three', () => {
    const secret = generateSecret();
    expect(refusal(() => verifyWebhook(secret, BODY, {}, { now })).message).toBe(
      'missing webhook-id, webhook-timestamp, webhook-signature header',
    );
  });

  test('when the timestamp is not whole seconds, verification fails', () => {
    const secret = generateSecret();
    for (const ts of ['1750000000.5', '-1750000000', '1750000000abc', ' 1750000000', 'soon']) {
      const headers = { ...signed(secret), 'webhook-timestamp': ts };
      expect(refusal(() => verifyWebhook(secret, BODY, headers, { now })).reason).toBe('invalid_header');
    }
  });

  test('when the secret is malformed, it is refused with a clear error that does not contain it', () => {
    const bad = `whsec_${Buffer.alloc(16, 9).toString('base64')}`;
    expect(() => verifyWebhook(bad, BODY, {}, { now })).toThrow(InvalidSecretError);
    expect(() => verifyWebhook(bad, BODY, {}, { now })).toThrow(/24–64 bytes, not 16/);
    const noPrefix = generateSecret().slice(6);
    let message = '';
    try {
      verifyWebhook(noPrefix, BODY, signed(`whsec_${noPrefix}`), { now });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/must start with "whsec_"/);
    expect(message).not.toContain(noPrefix);
  });

  test('when header names arrive in another case, they are still found', () => {
    const secret = generateSecret();
    const lower = signed(secret);
    const headers = {
      'Webhook-Id': lower['webhook-id'],
      'WEBHOOK-TIMESTAMP': lower['webhook-timestamp'],
      'Webhook-Signature': lower['webhook-signature'],
    };
    expect(verifyWebhook(secret, BODY, headers, { now })).toEqual(PAYLOAD);
  });

  test('when the headers are a fetch Headers object, they are read through it', () => {
    const secret = generateSecret();
    const headers = new Headers(signed(secret));
    expect(verifyWebhook(secret, BODY, headers, { now })).toEqual(PAYLOAD);
    headers.delete('webhook-signature');
    expect(refusal(() => verifyWebhook(secret, BODY, headers, { now })).reason).toBe('missing_header');
  });

  test('when several signatures are sent, any one matching v1 signature is enough', () => {
    const secret = generateSecret();
    const good = signed(secret)['webhook-signature'];
    const other = signed(generateSecret())['webhook-signature'];
    const headers = { ...signed(secret), 'webhook-signature': `${other} ${good}` };
    expect(verifyWebhook(secret, BODY, headers, { now })).toEqual(PAYLOAD);
  });

  test('when the matching signature is labelled with another version, it is ignored', () => {
    const secret = generateSecret();
    const base64 = signed(secret)['webhook-signature']!.slice(3);
    const headers = { ...signed(secret), 'webhook-signature': `v2,${base64} v1a,${base64}` };
    expect(refusal(() => verifyWebhook(secret, BODY, headers, { now })).reason).toBe('no_matching_signature');
    headers['webhook-signature'] = `v2,${base64} v1,${base64}`;
    expect(verifyWebhook(secret, BODY, headers, { now })).toEqual(PAYLOAD);
  });

  test('when a signature is truncated or padded, it does not match', () => {
    const secret = generateSecret();
    const good = signed(secret)['webhook-signature']!;
    for (const signature of [good.slice(0, -1), `${good}=`, `${good}A`, 'v1,', 'v1']) {
      const headers = { ...signed(secret), 'webhook-signature': signature };
      expect(refusal(() => verifyWebhook(secret, BODY, headers, { now })).reason).toBe(
        'no_matching_signature',
      );
    }
  });

  test('when header values arrive as arrays, signatures are pooled and a single id is used', () => {
    const secret = generateSecret();
    const h = signed(secret);
    const other = signed(generateSecret())['webhook-signature']!;
    const headers = {
      'webhook-id': [h['webhook-id']!],
      'webhook-timestamp': h['webhook-timestamp'],
      'webhook-signature': [other, h['webhook-signature']!],
    };
    expect(verifyWebhook(secret, BODY, headers, { now })).toEqual(PAYLOAD);
  });

  test('when two different webhook-id values arrive, verification fails instead of guessing', () => {
    const secret = generateSecret();
    const h = signed(secret);
    const headers = { ...h, 'Webhook-Id': 'msg_other' };
    expect(refusal(() => verifyWebhook(secret, BODY, headers, { now })).message).toBe(
      'conflicting webhook-id headers',
    );
  });

  test('when the signed body is not JSON, verification fails after the signature check', () => {
    const secret = generateSecret();
    const body = 'not json';
    expect(refusal(() => verifyWebhook(secret, body, signed(secret, { body }), { now })).reason).toBe(
      'invalid_payload',
    );
  });

  test('when the body holds non-ASCII bytes, the exact bytes are what is verified', () => {
    const secret = generateSecret();
    const body = Buffer.from(JSON.stringify({ data: { name: 'Zoë ✓' } }));
    const headers = signed(secret, { body: body.toString('utf8') });
    expect(verifyWebhook(secret, body, headers, { now })).toEqual({ data: { name: 'Zoë ✓' } });
    // Same text, different bytes (NFD "e" + combining diaeresis): refused.
    const decomposed = Buffer.from(JSON.stringify({ data: { name: 'Zoë ✓'.normalize('NFD') } }));
    expect(refusal(() => verifyWebhook(secret, decomposed, headers, { now })).reason).toBe(
      'no_matching_signature',
    );
  });
});
