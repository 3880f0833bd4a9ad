// Test fixture: opens the data directory given as argv[2], writes one app row
// (id argv[3]), says "ready" and holds the database until it is killed.
import { openEmbeddedDatabase } from '../index.js';

const [dataDir, appId] = process.argv.slice(2);
if (!dataDir || !appId) throw new Error('usage: hold-open.ts <dataDir> <appId>');
const embedded = await openEmbeddedDatabase({ dataDir });
await embedded.db.insertInto('apps').values({ id: appId, name: 'Written before SIGKILL' }).execute();
process.stdout.write('ready\n');
setInterval(() => undefined, 60_000);
