import type { ReadStream } from 'node:tty';
import { CliError } from './errors.js';
import type { OutputStream } from './output.js';

type Input = NodeJS.ReadableStream & { isTTY?: boolean };

/** Everything on stdin, as UTF-8. */
export async function readAll(input: Input): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The first line of stdin without its line break (`\n` or `\r\n`). Stops
 * reading at the first line break, so a writer that keeps the pipe open
 * does not block us.
 */
export async function readFirstLine(input: Input): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const newline = buffer.indexOf(0x0a);
    if (newline >= 0) {
      chunks.push(buffer.subarray(0, newline));
      break;
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r$/, '');
}

/** Reads a line from a terminal without echoing it (for passwords). */
export function promptHidden(prompt: string, input: ReadStream, output: OutputStream): Promise<string> {
  output.write(prompt);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const stop = (): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          stop();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          stop();
          reject(new CliError('interrupted', 'interrupted', 130));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else value += ch;
      }
    };
    input.on('data', onData);
  });
}
