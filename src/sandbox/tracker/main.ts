// Standalone sandbox: `node dist/src/sandbox/tracker/main.js --port 8090 --state .data/sandbox/tracker.json`
import { Command, InvalidArgumentError } from 'commander';
import { startTrackerEmulator } from './emulator.js';

const integer = (name: string, min: number) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw new InvalidArgumentError(`${name}: expected an integer ≥ ${min}, got "${value}"`);
  }
  return Number(value);
};

const program = new Command('tracker-sandbox')
  .description('Yandex Tracker emulator for the DISPATCH sandbox')
  .option('--host <host>', 'address to bind', '127.0.0.1')
  .option('--port <port>', 'port (0 = any free port)', integer('--port', 0), 8090)
  .option('--state <file>', 'JSON file that keeps the sandbox across restarts (in memory when omitted)')
  .option('--queue <key>', 'queue key', 'AVRSERVICE')
  .option('--org-id <id>', 'expected X-Org-ID', '7000001')
  .option('--access-token-ttl <seconds>', 'lifetime of access tokens', integer('--access-token-ttl', 1), 86_400)
  .option('--webhook-url <url>', 'trigger webhook called on every status change')
  .option('--webhook-secret <secret>', 'shared secret sent with the webhook (X-Webhook-Secret)');

program.parse();
const opts = program.opts<{
  host: string;
  port: number;
  state?: string;
  queue: string;
  orgId: string;
  accessTokenTtl: number;
  webhookUrl?: string;
  webhookSecret?: string;
}>();

if ((opts.webhookUrl === undefined) !== (opts.webhookSecret === undefined)) {
  console.error('--webhook-url and --webhook-secret must be given together');
  process.exit(2);
}

try {
  const emulator = await startTrackerEmulator({
    host: opts.host,
    port: opts.port,
    queueKey: opts.queue,
    orgId: opts.orgId,
    accessTokenTtlSeconds: opts.accessTokenTtl,
    ...(opts.state ? { statePath: opts.state } : {}),
    ...(opts.webhookUrl && opts.webhookSecret ? { webhook: { url: opts.webhookUrl, secret: opts.webhookSecret } } : {}),
  });
  console.log(`Tracker sandbox listening at ${emulator.url}`);
  console.log(`  dispatcher page: ${emulator.url}/`);
  console.log(`  admin API:       ${emulator.url}/_admin/seed (YT_* settings), /_admin/requests, /_admin/faults`);
  console.log(`  state:           ${opts.state ?? 'in memory'}`);
  const stop = () => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(`Tracker sandbox failed to start: ${(error as Error).message}`);
  process.exit(1);
}
