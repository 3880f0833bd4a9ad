import { Writable } from 'node:stream';
import { createLogger, redact } from './index.js';

function captureLines(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, lines };
}

test('when a log line carries secrets, URLs or authorization headers, they are redacted', () => {
  const { stream, lines } = captureLines();
  const log = createLogger({ name: 't', destination: stream });
  log.info(
    {
      webhook: { url: 'https://discord.com/api/webhooks/1/tok', secret: 'whsec_abc' },
      headers: { authorization: 'Bearer hk_live_x' },
      password: 'hunter2hunter2',
    },
    'something happened',
  );
  const line = lines.join('');
  expect(line).toContain('something happened');
  expect(line).not.toContain('discord.com');
  expect(line).not.toContain('whsec_abc');
  expect(line).not.toContain('hk_live_x');
  expect(line).not.toContain('hunter2');
});

function logged(log: (logger: ReturnType<typeof createLogger>) => void): Record<string, unknown> {
  const { stream, lines } = captureLines();
  log(createLogger({ name: 't', destination: stream }));
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

test('when secrets sit deeper, in arrays or in the fields of a thrown error, they are redacted and the rest is kept', () => {
  const line = logged((log) =>
    log.warn(
      {
        webhooks: [{ id: 'wh_1', url: 'https://api.telegram.org/bot123:tok/sendMessage' }],
        attempt: { request: { headers: { cookie: 'sid=s3cr3t', 'content-type': 'application/json' } } },
        deliveryId: 'dlv_1',
      },
      'deeper',
    ),
  );
  expect(line).toMatchObject({
    msg: 'deeper',
    deliveryId: 'dlv_1',
    webhooks: [{ id: 'wh_1', url: '[redacted]' }],
    attempt: { request: { headers: { cookie: '[redacted]', 'content-type': 'application/json' } } },
  });
});

test('when an error carries a URL, it is redacted and the error keeps its type, message and stack', () => {
  const error = Object.assign(new TypeError('connect refused'), {
    url: 'https://discord.com/api/webhooks/1/tok',
    code: 'ECONNREFUSED',
  });
  for (const line of [
    logged((log) => log.error({ err: error, deliveryId: 'dlv_2' }, 'attempt failed')),
    logged((log) => log.error(error)),
  ]) {
    expect(JSON.stringify(line)).not.toContain('discord.com');
    expect(line['err']).toMatchObject({
      type: 'TypeError',
      message: 'connect refused',
      code: 'ECONNREFUSED',
      url: '[redacted]',
      stack: expect.stringContaining('connect refused'),
    });
  }
  expect(error.url).toBe('https://discord.com/api/webhooks/1/tok');
});

test("when a child logger's bindings carry a secret, every line it or its children write has it redacted", () => {
  const line = logged((log) =>
    log
      .child({ token: 'tg-token', webhook: { id: 'wh_3', secret: 'whsec_x' } })
      .child({ deliveryId: 'dlv_3', url: 'https://example.com/hook' })
      .info('bound'),
  );
  expect(line).toMatchObject({
    token: '[redacted]',
    webhook: { id: 'wh_3', secret: '[redacted]' },
    deliveryId: 'dlv_3',
    url: '[redacted]',
    msg: 'bound',
  });
});

test('when a line has nothing to redact, the fields are written as given and the caller’s objects are not changed', () => {
  const fields = {
    deliveryId: 'dlv_4',
    statusCode: 204,
    webhook: { id: 'wh_4', url: 'https://example.com/hook' },
  };
  const line = logged((log) => log.info(fields, 'delivery succeeded'));
  expect(line).toMatchObject({
    deliveryId: 'dlv_4',
    statusCode: 204,
    webhook: { id: 'wh_4', url: '[redacted]' },
  });
  expect(fields.webhook.url).toBe('https://example.com/hook');
  const plain = { deliveryId: 'dlv_5', nested: { attempt: 2, bytes: Buffer.from('abc') } };
  expect(redact(plain)).toBe(plain);
});
