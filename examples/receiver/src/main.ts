import { createReceiver } from './receiver.js';

// `WEBHOOK_SECRET=whsec_… PORT=4000 pnpm --filter @herald/example-receiver start`
const secret = process.env['WEBHOOK_SECRET'];
if (!secret) {
  process.stderr.write('set WEBHOOK_SECRET to the webhook signing secret (whsec_…)\n');
  process.exit(1);
}
const port = Number(process.env['PORT'] ?? 4000);
const { app } = createReceiver({ secret });
app.listen(port, () => process.stdout.write(`receiver listening on :${port} (POST /webhooks/herald)\n`));
