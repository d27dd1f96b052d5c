// The worker's environment for a chaos run: the complete test configuration, the generator's
// expected-outcome settings, and the run's peers (CONF-3/CONF-4 names).
import type { Fixtures } from '../../src/sandbox/fixtures/index.js';
import { completeEnv } from '../fixtures/config/env.js';
import { COLLECTION_MAILBOX, type ChaosServers } from './servers.js';

export interface RuntimeSettings {
  taskQueue: string;
  httpPort: number;
  webhookSecret: string;
  dataDir: string;
}

export function chaosEnv(servers: ChaosServers, fixtures: Fixtures, runtime: RuntimeSettings): Record<string, string> {
  const mail = servers.mail;
  const collection = mail.users.find((u) => u.address === COLLECTION_MAILBOX);
  return {
    ...completeEnv(),
    DEBUG: 'false',
    DISPATCH_DATA_DIR: runtime.dataDir,
    DATABASE_URL: servers.databaseUrl,
    TEMPORAL_ADDRESS: servers.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: runtime.taskQueue,
    WORKER_MAX_CACHED_WORKFLOWS: '1000',
    WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '20',
    WORKER_MAX_CONCURRENT_ACTIVITIES: '40',
    PARSING_EMAIL_PSWD: collection?.password ?? '',
    PARSING_EMAIL_SERVER: mail.imap.host,
    PARSING_EMAIL_PORT: String(mail.imap.port),
    PARSING_EMAIL_SECURE: 'false',
    PARSING_EMAIL_STARTTLS: 'false',
    PARSING_EMAIL_SMTP_SERVER: mail.smtps.host,
    PARSING_EMAIL_SMTP_PORT: String(mail.smtps.port),
    PARSING_EMAIL_SMTP_SECURE: 'true',
    NODE_EXTRA_CA_CERTS: mail.tls.certFile,
    MAIL_IDLE_ENABLED: 'true',
    MAIL_POLL_INTERVAL_SECONDS: '2',
    MAIL_INITIAL_BACKFILL_DAYS: '0',
    DEFAULT_CONTRACTOR_EMAILS: 'avr@remont.ru',
    YT_EXCLUDED_REGIONS: '',
    YT_POLL_INTERVAL_SECONDS: '5',
    ATTACHMENTS_DIR: `${runtime.dataDir}/attachments`,
    BACKUP_DIR: `${runtime.dataDir}/backups`,
    HTTP_PORT: String(runtime.httpPort),
    WEBHOOK_SECRET: runtime.webhookSecret,
    LEGACY_DATABASE_URL: '',
    LEGACY_MEDIA_ROOT: '',
    ...fixtures.expected.config,
    ...servers.tracker.env(),
    ...servers.feeds.env,
    ...servers.telegram.env,
  };
}
