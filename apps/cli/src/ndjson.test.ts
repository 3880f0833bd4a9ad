import { ValidationError } from '@herald/core';
import { parseEventLines } from './ndjson.js';

function issuesOf(text: string) {
  try {
    parseEventLines(text);
  } catch (error) {
    if (error instanceof ValidationError) return { message: error.message, issues: error.issues };
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('parseEventLines', () => {
  test('when lines are valid, events come back with their line numbers and blank lines are skipped', () => {
    const text =
      '\uFEFF{"type":"a.b","data":{"x":1}}\n\n  \r\n{"type":"c","data":{},"idempotencyKey":"k"}\r\n';
    expect(parseEventLines(text)).toEqual([
      { line: 1, type: 'a.b', data: { x: 1 } },
      { line: 4, type: 'c', data: {}, idempotencyKey: 'k' },
    ]);
  });

  test('when the file is empty, there are no events', () => {
    expect(parseEventLines('\n\n')).toEqual([]);
  });

  test('when line 3 is broken, the error names line 3 and no event is returned', () => {
    const { message, issues } = issuesOf('{"type":"a","data":{}}\n{"type":"a","data":{}}\n{"type":"a",\n');
    expect(message).toMatch(/line 3: is not valid JSON/);
    expect(issues).toEqual([expect.objectContaining({ index: 3 })]);
  });

  test('when several lines are bad, each is named with the field at fault', () => {
    const { message } = issuesOf(
      ['[1]', '{"type":"a b","data":{}}', '{"type":"a","data":[]}', '{"type":"a","data":{},"app":"x"}'].join(
        '\n',
      ),
    );
    expect(message).toContain('line 1: event must be an object');
    expect(message).toContain('line 2: type');
    expect(message).toContain('line 3: data must be a JSON object');
    expect(message).toContain('line 4: app is not an event field');
  });

  test('when more than ten lines are bad, ten are listed and the rest counted', () => {
    const { message, issues } = issuesOf(Array.from({ length: 12 }, () => 'x').join('\n'));
    expect(issues).toHaveLength(12);
    expect(message).toMatch(/line 10: .*; and 2 more$/);
  });
});
