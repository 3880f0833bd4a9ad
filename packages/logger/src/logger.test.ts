import { Writable } from 'node:stream';
import { createLogger } from './index.js';

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
