import { findCommand, runCli } from './cli.js';
import type { CliIo } from './output.js';

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdin: process.stdin,
    stdout: { write: (c: string) => ((stdout += c), true) },
    stderr: { write: (c: string) => ((stderr += c), true) },
    // Anything that would connect fails loudly: these command lines must be refused first.
    env: { DATABASE_URL: 'nonsense' },
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

describe('findCommand', () => {
  test('when the words name a command, the rest are its arguments', () => {
    const { command, args } = findCommand(['webhook', 'add', '--app', 'a']);
    expect(command.name).toBe('webhook add');
    expect(args).toEqual(['--app', 'a']);
  });

  test('when a group word lacks its subcommand, the error lists the choices', () => {
    expect(() => findCommand(['webhook'])).toThrow('"webhook" needs a subcommand: add');
    expect(() => findCommand(['app', 'delete'])).toThrow('unknown command "app delete"');
  });
});

describe('runCli', () => {
  test('when --json is given with a usage error, stdout is one JSON error and the exit code is 2', async () => {
    const r = await run(['frob', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'usage', message: 'unknown command "frob"' } });
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });

  test('when a usage error happens without --json, stderr explains it and stdout stays empty', async () => {
    const r = await run(['key', 'create']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: missing --app\n.*--help/);
  });

  test('when no command is given, it is a usage error; --help lists every command and exits 0', async () => {
    expect((await run([])).code).toBe(2);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const name of [
      'app create',
      'key create',
      'webhook add',
      'publish',
      'deliveries',
      'replay',
      'admin create',
      'event-types',
    ]) {
      expect(help.stdout).toContain(name);
    }
  });

  test('when a command is asked for --help with --json, its usage is one JSON document', async () => {
    const r = await run(['replay', '--help', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { usage: string }).usage).toContain('--since <iso>');
  });

  test.each([
    [['publish', '--app', 'app_x', '--type', 't', '--data', '{oops'], 'usage', 2],
    [['publish', '--app', 'app_x', '--type', 't', '--data', '[1,2]'], 'validation', 1],
    [['deliveries', '--webhook', 'wh_x', '--limit', 'abc'], 'usage', 2],
    [['replay', '--webhook', 'wh_x', '--since', 'last tuesday'], 'usage', 2],
    [['admin', 'create', '--email', 'a@example.com'], 'usage', 2],
    [['admin', 'create', '--email', 'not-an-email', '--password-stdin'], 'validation', 1],
    [['app', 'create', 'a', 'b'], 'usage', 2],
    [['key', 'create', '--app', 'app_x', '--scope', 'admin'], 'usage', 2],
    [['key', 'create', '--app', 'app_x', '--scope', ''], 'usage', 2],
    [['event-types', '--app'], 'usage', 2],
    [['event-types', 'extra'], 'usage', 2],
  ])('when run with %j, it fails with %s before connecting to anything', async (argv, code, exitCode) => {
    const r = await run([...argv, '--json']);
    expect(r.code).toBe(exitCode);
    expect((JSON.parse(r.stdout) as { error: { code: string } }).error.code).toBe(code);
  });

  test('when the catalog is asked for without --app, it needs no database and lists every seed type', async () => {
    const r = await run(['event-types', '--json']);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as {
      catalog: { type: string; description: string; example: object }[];
    };
    expect(body.catalog.map((e) => e.type)).toContain('hwid.mismatch');
    expect(body.catalog).toHaveLength(11);
    expect(body.catalog.every((e) => e.description.length > 0 && typeof e.example === 'object')).toBe(true);
    const human = await run(['event-types']);
    expect(human.stdout).toMatch(/^payment\.failed +A payment was declined/m);
  });

  test('when the environment is invalid, the error code is config', async () => {
    const r = await run(['app', 'create', 'x', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: 'config', message: expect.stringContaining('DATABASE_URL') },
    });
  });
});
