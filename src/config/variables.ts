// The one registry of configuration variables (SPEC §6: CONF-3 legacy, CONF-4 new).
// The zod schema, `.env.example`, the reference table and the sandbox peer lists are all generated
// from this object; adding a variable here is the only way to add one.
import * as forms from './forms.js';
import type { Form } from './forms.js';

export const GROUPS = {
  runtime: 'Runtime and incident handling',
  database: 'Database (PostgreSQL)',
  temporal: 'Temporal',
  mail: 'Collection mailbox (IMAP/SMTP) and mail ingestion',
  attachments: 'Attachments',
  tracker: 'Yandex Tracker',
  towerstore: 'TowerStore directory',
  telegram: 'Telegram alerts',
  schedules: 'Schedules and maintenance',
  http: 'HTTP server (health, metrics, webhook)',
  migration: 'Cut-over from the legacy system (MIGR)',
  'legacy-ignored': 'Legacy web UI (accepted and ignored)',
} as const;

export type VariableGroup = keyof typeof GROUPS;

/** External systems that the local start command can replace by a sandbox peer. */
export const PEERS = ['imap', 'tracker', 'towerstore', 'telegram'] as const;
export type Peer = (typeof PEERS)[number];

/** Reads another variable's raw value: trimmed, `undefined` when unset or blank. */
export type RawLookup = (name: string) => string | undefined;

/** Outcome of a derived default: a value, or the reason why the variable must be set explicitly. */
export type Derivation = { readonly value: string } | { readonly missing: string };

export type DefaultSpec =
  /** Unset or blank → this raw value, parsed by the variable's form. */
  | { readonly kind: 'value'; readonly value: string }
  | { readonly kind: 'required' }
  /** Unset or blank → `null` (the feature is off or another variable provides the value). */
  | { readonly kind: 'absent' }
  /** Unset or blank → computed from `source` (when the source itself is valid). */
  | {
      readonly kind: 'derived';
      readonly source: string;
      readonly rule: string;
      readonly derive: (source: string) => Derivation;
    }
  /** Optional together with `partner`: both blank → empty, one set → the other is required. */
  | { readonly kind: 'paired'; readonly partner: string; readonly whenBlank: string }
  /** Legacy web-UI variable: accepted and ignored (CONF-3). */
  | { readonly kind: 'ignored' };

export interface SecretSpec {
  /** Dotted path of the value in `Config`, or null when the variable is not kept (ignored legacy). */
  readonly at: string | null;
  /** `url-password`: only the password inside a URL is secret. */
  readonly part?: 'url-password';
}

export interface VariableSpec<T, D extends DefaultSpec = DefaultSpec> {
  readonly group: VariableGroup;
  /** Concise English meaning; also used in "required (...)" problems. */
  readonly description: string;
  /** Optional extra sentence for `.env.example` and the reference table. */
  readonly details?: string;
  /** SPEC rule the variable serves, e.g. `MAIL-3`. */
  readonly spec?: string;
  readonly default: D;
  readonly form: Form<T>;
  readonly secret?: SecretSpec;
  /** The sandbox peer this variable connects to (see sandbox.ts). */
  readonly peer?: Peer;
  /** Placeholder shown in `.env.example` for variables without a default. */
  readonly example?: string;
}

const withDefault = (value: string): { readonly kind: 'value'; readonly value: string } => ({ kind: 'value', value });
const REQUIRED = { kind: 'required' } as const;
const ABSENT = { kind: 'absent' } as const;
const IGNORED = { kind: 'ignored' } as const;
const pairedWith = (partner: string, whenBlank: string) => ({ kind: 'paired', partner, whenBlank }) as const;
const derived = (source: string, rule: string, derive: (source: string) => Derivation) =>
  ({ kind: 'derived', source, rule, derive }) as const;

const variable = <T, D extends DefaultSpec>(spec: VariableSpec<T, D>): VariableSpec<T, D> => spec;

const ignoredLegacy = (description: string, secret = false) =>
  variable({
    group: 'legacy-ignored',
    description,
    default: IGNORED,
    form: forms.text,
    ...(secret ? { secret: { at: null } } : {}),
  });

const trackerField = (description: string, example: string) =>
  variable({
    group: 'tracker',
    description,
    spec: 'YT-7',
    default: REQUIRED,
    form: forms.word('a Tracker field id (no blanks)'),
    peer: 'tracker',
    example,
  });

const trackerStatus = (description: string, example: string) =>
  variable({
    group: 'tracker',
    description,
    spec: 'YT-6',
    default: REQUIRED,
    form: forms.word('a Tracker status key (no blanks)'),
    peer: 'tracker',
    example,
  });

const retentionDays = (description: string, spec: string, value: string) =>
  variable({ group: 'schedules', description, spec, default: withDefault(value), form: forms.integer(1, 36500) });

/** CONF-4: the SMTP host follows the IMAP host when it is named `imap.<domain>`. */
function deriveSmtpHost(imapHost: string): Derivation {
  if (/^imap\./i.test(imapHost)) return { value: `smtp.${imapHost.slice('imap.'.length)}` };
  return { missing: `PARSING_EMAIL_SERVER "${imapHost}" does not start with "imap.", so it cannot be derived` };
}

/** CONF-4: `dispatch.<domain of PARSING_EMAIL_LOGIN>` (the login is a valid address here). */
function deriveMessageIdDomain(login: string): Derivation {
  return { value: `dispatch.${login.slice(login.lastIndexOf('@') + 1).toLowerCase()}` };
}

export const VARIABLES = {
  // ── runtime ──
  DOTENV_OVERRIDE: variable({
    group: 'runtime',
    description: 'Whether values from .env override the process environment, as in the legacy system',
    details: 'May itself be set in the process environment or in .env.',
    default: withDefault('false'),
    form: forms.boolean,
  }),
  DEBUG: variable({
    group: 'runtime',
    description: 'Debug-level logs; the start-up notice says "debug mode" instead of "production"',
    default: withDefault('False'),
    form: forms.boolean,
  }),
  DISPATCH_TIME_ZONE: variable({
    group: 'runtime',
    description: 'Time zone of human-readable dates and of schedules',
    spec: 'GEN-6',
    default: withDefault('Europe/Moscow'),
    form: forms.timeZone,
  }),
  DISPATCH_DATA_DIR: variable({
    group: 'runtime',
    description: 'State directory of the embedded defaults: PostgreSQL data and the Temporal dev-server file',
    details: 'A new directory means a fresh installation. Relative paths are resolved against the working directory.',
    default: withDefault('./.data'),
    form: forms.path,
  }),
  DISPATCH_LOCAL_PORT_OFFSET: variable({
    group: 'runtime',
    description:
      'Local stack only (scripts/start.sh): added to every fixed local port (PostgreSQL 15432, Temporal 7233, Web UI 8233, sandbox peers 8091-8093, mail 2424-3143)',
    details: 'Lets two stacks (or the stack and its end-to-end test) run side by side.',
    default: withDefault('0'),
    form: forms.integer(0, 40000),
  }),
  INCIDENT_IDLE_CLOSE_DAYS: variable({
    group: 'runtime',
    description: "Days a finished incident's workflow waits before completing",
    spec: 'INC-12',
    default: withDefault('30'),
    form: forms.integer(0, 3650),
  }),
  ON_GENERATION_STOPS_SLA: variable({
    group: 'runtime',
    description: 'Whether the on-generation status stops the SLA clock',
    default: withDefault('true'),
    form: forms.boolean,
  }),
  ASSIGN_LOAD_WINDOW_HOURS: variable({
    group: 'runtime',
    description: "Hours within which open incidents count towards a dispatcher's load; 0 = all open",
    spec: 'ASSIGN-2',
    default: withDefault('0'),
    form: forms.integer(0, 87600),
  }),
  ASSIGN_RECENT_HOURS: variable({
    group: 'runtime',
    description: 'Window in hours of the recent-assignments tie-breaker',
    spec: 'ASSIGN-3',
    default: withDefault('12'),
    form: forms.integer(0, 87600),
  }),

  // ── database ──
  DATABASE_URL: variable({
    group: 'database',
    description: 'PostgreSQL URL; overrides the POSTGRES_*/DB_* set',
    default: ABSENT,
    form: forms.postgresUrl,
    secret: { at: 'database.url', part: 'url-password' },
    example: 'postgres://dispatch:change-me@localhost:5432/dispatch',
  }),
  POSTGRES_DB: variable({
    group: 'database',
    description: 'Database name, used when DATABASE_URL is absent',
    default: withDefault('django'),
    form: forms.word('a database name (no blanks)'),
  }),
  POSTGRES_USER: variable({
    group: 'database',
    description: 'Database user, used when DATABASE_URL is absent',
    default: withDefault('django'),
    form: forms.word('a database user name (no blanks)'),
  }),
  POSTGRES_PASSWORD: variable({
    group: 'database',
    description: 'Database password, used when DATABASE_URL is absent',
    default: withDefault(''),
    form: forms.text,
    secret: { at: 'database.password' },
  }),
  DB_HOST: variable({
    group: 'database',
    description: 'Database host, used when DATABASE_URL is absent',
    default: withDefault('localhost'),
    form: forms.host,
  }),
  DB_PORT: variable({
    group: 'database',
    description: 'Database port, used when DATABASE_URL is absent',
    default: withDefault('5432'),
    form: forms.integer(1, 65535),
  }),

  // ── temporal ──
  TEMPORAL_ADDRESS: variable({
    group: 'temporal',
    description: 'Temporal frontend address',
    default: withDefault('localhost:7233'),
    form: forms.hostAndPort,
  }),
  TEMPORAL_NAMESPACE: variable({
    group: 'temporal',
    description: 'Temporal namespace',
    default: withDefault('default'),
    form: forms.word('a Temporal namespace (no blanks)'),
  }),
  TEMPORAL_UI_URL: variable({
    group: 'temporal',
    description:
      'Temporal Web UI base URL, for the links the admin CLI prints (incident show, sync --now); the local stack sets it',
    spec: 'OPS-1',
    default: withDefault('http://127.0.0.1:8233'),
    form: forms.baseUrl,
  }),
  TEMPORAL_TASK_QUEUE: variable({
    group: 'temporal',
    description: 'Temporal task queue of the DISPATCH workers',
    default: withDefault('dispatch'),
    form: forms.word('a task queue name (no blanks)'),
  }),
  WORKER_MAX_CACHED_WORKFLOWS: variable({
    group: 'temporal',
    description:
      "Incident workflows kept in a worker's memory (explicit: the SDK default grows with the heap and can exhaust memory)",
    details:
      'About 0.5 MiB each; 500 keeps a worker with 10,000 open incidents under 1 GB (bench P3). Evicted workflows are replayed on their next event.',
    default: withDefault('500'),
    form: forms.integer(10, 100000),
  }),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: variable({
    group: 'temporal',
    description: 'Workflow tasks a worker runs at once',
    default: withDefault('40'),
    form: forms.integer(2, 1000),
  }),
  WORKER_MAX_CONCURRENT_ACTIVITIES: variable({
    group: 'temporal',
    description: 'Activities (IMAP, Tracker, SMTP, database calls) a worker runs at once',
    default: withDefault('50'),
    form: forms.integer(1, 1000),
  }),

  // ── mail ──
  PARSING_EMAIL_LOGIN: variable({
    group: 'mail',
    description: 'Collection mailbox address and IMAP/SMTP login; From of every automatic e-mail',
    default: REQUIRED,
    form: forms.email,
    peer: 'imap',
    example: 'dispatch@example.ru',
  }),
  PARSING_EMAIL_PSWD: variable({
    group: 'mail',
    description: 'Collection mailbox password, an app password',
    default: REQUIRED,
    form: forms.text,
    secret: { at: 'mail.password' },
    peer: 'imap',
    example: '<app-password>',
  }),
  PARSING_EMAIL_SERVER: variable({
    group: 'mail',
    description: 'IMAP host of the collection mailbox',
    default: REQUIRED,
    form: forms.host,
    peer: 'imap',
    example: 'imap.example.ru',
  }),
  PARSING_EMAIL_PORT: variable({
    group: 'mail',
    description: 'IMAP port',
    default: withDefault('993'),
    form: forms.integer(1, 65535),
    peer: 'imap',
  }),
  PARSING_EMAIL_SECURE: variable({
    group: 'mail',
    description: 'IMAP over implicit TLS, port 993 style',
    details: "CA trust follows Node's NODE_EXTRA_CA_CERTS.",
    default: withDefault('true'),
    form: forms.boolean,
    peer: 'imap',
  }),
  PARSING_EMAIL_STARTTLS: variable({
    group: 'mail',
    description: 'With PARSING_EMAIL_SECURE=false: true = STARTTLS, false = plain IMAP, for loopback test servers only',
    default: withDefault('false'),
    form: forms.boolean,
    peer: 'imap',
  }),
  PARSING_EMAIL_INBOX_FOLDER_NAME: variable({
    group: 'mail',
    description: 'IMAP name of the inbox folder',
    spec: 'MAIL-1',
    default: withDefault('INBOX'),
    form: forms.imapFolder,
    peer: 'imap',
  }),
  PARSING_EMAIL_SENT_FOLDER_NAME: variable({
    group: 'mail',
    description: 'IMAP name of the Sent folder, in modified UTF-7',
    spec: 'MAIL-1',
    details: '&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1 is «Отправленные».',
    default: REQUIRED,
    form: forms.imapFolder,
    peer: 'imap',
    example: '&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1',
  }),
  PARSING_EMAIL_SMTP_SERVER: variable({
    group: 'mail',
    description: 'SMTP host of the collection mailbox',
    default: derived(
      'PARSING_EMAIL_SERVER',
      'PARSING_EMAIL_SERVER with a leading "imap." replaced by "smtp."',
      deriveSmtpHost,
    ),
    form: forms.host,
    peer: 'imap',
    example: 'smtp.example.ru',
  }),
  PARSING_EMAIL_SMTP_PORT: variable({
    group: 'mail',
    description: 'SMTP port',
    default: withDefault('465'),
    form: forms.integer(1, 65535),
    peer: 'imap',
  }),
  PARSING_EMAIL_SMTP_SECURE: variable({
    group: 'mail',
    description: 'SMTP over implicit TLS if true, with mandatory STARTTLS if false',
    default: withDefault('true'),
    form: forms.boolean,
    peer: 'imap',
  }),
  MAIL_FROM_NAME: variable({
    group: 'mail',
    description: 'Display name of automatic e-mails; empty = address only',
    default: withDefault(''),
    form: forms.text,
  }),
  MAIL_MESSAGE_ID_DOMAIN: variable({
    group: 'mail',
    description: 'Right-hand side of our Message-IDs',
    spec: 'NOTIFY-3',
    default: derived('PARSING_EMAIL_LOGIN', 'dispatch.<domain of PARSING_EMAIL_LOGIN>', deriveMessageIdDomain),
    form: forms.domain,
    example: 'dispatch.example.ru',
  }),
  MAIL_IDLE_ENABLED: variable({
    group: 'mail',
    description: 'Use IMAP IDLE push when the server supports it',
    spec: 'MAIL-3',
    default: withDefault('true'),
    form: forms.boolean,
  }),
  MAIL_POLL_INTERVAL_SECONDS: variable({
    group: 'mail',
    description: 'Mailbox poll period in seconds, fallback and safety net for IDLE',
    spec: 'MAIL-3',
    default: withDefault('30'),
    form: forms.integer(1, 86400),
  }),
  MAIL_INITIAL_BACKFILL_DAYS: variable({
    group: 'mail',
    description: 'Days back to ingest on the first run of a folder; 0 = none',
    spec: 'MAIL-5',
    default: withDefault('1'),
    form: forms.integer(0, 3650),
  }),
  MAIL_UIDVALIDITY_RESCAN_DAYS: variable({
    group: 'mail',
    description: 'Rescan depth in days after a UIDVALIDITY change',
    spec: 'MAIL-6',
    default: withDefault('7'),
    form: forms.integer(0, 3650),
  }),
  MAIL_DATE_MAX_SKEW_HOURS: variable({
    group: 'mail',
    description: 'Max tolerated difference in hours between Date: and INTERNALDATE',
    spec: 'MAIL-11',
    default: withDefault('24'),
    form: forms.integer(0, 87600),
  }),
  MAIL_SENDER_ALLOW: variable({
    group: 'mail',
    description: 'Senders allowed to open incidents: addresses, @domain or *@domain; empty = everyone',
    spec: 'NOISE-4',
    default: withDefault(''),
    form: forms.senderPatterns,
  }),
  MAIL_SENDER_DENY: variable({
    group: 'mail',
    description: 'Senders whose messages are ignored: addresses, @domain or *@domain',
    spec: 'NOISE-4',
    default: withDefault(''),
    form: forms.senderPatterns,
  }),
  DEFAULT_CONTRACTOR_EMAILS: variable({
    group: 'mail',
    description: 'Recipients for the "undefined" contractor and for contractors without e-mails',
    spec: 'TS-7',
    default: withDefault(''),
    form: forms.emailList,
  }),

  // ── attachments ──
  ATTACHMENTS_DIR: variable({
    group: 'attachments',
    description: 'Root of the content-addressed attachment storage',
    spec: 'ATT-3',
    default: withDefault('./media/emails_attachments'),
    form: forms.path,
  }),
  ATTACHMENT_MAX_STORE_MB: variable({
    group: 'attachments',
    description: 'Largest attachment stored, in MiB',
    spec: 'ATT-2',
    default: withDefault('48'),
    form: forms.integer(1, 10240),
  }),
  ATTACHMENT_MAX_UPLOAD_MB: variable({
    group: 'attachments',
    description: 'Largest attachment uploaded to Tracker, in MiB',
    spec: 'ATT-6',
    default: withDefault('50'),
    form: forms.integer(1, 10240),
  }),
  ATTACHMENT_RETENTION_DAYS: variable({
    group: 'attachments',
    description: 'Age in days after which unreferenced attachment blobs are deleted',
    spec: 'CLEAN-1',
    default: withDefault('360'),
    form: forms.integer(1, 36500),
  }),

  // ── tracker ──
  YT_API_BASE_URL: variable({
    group: 'tracker',
    description: 'Tracker API base URL',
    default: withDefault('https://api.tracker.yandex.net'),
    form: forms.baseUrl,
    peer: 'tracker',
  }),
  YT_OAUTH_TOKEN_URL: variable({
    group: 'tracker',
    description: 'Yandex OAuth token endpoint',
    spec: 'YT-3',
    default: withDefault('https://oauth.yandex.ru/token'),
    form: forms.httpUrl,
    peer: 'tracker',
  }),
  YT_CLIENT_ID: variable({
    group: 'tracker',
    description: 'Yandex OAuth application client id',
    default: REQUIRED,
    form: forms.word('an OAuth client id (no blanks)'),
    peer: 'tracker',
    example: '<client-id>',
  }),
  YT_CLIENT_SECRET: variable({
    group: 'tracker',
    description: 'Yandex OAuth application client secret',
    default: REQUIRED,
    form: forms.word('an OAuth client secret (no blanks)'),
    secret: { at: 'tracker.clientSecret' },
    peer: 'tracker',
    example: '<client-secret>',
  }),
  YT_ACCESS_TOKEN: variable({
    group: 'tracker',
    description: 'Initial OAuth access token, seeds the database',
    spec: 'YT-3',
    default: REQUIRED,
    form: forms.word('an OAuth token (no blanks)'),
    secret: { at: 'tracker.accessToken' },
    peer: 'tracker',
    example: '<access-token>',
  }),
  YT_REFRESH_TOKEN: variable({
    group: 'tracker',
    description: 'Initial OAuth refresh token, seeds the database',
    spec: 'YT-3',
    default: REQUIRED,
    form: forms.word('an OAuth token (no blanks)'),
    secret: { at: 'tracker.refreshToken' },
    peer: 'tracker',
    example: '<refresh-token>',
  }),
  YT_ORGANIZATION_ID: variable({
    group: 'tracker',
    description: 'Tracker organization id, sent as X-Org-ID',
    spec: 'YT-1',
    default: REQUIRED,
    form: forms.word('an organization id (no blanks)'),
    peer: 'tracker',
    example: '1234567',
  }),
  YT_QUEUE: variable({
    group: 'tracker',
    description: 'Tracker queue key; also the incident-key prefix in subjects',
    spec: 'THREAD-5',
    default: REQUIRED,
    form: forms.queueKey,
    peer: 'tracker',
    example: 'AVRSERVICE',
  }),
  YT_DATABASE_ID_GLOBAL_FIELD_ID: trackerField('Field id of the local incident id', 'localId'),
  YT_EMAILS_IDS_GLOBAL_FIELD_ID: trackerField('Field id of the e-mail ids already posted', 'localEmailsIds'),
  YT_POLE_NUMBER_GLOBAL_FIELD_ID: trackerField('Field id of the pole code', 'poleNumber'),
  YT_BASE_STATION_GLOBAL_FIELD_ID: trackerField('Field id of the base station name', 'baseStationNumber'),
  YT_EMAIL_DATETIME_GLOBAL_FIELD_ID: trackerField('Field id of the registration time', 'emailDatetime'),
  YT_IS_NEW_MSG_GLOBAL_FIELD_ID: trackerField('Field id of the new-message flag', 'newMessage'),
  YT_SLA_DEADLINE_GLOBAL_FIELD_ID: trackerField('Field id of the SLA deadline', 'deadlineSla'),
  YT_IS_SLA_EXPIRED_GLOBAL_FIELD_ID: trackerField('Field id of the SLA status', 'slaStatus'),
  YT_OPERATOR_NAME_GLOBAL_FIELD_NAME: trackerField('Field id of the operator names', 'operator'),
  YT_AVR_NAME_GLOBAL_FIELD_ID: trackerField('Field id of the AVR contractor name', 'avrContractor'),
  YT_TYPE_OF_INCIDENT_LOCAL_FIELD_ID: trackerField('Queue-local field id of the problem type', 'typeOfProblem'),
  YT_ON_GENERATION_STATUS_KEY: trackerStatus('Status key «На генерации НБ»', 'naGeneraciiNb'),
  YT_NOTIFY_OPERATOR_ISSUE_IN_WORK_STATUS_KEY: trackerStatus(
    'Status key «Уведомляем оператора»',
    'uvedomlaemOperatora',
  ),
  YT_NOTIFIED_OPERATOR_ISSUE_IN_WORK_STATUS_KEY: trackerStatus(
    'Status key «Уведомили оператора»',
    'uvedomiliOperatora',
  ),
  YT_NOTIFY_OPERATOR_ISSUE_CLOSED_STATUS_KEY: trackerStatus('Status key «Уведомить о закрытии»', 'uvedomitOZakrytii'),
  YT_NOTIFIED_OPERATOR_ISSUE_CLOSED_STATUS_KEY: trackerStatus(
    'Status key «Уведомили о закрытии»',
    'uvedomiliOZakrytii',
  ),
  YT_NOTIFY_AVR_CONTRACTOR_IN_WORK_STATUS_KEY: trackerStatus('Status key «Передать подрядчику»', 'peredatPodradciku'),
  YT_NOTIFIED_AVR_CONTRACTOR_IN_WORK_STATUS_KEY: trackerStatus(
    'Status key «Передано подрядчику»',
    'peredanoPodradciku',
  ),
  YT_ISSUE_TYPE: variable({
    group: 'tracker',
    description: 'Issue type key of created issues',
    spec: 'YT-8',
    default: withDefault('incident'),
    form: forms.word('an issue type key (no blanks)'),
  }),
  YT_ISSUE_AUTHOR: variable({
    group: 'tracker',
    description: 'Author login of created issues',
    spec: 'YT-8',
    default: withDefault('yndx-tracker-cnt-robot'),
    form: forms.word('a Tracker login (no blanks)'),
  }),
  YT_UNIQUE_PREFIX: variable({
    group: 'tracker',
    description: 'Prefix of the issue "unique" value',
    spec: 'YT-9',
    default: withDefault('dispatch'),
    form: forms.word('a prefix without blanks'),
  }),
  YT_POLL_INTERVAL_SECONDS: variable({
    group: 'tracker',
    description: 'Tracker change-detection period in seconds',
    spec: 'YT-13',
    default: withDefault('5'),
    form: forms.integer(1, 3600),
  }),
  YT_INITIAL_SYNC_DAYS: variable({
    group: 'tracker',
    description: 'Change-detection look-back in days on first start',
    spec: 'YT-13',
    default: withDefault('30'),
    form: forms.integer(0, 3650),
  }),
  YT_EXCLUDED_REGIONS: variable({
    group: 'tracker',
    description: 'Pole regions, as English "region" values, whose incidents are not sent to Tracker',
    spec: 'YT-20',
    default: withDefault(''),
    form: forms.list,
  }),

  // ── towerstore ──
  TS_POLES_TL_URL: variable({
    group: 'towerstore',
    description: 'TowerStore poles report URL',
    spec: 'TS-3',
    default: REQUIRED,
    form: forms.httpUrl,
    peer: 'towerstore',
    example: 'https://towerstore.example.ru/reports/poles.json',
  }),
  TS_AVR_REPORT_URL: variable({
    group: 'towerstore',
    description: 'TowerStore AVR contractors report URL',
    spec: 'TS-3',
    default: REQUIRED,
    form: forms.httpUrl,
    peer: 'towerstore',
    example: 'https://towerstore.example.ru/reports/avr.json',
  }),
  TS_BS_REPORT_URL: variable({
    group: 'towerstore',
    description: 'TowerStore base stations and operators report URL',
    spec: 'TS-3',
    default: REQUIRED,
    form: forms.httpUrl,
    peer: 'towerstore',
    example: 'https://towerstore.example.ru/reports/base-stations.json',
  }),
  TS_HTTP_TIMEOUT_SECONDS: variable({
    group: 'towerstore',
    description: 'Timeout in seconds of each report download',
    spec: 'TS-2',
    default: withDefault('120'),
    form: forms.integer(1, 3600),
  }),
  TS_MAX_FEED_MB: variable({
    group: 'towerstore',
    description: 'Size cap of each report, in MiB',
    spec: 'TS-2',
    default: withDefault('200'),
    form: forms.integer(1, 10240),
  }),
  TS_MAX_SHRINK_RATIO: variable({
    group: 'towerstore',
    description: 'Largest accepted shrink of a feed against its last accepted row count',
    spec: 'TS-5',
    default: withDefault('0.2'),
    form: forms.openUnitInterval,
  }),

  // ── telegram ──
  TG_TOKEN: variable({
    group: 'telegram',
    description: 'Telegram bot token for alerts',
    spec: 'ALERT-1',
    details: 'Leave TG_TOKEN and TG_DEFAULT_USER_ID both empty to disable Telegram alerts (start-up warning).',
    default: pairedWith('TG_DEFAULT_USER_ID', 'empty = alerts disabled'),
    form: forms.telegramToken,
    secret: { at: 'telegram.token' },
    peer: 'telegram',
    example: '123456789:replace-with-bot-key',
  }),
  TG_DEFAULT_USER_ID: variable({
    group: 'telegram',
    description: 'Telegram chat id that receives alerts',
    spec: 'ALERT-1',
    default: pairedWith('TG_TOKEN', 'empty = alerts disabled'),
    form: forms.telegramChatId,
    peer: 'telegram',
    example: '123456789',
  }),
  TG_API_BASE_URL: variable({
    group: 'telegram',
    description: 'Telegram Bot API base URL; tests point it at a local fake',
    default: withDefault('https://api.telegram.org'),
    form: forms.baseUrl,
    peer: 'telegram',
  }),
  TG_ALERT_COOLDOWN_MINUTES: variable({
    group: 'telegram',
    description: 'Alert de-duplication cool-down in minutes',
    spec: 'ALERT-2',
    default: withDefault('60'),
    form: forms.integer(0, 10080),
  }),

  // ── schedules ──
  TS_SYNC_CRON: variable({
    group: 'schedules',
    description: 'TowerStore sync schedule',
    spec: 'TS-1',
    default: withDefault('0 20 * * *'),
    form: forms.cron,
  }),
  BACKUP_CRON: variable({
    group: 'schedules',
    description: 'Database backup schedule',
    spec: 'BAK-1',
    default: withDefault('0 1,10 * * *'),
    form: forms.cron,
  }),
  CLEANUP_CRON: variable({
    group: 'schedules',
    description: 'Cleanup schedule',
    spec: 'CLEAN-1',
    default: withDefault('0 2 * * *'),
    form: forms.cron,
  }),
  BACKUP_DIR: variable({
    group: 'schedules',
    description: 'Directory of database backups',
    spec: 'BAK-1',
    default: withDefault('./data/backup_db'),
    form: forms.path,
  }),
  BACKUP_RETENTION_DAYS: retentionDays('Age in days after which backups are deleted', 'BAK-3', '7'),
  MAIL_FAILURE_RETENTION_DAYS: retentionDays(
    'Age in days after which resolved mail-failure records are pruned',
    'CLEAN-1',
    '30',
  ),
  OUTBOX_RETENTION_DAYS: retentionDays('Age in days after which sent outbox rows are pruned', 'CLEAN-1', '180'),

  // ── http ──
  HTTP_PORT: variable({
    group: 'http',
    description: 'Port of the health, metrics and webhook server; 0 = any free port',
    default: withDefault('8080'),
    form: forms.integer(0, 65535),
  }),
  WEBHOOK_SECRET: variable({
    group: 'http',
    description: 'Shared secret required by the Tracker trigger webhook; empty = webhook disabled',
    default: withDefault(''),
    form: forms.text,
    secret: { at: 'http.webhookSecret' },
  }),

  // ── migration ──
  LEGACY_DATABASE_URL: variable({
    group: 'migration',
    description: 'Legacy PostgreSQL URL, only for the cut-over import',
    spec: 'MIGR-1',
    default: ABSENT,
    form: forms.postgresUrl,
    secret: { at: 'migration.legacyDatabaseUrl', part: 'url-password' },
    example: 'postgres://django:change-me@legacy-db:5432/django',
  }),
  LEGACY_MEDIA_ROOT: variable({
    group: 'migration',
    description: 'Legacy media root, only for the cut-over import',
    spec: 'MIGR-1',
    default: ABSENT,
    form: forms.path,
    example: '/srv/legacy/media',
  }),

  // ── legacy-ignored (CONF-3: web UI only) ──
  SECRET_KEY: ignoredLegacy('Legacy Django secret key', true),
  DJANGO_ALLOWED_HOSTS: ignoredLegacy('Legacy web UI allowed hosts'),
  EMAIL_HOST: ignoredLegacy('Legacy web UI SMTP host'),
  EMAIL_PORT: ignoredLegacy('Legacy web UI SMTP port'),
  EMAIL_USE_TLS: ignoredLegacy('Legacy web UI SMTP TLS flag'),
  EMAIL_HOST_USER: ignoredLegacy('Legacy web UI SMTP user'),
  EMAIL_HOST_PASSWORD: ignoredLegacy('Legacy web UI SMTP password', true),
  ADMIN_USERNAME: ignoredLegacy('Legacy web UI admin login'),
  ADMIN_EMAIL: ignoredLegacy('Legacy web UI admin e-mail'),
  ADMIN_PASSWORD: ignoredLegacy('Legacy web UI admin password', true),
} as const;

export type Variables = typeof VARIABLES;
export type VariableName = keyof Variables;

export interface VariableDefinition extends VariableSpec<unknown> {
  readonly name: VariableName;
}

/** The registry as a list, in declaration order (grouped). */
export const VARIABLE_LIST: readonly VariableDefinition[] = Object.entries(VARIABLES).map(([name, spec]) => ({
  ...(spec as VariableSpec<unknown>),
  name: name as VariableName,
}));

type ParsedValue<V> =
  V extends VariableSpec<infer T, infer D> ? (D extends { readonly kind: 'absent' } ? T | null : T) : never;

/** Typed values of every kept variable after defaults and derivations. */
export type ParsedEnv = {
  -readonly [
    K in VariableName as Variables[K]['default'] extends { readonly kind: 'ignored' } ? never : K
  ]: ParsedValue<Variables[K]>;
};

export const isSet = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';
