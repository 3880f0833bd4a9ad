import { Webhook } from 'standardwebhooks';
import { buildSignatureHeader, generateSecret, parseSecret, sign, verifyWebhook } from './index.js';

const MSG_ID = 'msg_01JBZ6V0M9J8QX5N1S2T3V4W5X';
const BODY = JSON.stringify({
  type: 'auth.login.success',
  timestamp: '2025-01-01T00:00:00.000Z',
  data: { user: 'zoë', note: 'non-ASCII: ✓ 日本' },
});

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function headersFor(msgId: string, ts: number, signature: string): Record<string, string> {
  return { 'webhook-id': msgId, 'webhook-timestamp': String(ts), 'webhook-signature': signature };
}

describe('sign', () => {
  test('when given the published Standard Webhooks example, it produces the published signature', () => {
    const key = parseSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    expect(sign(key, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  test('when a delivery is signed, the standardwebhooks package verifies it and returns the payload', () => {
    const secret = generateSecret();
    const ts = nowSeconds();
    const signature = sign(parseSecret(secret), MSG_ID, ts, BODY);
    expect(signature).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(new Webhook(secret).verify(BODY, headersFor(MSG_ID, ts, signature))).toEqual(JSON.parse(BODY));
  });

  test('when the body is a Buffer of the same UTF-8 bytes, the signature is the same as for the string', () => {
    const key = parseSecret(generateSecret());
    const ts = nowSeconds();
    expect(sign(key, MSG_ID, ts, Buffer.from(BODY, 'utf8'))).toBe(sign(key, MSG_ID, ts, BODY));
  });

  test('when standardwebhooks signs the same message, both signatures are identical', () => {
    const secret = generateSecret(24);
    const ts = 1_700_000_000;
    expect(sign(parseSecret(secret), MSG_ID, ts, BODY)).toBe(
      new Webhook(secret).sign(MSG_ID, new Date(ts * 1000), BODY),
    );
  });

  test('when the timestamp is not whole non-negative seconds, it refuses to sign', () => {
    const key = parseSecret(generateSecret());
    expect(() => sign(key, MSG_ID, 1.5, BODY)).toThrow(/whole unix seconds/);
    expect(() => sign(key, MSG_ID, -1, BODY)).toThrow(RangeError);
    expect(() => sign(key, MSG_ID, Number.NaN, BODY)).toThrow(RangeError);
  });

  test('when the key is shorter than 24 bytes, it refuses to sign', () => {
    expect(() => sign(Buffer.alloc(0), MSG_ID, nowSeconds(), BODY)).toThrow(/24–64 bytes/);
  });
});

describe('buildSignatureHeader', () => {
  test('when a secret is being rotated, the header verifies with either secret in standardwebhooks', () => {
    const current = generateSecret();
    const previous = generateSecret();
    const ts = nowSeconds();
    const body = Buffer.from(BODY);
    const header = buildSignatureHeader([parseSecret(current), parseSecret(previous)], MSG_ID, ts, body);
    const headers = headersFor(MSG_ID, ts, header);

    expect(new Webhook(current).verify(BODY, headers)).toEqual(JSON.parse(BODY));
    expect(new Webhook(previous).verify(BODY, headers)).toEqual(JSON.parse(BODY));
    expect(() => new Webhook(generateSecret()).verify(BODY, headers)).toThrow('No matching signature found');
  });

  test('when given several secrets, the signatures are space-separated in the order given, newest first', () => {
    const current = parseSecret(generateSecret());
    const previous = parseSecret(generateSecret());
    const ts = nowSeconds();
    const header = buildSignatureHeader([current, previous], MSG_ID, ts, BODY);
    expect(header).toBe(`${sign(current, MSG_ID, ts, BODY)} ${sign(previous, MSG_ID, ts, BODY)}`);
  });

  test('when a rotation header arrives, verifyWebhook accepts it with either secret', () => {
    const current = generateSecret();
    const previous = generateSecret();
    const ts = nowSeconds();
    const header = buildSignatureHeader([parseSecret(current), parseSecret(previous)], MSG_ID, ts, BODY);
    const headers = headersFor(MSG_ID, ts, header);
    expect(verifyWebhook(current, BODY, headers)).toEqual(JSON.parse(BODY));
    expect(verifyWebhook(previous, BODY, headers)).toEqual(JSON.parse(BODY));
  });

  test('when given a single secret, the header is that one signature', () => {
    const key = parseSecret(generateSecret());
    expect(buildSignatureHeader([key], MSG_ID, 1, BODY)).toBe(sign(key, MSG_ID, 1, BODY));
  });

  test('when given no secrets, it refuses rather than sending an unsigned delivery', () => {
    expect(() => buildSignatureHeader([], MSG_ID, nowSeconds(), BODY)).toThrow(/at least one/);
  });
});
