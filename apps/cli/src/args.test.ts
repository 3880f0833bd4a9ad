import { UsageError } from './errors.js';
import {
  extractGlobalFlags,
  parseCommandArgs,
  parseHeaderOptions,
  parseIsoTime,
  parseJsonOption,
  parseListOption,
  parsePositiveInteger,
  parseChoice,
  requireOption,
} from './args.js';

describe('extractGlobalFlags', () => {
  test('when --json and --help appear anywhere before --, they are taken out of the arguments', () => {
    expect(extractGlobalFlags(['--json', 'app', 'create', 'x', '-h'])).toEqual({
      json: true,
      help: true,
      rest: ['app', 'create', 'x'],
    });
  });

  test('when --json follows --, it is an argument, not the flag', () => {
    expect(extractGlobalFlags(['app', 'create', '--', '--json'])).toEqual({
      json: false,
      help: false,
      rest: ['app', 'create', '--', '--json'],
    });
  });
});

describe('parseCommandArgs', () => {
  const options = { app: { type: 'string' }, header: { type: 'string', multiple: true } } as const;

  test('when the options are known, their values are returned (repeatable ones as lists)', () => {
    const r = parseCommandArgs('x', ['--app', 'a1', '--header', 'A: 1', '--header=B: 2'], options);
    expect(r.values).toEqual({ app: 'a1', header: ['A: 1', 'B: 2'] });
  });

  test.each([
    ['an unknown option', ['--nope'], /unknown option --nope/],
    ['a missing value', ['--app'], /--app needs a value/],
    ['a single-value option given twice', ['--app', 'a', '--app', 'b'], /--app is given more than once/],
    ['an unexpected positional', ['stray'], /unexpected argument stray/],
  ])('when given %s, it is a usage error', (_what, args, message) => {
    expect(() => parseCommandArgs('x', args, options)).toThrow(UsageError);
    expect(() => parseCommandArgs('x', args, options)).toThrow(message);
  });

  test('when a command takes one positional and gets two, the error suggests quoting', () => {
    expect(() => parseCommandArgs('app create', ['My', 'App'], {}, 1)).toThrow(/quote/);
  });
});

describe('value parsers', () => {
  test('when a required option is missing or blank, the error names it', () => {
    expect(() => requireOption(undefined, 'app')).toThrow('missing --app');
    expect(() => requireOption('  ', 'app')).toThrow('--app needs a value');
    expect(requireOption('app_1', 'app')).toBe('app_1');
  });

  test.each(['abc', '0', '-1', '1.5', '', '1e3', '2000000'])('when --limit is %j, it is refused', (text) => {
    expect(() => parsePositiveInteger(text, 'limit')).toThrow(/--limit must be a whole number/);
  });

  test('when --limit is plain digits in range, it is that number', () => {
    expect(parsePositiveInteger('25', 'limit')).toBe(25);
  });

  test('when --rate-limit is 0 or over its maximum, the message gives the range', () => {
    expect(() => parsePositiveInteger('0', 'rate-limit', 100_000)).toThrow(
      '--rate-limit must be a whole number from 1 to 100000, not 0',
    );
    expect(() => parsePositiveInteger('100001', 'rate-limit', 100_000)).toThrow(UsageError);
  });

  test.each(['done', 'DEAD', '', 'dead,failed'])(
    'when a choice is %j, it is refused naming the choices',
    (text) => {
      expect(() => parseChoice(text, 'status', ['dead', 'failed'])).toThrow(
        /^--status must be one of dead, failed, not /,
      );
    },
  );

  test('when a choice is one of them (spaces aside), it is that choice', () => {
    expect(parseChoice(' failed ', 'status', ['dead', 'failed'])).toBe('failed');
  });

  test.each([
    ['2025-01-31', '2025-01-31T00:00:00.000Z'],
    ['2025-01-31T12:30:00Z', '2025-01-31T12:30:00.000Z'],
    ['2025-01-31T12:30:00.123+02:00', '2025-01-31T10:30:00.123Z'],
  ])('when the time is %s, it is read as ISO-8601', (text, iso) => {
    expect(parseIsoTime(text, 'since').toISOString()).toBe(iso);
  });

  test.each(['yesterday', '1700000000', '2025-13-01', '2025-02-30T00:00:00Z', 'Jan 1 2025'])(
    'when the time is %j, it is a usage error',
    (text) => {
      expect(() => parseIsoTime(text, 'since')).toThrow(/--since must be an ISO-8601 time/);
    },
  );

  test('when --data is not JSON, the error says so', () => {
    expect(() => parseJsonOption('{x', 'data')).toThrow(/--data is not valid JSON/);
    expect(parseJsonOption('[1]', 'data')).toEqual([1]);
  });

  test('when headers are given, each splits on its first colon and both sides are trimmed', () => {
    expect(parseHeaderOptions(['X-Token : a:b ', 'X-Empty:'])).toEqual({ 'X-Token': 'a:b', 'X-Empty': '' });
  });

  test('when a header has no colon, no name, or repeats, it is refused', () => {
    expect(() => parseHeaderOptions(['nocolon'])).toThrow(/Name: value/);
    expect(() => parseHeaderOptions([': v'])).toThrow(/Name: value/);
    expect(() => parseHeaderOptions(['A: 1', 'a: 2'])).toThrow(/more than once/);
  });

  test('when --events lists filters, blanks are dropped', () => {
    expect(parseListOption(' auth.*, user.created ,,')).toEqual(['auth.*', 'user.created']);
    expect(parseListOption('')).toEqual([]);
  });
});
