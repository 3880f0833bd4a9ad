import type { RunnableCommand } from './command.js';

export interface CommandEntry {
  /** The words that select it: `webhook add`, `publish`. */
  name: string;
  /** Synopsis for --help. */
  usage: string;
  summary: string;
  load(): Promise<RunnableCommand>;
}

// Commands are imported only when run: the engine, BullMQ and pg take most of
// a second to load, which --help and a mistyped command line need not pay.
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'app create',
    usage: 'app create <name>',
    summary: 'create an app (the tenant that events and webhooks belong to)',
    load: async () => (await import('./commands/app.js')).appCreate,
  },
  {
    name: 'key create',
    usage: 'key create --app <id> [--name <name>] [--scope full|ingest]',
    summary: 'create an API key for the HTTP API (the key is shown only here; ingest = publish only)',
    load: async () => (await import('./commands/key.js')).keyCreate,
  },
  {
    name: 'webhook add',
    usage: [
      'webhook add --app <id> --url <url> [--events a,b.*]',
      '            [--format standard|discord|telegram|slack] [--user-agent <s>]',
      "            [--description <s>] [--header 'Name: value']... [--rate-limit <n>]",
    ].join('\n'),
    summary: 'add a webhook endpoint to an app (its signing secret is shown only here)',
    load: async () => (await import('./commands/webhook.js')).webhookAdd,
  },
  {
    name: 'publish',
    usage: [
      'publish --app <id> --type <type> --data <json> [--idempotency-key <key>]',
      'publish --app <id> --file <path | ->',
      '        (NDJSON: one {"type","data","idempotencyKey"?} per line; - reads stdin)',
    ].join('\n'),
    summary: 'publish events (a file is checked whole before anything is sent)',
    load: async () => (await import('./commands/publish.js')).publish,
  },
  {
    name: 'deliveries',
    usage: 'deliveries --webhook <id> [--status <status>] [--limit <n>]',
    summary: "list a webhook's deliveries, newest first (all of them unless --limit)",
    load: async () => (await import('./commands/deliveries.js')).deliveries,
  },
  {
    name: 'replay',
    usage: 'replay --webhook <id> --since <iso> [--until <iso>] [--status dead|failed]',
    summary: "send a webhook's deliveries created in [since, until) again, with a fresh schedule",
    load: async () => (await import('./commands/replay.js')).replay,
  },
  {
    name: 'event-types',
    usage: 'event-types [--app <id>]',
    summary:
      'the event catalog: each type with its description and example data (--app adds the types it published)',
    load: async () => (await import('./commands/event-types.js')).eventTypes,
  },
  {
    name: 'admin create',
    usage: 'admin create --email <email> --password-stdin',
    summary: 'create an admin-panel login; the password is the first line of stdin',
    load: async () => (await import('./commands/admin.js')).adminCreate,
  },
];
