import type { ReadStream } from 'node:tty';
import { ValidationError } from '@herald/core';
import { CLI_ACTOR, checkAdminPassword, createAdminUser, parseAdminEmail } from '@herald/engine';
import { parseCommandArgs, requireOption } from '../args.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { formatFields } from '../output.js';
import { promptHidden, readFirstLine } from '../stdin.js';

export const adminCreate = defineCommand({
  name: 'admin create',
  parse(args) {
    const { values } = parseCommandArgs('admin create', args, {
      email: { type: 'string' },
      'password-stdin': { type: 'boolean' },
    });
    const email = parseAdminEmail(requireOption(values.email, 'email'));
    // Passwords never go on the command line, where ps and shell history see them.
    if (!values['password-stdin']) {
      throw new UsageError('missing --password-stdin: the password is read from stdin, never from arguments');
    }
    return { email };
  },
  async execute({ email }, ctx) {
    const password = checkAdminPassword(await readPassword(ctx));
    const { db } = await ctx.services();
    const admin = await createAdminUser(db, CLI_ACTOR, { email, password });
    ctx.output.result({ id: admin.id, email: admin.email }, () =>
      formatFields([
        ['id', admin.id],
        ['email', admin.email],
      ]),
    );
  },
});

async function readPassword(ctx: CliContext): Promise<string> {
  const { stdin, stderr } = ctx.io;
  if (!stdin.isTTY) return readFirstLine(stdin);
  // At a terminal: ask without echo, twice, so a typo does not lock anyone out.
  const tty = stdin as unknown as ReadStream;
  const password = await promptHidden('Password: ', tty, stderr);
  checkAdminPassword(password);
  const again = await promptHidden('Repeat password: ', tty, stderr);
  if (again !== password) {
    throw new ValidationError('invalid admin: the passwords do not match', [
      { field: 'password', message: 'the two entries do not match' },
    ]);
  }
  return password;
}
