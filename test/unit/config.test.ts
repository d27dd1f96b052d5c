import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { ConfigError, loadConfig, readEnvironment } from '../../src/config/load.js';
import type { Config } from '../../src/config/load.js';
import { VARIABLE_LIST } from '../../src/config/variables.js';
import { completeEnv, legacyEnvPath, requiredEnv } from '../fixtures/config/env.js';

const CWD = '/srv/dispatch';
const load = (env: Record<string, string | undefined>): Config => loadConfig(env, { dotenvPath: null, cwd: CWD });

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const withEnv = (changes: Record<string, string | undefined>): Record<string, string | undefined> => ({
  ...requiredEnv(),
  ...changes,
});

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dispatch-config-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('CONF-1/CONF-3: the legacy .env works unchanged', () => {
  const config = loadConfig({}, { dotenvPath: legacyEnvPath, cwd: CWD });

  test('CONF-3: the fixture holds every legacy variable of the SPEC', () => {
    const names = readFileSync(legacyEnvPath, 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => line.slice(0, line.indexOf('=')));
    const conf3 = [
      'SECRET_KEY',
      'DJANGO_ALLOWED_HOSTS',
      'EMAIL_HOST',
      'EMAIL_PORT',
      'EMAIL_USE_TLS',
      'EMAIL_HOST_USER',
      'EMAIL_HOST_PASSWORD',
      'ADMIN_USERNAME',
      'ADMIN_EMAIL',
      'ADMIN_PASSWORD',
      'DEBUG',
      'POSTGRES_DB',
      'POSTGRES_USER',
      'POSTGRES_PASSWORD',
      'DB_HOST',
      'DB_PORT',
      'TS_POLES_TL_URL',
      'TS_AVR_REPORT_URL',
      'TS_BS_REPORT_URL',
      'DEFAULT_CONTRACTOR_EMAILS',
      'PARSING_EMAIL_LOGIN',
      'PARSING_EMAIL_PSWD',
      'PARSING_EMAIL_SERVER',
      'PARSING_EMAIL_PORT',
      'PARSING_EMAIL_SENT_FOLDER_NAME',
      'YT_CLIENT_ID',
      'YT_CLIENT_SECRET',
      'YT_ACCESS_TOKEN',
      'YT_REFRESH_TOKEN',
      'YT_ORGANIZATION_ID',
      'YT_QUEUE',
      'YT_DATABASE_ID_GLOBAL_FIELD_ID',
      'YT_EMAILS_IDS_GLOBAL_FIELD_ID',
      'YT_POLE_NUMBER_GLOBAL_FIELD_ID',
      'YT_BASE_STATION_GLOBAL_FIELD_ID',
      'YT_EMAIL_DATETIME_GLOBAL_FIELD_ID',
      'YT_IS_NEW_MSG_GLOBAL_FIELD_ID',
      'YT_SLA_DEADLINE_GLOBAL_FIELD_ID',
      'YT_IS_SLA_EXPIRED_GLOBAL_FIELD_ID',
      'YT_OPERATOR_NAME_GLOBAL_FIELD_NAME',
      'YT_AVR_NAME_GLOBAL_FIELD_ID',
      'YT_TYPE_OF_INCIDENT_LOCAL_FIELD_ID',
      'YT_ON_GENERATION_STATUS_KEY',
      'YT_NOTIFY_OPERATOR_ISSUE_IN_WORK_STATUS_KEY',
      'YT_NOTIFIED_OPERATOR_ISSUE_IN_WORK_STATUS_KEY',
      'YT_NOTIFY_OPERATOR_ISSUE_CLOSED_STATUS_KEY',
      'YT_NOTIFIED_OPERATOR_ISSUE_CLOSED_STATUS_KEY',
      'YT_NOTIFY_AVR_CONTRACTOR_IN_WORK_STATUS_KEY',
      'YT_NOTIFIED_AVR_CONTRACTOR_IN_WORK_STATUS_KEY',
      'TG_TOKEN',
      'TG_DEFAULT_USER_ID',
    ];
    expect([...names].sort()).toEqual([...conf3].sort());
  });

  test('CONF-4: derived SMTP host smtp.yandex.ru and Message-ID domain from the login', () => {
    expect(config.mail.smtp).toEqual({ host: 'smtp.yandex.ru', port: 465, secure: true });
    expect(config.mail.messageIdDomain).toBe('dispatch.towerco.ru');
  });

  test('CONF-3: legacy values are read in their legacy spelling', () => {
    expect(config.debug).toBe(false);
    expect(config.mail.login).toBe('disp@towerco.ru');
    expect(config.mail.password).toBe('qwertyuiopasdfgh');
    expect(config.mail.imap).toEqual({
      host: 'imap.yandex.ru',
      port: 993,
      secure: true,
      startTls: false,
      inboxFolder: 'INBOX',
      sentFolder: '&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1',
      idleEnabled: true,
      pollIntervalSeconds: 30,
    });
    expect(config.mail.defaultContractorEmails).toEqual(['avr-default@towerco.ru', 'dispatch-head@towerco.ru']);
    expect(config.tracker.queue).toBe('AVRSERVICE');
    expect(config.tracker.fieldIds.typeOfProblem).toBe('6543210fedcba98765432100--typeOfProblem');
    expect(config.tracker.statusKeys.notifyAvr).toBe('peredatPodradciku');
    expect(config.telegram).toEqual({
      enabled: true,
      token: '7123456789:AAH3kZx_9QwErTyUiOpAsDfGhJkLzXcVbNm',
      chatId: '123456789',
      apiBaseUrl: 'https://api.telegram.org',
      alertCooldownMinutes: 60,
    });
    expect(config.towerStore.polesUrl).toBe('https://towerstore.towerco.ru/api/reports/poles_tl?format=json');
  });

  test('CONF-3: database URL built from POSTGRES_*/DB_* with the password URL-encoded', () => {
    expect(config.database).toEqual({
      url: 'postgres://dispatch_user:Pg%3As3cret%2Fw0rd%402024@dispatch_db:5432/dispatch',
      host: 'dispatch_db',
      port: 5432,
      name: 'dispatch',
      user: 'dispatch_user',
      password: 'Pg:s3cret/w0rd@2024',
      source: 'POSTGRES_*',
    });
  });

  test('CONF-4: every new variable takes its default', () => {
    expect(config.timeZone).toBe('Europe/Moscow');
    expect(config.dataDir).toBe('/srv/dispatch/.data');
    expect(config.dotenvOverride).toBe(false);
    expect(config.incidents).toEqual({ idleCloseDays: 30, onGenerationStopsSla: true });
    expect(config.assignment).toEqual({ loadWindowHours: 0, recentHours: 12 });
    expect(config.temporal).toEqual({
      address: 'localhost:7233',
      namespace: 'default',
      uiUrl: 'http://127.0.0.1:8233',
      taskQueue: 'dispatch',
      worker: {
        maxCachedWorkflows: 500,
        maxConcurrentWorkflowTaskExecutions: 40,
        maxConcurrentActivityTaskExecutions: 50,
      },
    });
    expect(config.mail.fromName).toBe('');
    expect(config.mail.ingestion).toEqual({ initialBackfillDays: 1, uidValidityRescanDays: 7, dateMaxSkewHours: 24 });
    expect(config.mail.senders).toEqual({ allow: [], deny: [] });
    expect(config.attachments).toEqual({
      dir: '/srv/dispatch/media/emails_attachments',
      maxStoreBytes: 48 * 1024 * 1024,
      maxUploadBytes: 50 * 1024 * 1024,
      retentionDays: 360,
    });
    expect(config.tracker.apiBaseUrl).toBe('https://api.tracker.yandex.net');
    expect(config.tracker.oauthTokenUrl).toBe('https://oauth.yandex.ru/token');
    expect(config.tracker.issueType).toBe('incident');
    expect(config.tracker.issueAuthor).toBe('yndx-tracker-cnt-robot');
    expect(config.tracker.uniquePrefix).toBe('dispatch');
    expect(config.tracker.pollIntervalSeconds).toBe(5);
    expect(config.tracker.initialSyncDays).toBe(30);
    expect(config.tracker.excludedRegions).toEqual([]);
    expect(config.towerStore.httpTimeoutSeconds).toBe(120);
    expect(config.towerStore.maxFeedBytes).toBe(200 * 1024 * 1024);
    expect(config.towerStore.maxShrinkRatio).toBe(0.2);
    expect(config.schedules).toEqual({
      towerStoreSyncCron: '0 20 * * *',
      backupCron: '0 1,10 * * *',
      cleanupCron: '0 2 * * *',
    });
    expect(config.backup).toEqual({ dir: '/srv/dispatch/data/backup_db', retentionDays: 7 });
    expect(config.cleanup).toEqual({ mailFailureRetentionDays: 30, outboxRetentionDays: 180 });
    expect(config.http).toEqual({ port: 8080, webhookSecret: '' });
    expect(config.migration).toEqual({ legacyDatabaseUrl: null, legacyMediaRoot: null });
  });

  test('CONF-3: web-UI variables are accepted and reported for one info line', () => {
    expect(config.ignoredLegacyVariables).toEqual([
      'SECRET_KEY',
      'DJANGO_ALLOWED_HOSTS',
      'EMAIL_HOST',
      'EMAIL_PORT',
      'EMAIL_USE_TLS',
      'EMAIL_HOST_USER',
      'EMAIL_HOST_PASSWORD',
      'ADMIN_USERNAME',
      'ADMIN_EMAIL',
      'ADMIN_PASSWORD',
    ]);
    expect(config.dotenvFile).toBe(legacyEnvPath);
  });
});

describe('a complete environment', () => {
  test('CONF-4: every variable lands in the typed, nested config', () => {
    expect(load(completeEnv())).toEqual({
      debug: true,
      timeZone: 'Asia/Yekaterinburg',
      dataDir: '/var/lib/dispatch',
      localPortOffset: 100,
      dotenvOverride: false,
      dotenvFile: null,
      ignoredLegacyVariables: [],
      incidents: { idleCloseDays: 14, onGenerationStopsSla: false },
      assignment: { loadWindowHours: 72, recentHours: 6 },
      database: {
        url: 'postgres://dispatch:db-pass-1@db.internal:6432/dispatch',
        host: 'db.internal',
        port: 6432,
        name: 'dispatch',
        user: 'dispatch',
        password: 'db-pass-1',
        source: 'DATABASE_URL',
      },
      temporal: {
        address: 'temporal.internal:7233',
        namespace: 'dispatch-prod',
        uiUrl: 'https://temporal.ops.example.ru',
        taskQueue: 'dispatch-main',
        worker: {
          maxCachedWorkflows: 5000,
          maxConcurrentWorkflowTaskExecutions: 80,
          maxConcurrentActivityTaskExecutions: 120,
        },
      },
      mail: {
        login: 'disp@example.ru',
        password: 'imap-app-password-1',
        fromName: 'Диспетчерская служба',
        messageIdDomain: 'robot.example.ru',
        defaultContractorEmails: ['avr@remont.ru', 'head@example.ru'],
        imap: {
          host: 'imap.example.ru',
          port: 3993,
          secure: false,
          startTls: true,
          inboxFolder: 'INBOX/Dispatch',
          sentFolder: 'Sent',
          idleEnabled: false,
          pollIntervalSeconds: 60,
        },
        smtp: { host: 'relay.example.ru', port: 587, secure: false },
        ingestion: { initialBackfillDays: 0, uidValidityRescanDays: 3, dateMaxSkewHours: 12 },
        senders: { allow: ['noc@operator.ru', '@mts.ru'], deny: ['@spam.example'] },
      },
      attachments: {
        dir: '/srv/dispatch/files/attachments',
        maxStoreBytes: 10 * 1024 * 1024,
        maxUploadBytes: 20 * 1024 * 1024,
        retentionDays: 90,
      },
      tracker: {
        apiBaseUrl: 'http://127.0.0.1:4002',
        oauthTokenUrl: 'http://127.0.0.1:4002/oauth/token',
        clientId: 'client-id-1',
        clientSecret: 'client-secret-1',
        accessToken: 'access-token-1',
        refreshToken: 'refresh-token-1',
        organizationId: '7654321',
        queue: 'AVRSERVICE',
        issueType: 'task',
        issueAuthor: 'robot-dispatch',
        uniquePrefix: 'dispatch-test',
        pollIntervalSeconds: 10,
        initialSyncDays: 7,
        excludedRegions: ['Moscow', 'Moscow Region'],
        fieldIds: {
          localId: 'localId',
          localEmailsIds: 'localEmailsIds',
          poleNumber: 'poleNumber',
          baseStationNumber: 'baseStationNumber',
          emailDatetime: 'emailDatetime',
          newMessage: 'newMessage',
          deadlineSla: 'deadlineSla',
          slaStatus: 'slaStatus',
          operator: 'operator',
          avrContractor: 'avrContractor',
          typeOfProblem: '6543210fedcba98765432100--typeOfProblem',
        },
        statusKeys: {
          onGeneration: 'naGeneraciiNb',
          notifyOperatorInWork: 'uvedomlaemOperatora',
          notifiedOperatorInWork: 'uvedomiliOperatora',
          notifyOperatorClosed: 'uvedomitOZakrytii',
          notifiedOperatorClosed: 'uvedomiliOZakrytii',
          notifyAvr: 'peredatPodradciku',
          notifiedAvr: 'peredanoPodradciku',
        },
      },
      towerStore: {
        polesUrl: 'http://127.0.0.1:4001/poles.json',
        avrUrl: 'http://127.0.0.1:4001/avr.json',
        baseStationsUrl: 'http://127.0.0.1:4001/bs.json',
        httpTimeoutSeconds: 30,
        maxFeedBytes: 50 * 1024 * 1024,
        maxShrinkRatio: 0.35,
      },
      telegram: {
        enabled: true,
        token: '123456:telegram-token-1',
        chatId: '-100200300',
        apiBaseUrl: 'http://127.0.0.1:4003',
        alertCooldownMinutes: 15,
      },
      schedules: { towerStoreSyncCron: '30 21 * * *', backupCron: '0 3 * * 1-5', cleanupCron: '15 4 * * *' },
      backup: { dir: '/backups', retentionDays: 14 },
      cleanup: { mailFailureRetentionDays: 60, outboxRetentionDays: 365 },
      http: { port: 9090, webhookSecret: 'webhook-secret-1' },
      migration: {
        legacyDatabaseUrl: 'postgresql://django:legacy-pass-1@legacy.internal/django',
        legacyMediaRoot: '/legacy/media',
      },
    });
  });
});

describe('CONF-2: all problems at once', () => {
  test('CONF-2: nine mistakes give nine problems, each naming its variable and expected form', () => {
    const env = withEnv({
      DEBUG: 'maybe',
      DISPATCH_TIME_ZONE: 'Europe/Moskva',
      PARSING_EMAIL_PORT: '99x',
      PARSING_EMAIL_SERVER: 'mail.example.ru',
      DEFAULT_CONTRACTOR_EMAILS: 'avr@remont.ru, avr-at-remont.ru',
      YT_ACCESS_TOKEN: 'two words',
      TS_POLES_TL_URL: undefined,
      TS_MAX_SHRINK_RATIO: '1.5',
      BACKUP_CRON: '0 1,10 * *',
    });
    expect(problemsOf(env)).toEqual([
      'DEBUG: expected a boolean (true/false, 1/0, yes/no), got "maybe"',
      'DISPATCH_TIME_ZONE: expected an IANA time-zone name (e.g. Europe/Moscow), got "Europe/Moskva"',
      'PARSING_EMAIL_PORT: expected an integer 1..65535, got "99x"',
      'PARSING_EMAIL_SMTP_SERVER: required (SMTP host of the collection mailbox; PARSING_EMAIL_SERVER "mail.example.ru" does not start with "imap.", so it cannot be derived), not set',
      'DEFAULT_CONTRACTOR_EMAILS: expected an e-mail address, got "avr-at-remont.ru"',
      'YT_ACCESS_TOKEN: expected an OAuth token (no blanks), got <redacted>',
      'TS_POLES_TL_URL: required (TowerStore poles report URL), not set',
      'TS_MAX_SHRINK_RATIO: expected a number strictly between 0 and 1, got "1.5"',
      'BACKUP_CRON: expected a 5-field cron expression (minute hour day-of-month month day-of-week), got "0 1,10 * *"',
    ]);
  });

  test('CONF-2: the error message lists every problem', () => {
    let error: unknown;
    try {
      load(withEnv({ PARSING_EMAIL_PORT: '99x', HTTP_PORT: '-1' }));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      'Invalid configuration (2 problems):\n' +
        '  - PARSING_EMAIL_PORT: expected an integer 1..65535, got "99x"\n' +
        '  - HTTP_PORT: expected an integer 0..65535, got "-1"',
    );
  });

  test('CONF-2: an empty environment reports every required variable, without echoes of derived defaults', () => {
    const problems = problemsOf({});
    const required = VARIABLE_LIST.filter((variable) => variable.default.kind === 'required');
    expect(problems.map((problem) => problem.slice(0, problem.indexOf(':')))).toEqual(required.map((v) => v.name));
    expect(problems).toHaveLength(31); // 4 mailbox + 24 Tracker + 3 TowerStore
    expect(problems[0]).toBe(
      'PARSING_EMAIL_LOGIN: required (Collection mailbox address and IMAP/SMTP login; From of every automatic e-mail), not set',
    );
    expect(problems.filter((problem) => problem.startsWith('MAIL_MESSAGE_ID_DOMAIN'))).toEqual([]);
    expect(problems.filter((problem) => problem.startsWith('PARSING_EMAIL_SMTP_SERVER'))).toEqual([]);
    expect(problems.filter((problem) => problem.startsWith('TG_'))).toEqual([]);
  });

  test('CONF-2: secret values are never echoed in problems', () => {
    const problems = problemsOf(
      withEnv({
        YT_CLIENT_SECRET: 'secret with blanks',
        TG_TOKEN: 'not-a-bot-token',
        DATABASE_URL: 'mysql://root:db-secret@host/db',
      }),
    );
    expect(problems).toEqual([
      'DATABASE_URL: expected a PostgreSQL URL (postgres://user:password@host:port/database), got <redacted>',
      'YT_CLIENT_SECRET: expected an OAuth client secret (no blanks), got <redacted>',
      'TG_TOKEN: expected a Telegram bot token (<bot id>:<key>), got <redacted>',
    ]);
  });

  test('CONF-2: blank values count as not set', () => {
    expect(problemsOf(withEnv({ YT_QUEUE: '   ' }))).toEqual([
      'YT_QUEUE: required (Tracker queue key; also the incident-key prefix in subjects), not set',
    ]);
    expect(load(withEnv({ PARSING_EMAIL_PORT: '' })).mail.imap.port).toBe(993);
  });
});

describe('CONF-2: value forms', () => {
  test.each([
    ['true', true],
    ['True', true],
    ['YES', true],
    ['1', true],
    ['false', false],
    ['False', false],
    ['no', false],
    ['0', false],
    [' yes ', true],
  ])('CONF-2: boolean %j reads as %j', (raw, expected) => {
    expect(load(withEnv({ DEBUG: raw })).debug).toBe(expected);
  });

  test.each(['on', 'y', 'treu', '2'])('CONF-2: boolean %j is a problem', (raw) => {
    expect(problemsOf(withEnv({ MAIL_IDLE_ENABLED: raw }))).toEqual([
      `MAIL_IDLE_ENABLED: expected a boolean (true/false, 1/0, yes/no), got "${raw}"`,
    ]);
  });

  test('CONF-2: lists are comma-separated, blanks trimmed, empty items dropped', () => {
    const config = load(
      withEnv({ YT_EXCLUDED_REGIONS: ' Moscow ,, Moscow Region , ', DEFAULT_CONTRACTOR_EMAILS: ' , ' }),
    );
    expect(config.tracker.excludedRegions).toEqual(['Moscow', 'Moscow Region']);
    expect(config.mail.defaultContractorEmails).toEqual([]);
  });

  test('CONF-2/GEN-9: e-mail lists are validated address by address and de-duplicated ignoring case', () => {
    expect(load(withEnv({ DEFAULT_CONTRACTOR_EMAILS: 'a@b.ru, ,A@B.ru,c@d.ru' })).mail.defaultContractorEmails).toEqual(
      ['a@b.ru', 'c@d.ru'],
    );
    expect(problemsOf(withEnv({ DEFAULT_CONTRACTOR_EMAILS: 'ok@b.ru, first@, second.example.ru' }))).toEqual([
      'DEFAULT_CONTRACTOR_EMAILS: expected an e-mail address, got "first@"',
      'DEFAULT_CONTRACTOR_EMAILS: expected an e-mail address, got "second.example.ru"',
    ]);
  });

  test('NOISE-4: sender patterns accept addresses, @domain and *@domain, normalised', () => {
    const config = load(withEnv({ MAIL_SENDER_DENY: 'Spam@Example.ru, *@Bulk.example, @ads.example' }));
    expect(config.mail.senders.deny).toEqual(['spam@example.ru', '@bulk.example', '@ads.example']);
    expect(problemsOf(withEnv({ MAIL_SENDER_ALLOW: 'noc@operator.ru, operator.ru' }))).toEqual([
      'MAIL_SENDER_ALLOW: expected an e-mail address, @domain or *@domain, got "operator.ru"',
    ]);
  });

  test.each(['0 20 * * *', '*/15 8-18 * * 1-5', '0 1,10 * * *', '0 0 1 JAN MON'])(
    'CONF-2: cron %j is accepted',
    (cron) => {
      expect(load(withEnv({ CLEANUP_CRON: cron })).schedules.cleanupCron).toBe(cron);
    },
  );

  test.each(['0 0 20 * * *', '0 20 * *', '0 25 * * *', 'H 2 * * *', '@daily', 'every day'])(
    'CONF-2: cron %j is a problem',
    (cron) => {
      expect(problemsOf(withEnv({ CLEANUP_CRON: cron }))).toEqual([
        `CLEANUP_CRON: expected a 5-field cron expression (minute hour day-of-month month day-of-week), got "${cron}"`,
      ]);
    },
  );

  test('CONF-2: cron blanks are normalised to single spaces', () => {
    expect(load(withEnv({ TS_SYNC_CRON: '0   20 * *  *' })).schedules.towerStoreSyncCron).toBe('0 20 * * *');
  });

  test.each(['Europe/Moscow', 'UTC', 'Asia/Vladivostok', 'America/Argentina/Buenos_Aires'])(
    'GEN-6: time zone %j is accepted',
    (zone) => {
      expect(load(withEnv({ DISPATCH_TIME_ZONE: zone })).timeZone).toBe(zone);
    },
  );

  test.each(['Mars/Olympus', '+03:00', 'europe/moscow', 'MSK+3'])('GEN-6: time zone %j is a problem', (zone) => {
    expect(problemsOf(withEnv({ DISPATCH_TIME_ZONE: zone }))).toEqual([
      `DISPATCH_TIME_ZONE: expected an IANA time-zone name (e.g. Europe/Moscow), got "${zone}"`,
    ]);
  });

  test('CONF-2: URLs must be http(s) with a host', () => {
    expect(problemsOf(withEnv({ TS_AVR_REPORT_URL: 'ftp://towerstore/avr', YT_API_BASE_URL: 'api.tracker' }))).toEqual([
      'YT_API_BASE_URL: expected an http(s) URL, got "api.tracker"',
      'TS_AVR_REPORT_URL: expected an http(s) URL, got "ftp://towerstore/avr"',
    ]);
  });

  test('CONF-2: URLs may name Docker services and IPv6 hosts; base URLs lose trailing slashes', () => {
    const config = load(
      withEnv({ TS_BS_REPORT_URL: 'http://towerstore_feed:8000/bs', TG_API_BASE_URL: 'http://[::1]:4003/' }),
    );
    expect([config.towerStore.baseStationsUrl, config.telegram.apiBaseUrl]).toEqual([
      'http://towerstore_feed:8000/bs',
      'http://[::1]:4003',
    ]);
  });

  test.each([
    ['PARSING_EMAIL_SMTP_PORT', '0', 'an integer 1..65535'],
    ['PARSING_EMAIL_SMTP_PORT', '65536', 'an integer 1..65535'],
    ['MAIL_POLL_INTERVAL_SECONDS', '0', 'an integer 1..86400'],
    ['TS_HTTP_TIMEOUT_SECONDS', '1.5', 'an integer 1..3600'],
    ['BACKUP_RETENTION_DAYS', '0', 'an integer 1..36500'],
    ['TS_MAX_SHRINK_RATIO', '0', 'a number strictly between 0 and 1'],
    ['TS_MAX_SHRINK_RATIO', '1', 'a number strictly between 0 and 1'],
    ['TS_MAX_SHRINK_RATIO', 'abc', 'a number strictly between 0 and 1'],
    ['TEMPORAL_ADDRESS', 'localhost', 'host:port (e.g. localhost:7233)'],
    ['PARSING_EMAIL_SERVER', 'imaps://imap.example.ru:993', 'a host name or IP address (no scheme, no port)'],
    ['PARSING_EMAIL_LOGIN', 'disp', 'an e-mail address'],
    [
      'PARSING_EMAIL_SENT_FOLDER_NAME',
      'Отправленные',
      'an IMAP folder name in modified UTF-7 (printable ASCII, e.g. &BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1)',
    ],
    ['YT_QUEUE', 'AVR-SERVICE', 'a Tracker queue key (Latin letters and digits, e.g. AVRSERVICE)'],
    ['TG_DEFAULT_USER_ID', 'alerts chat', 'a Telegram chat id (an integer, or @channelname)'],
  ])('CONF-2: %s=%j is a problem: %s', (name, raw, expected) => {
    expect(problemsOf(withEnv({ [name]: raw }))).toEqual([`${name}: expected ${expected}, got ${JSON.stringify(raw)}`]);
  });

  test('CONF-2: ranges accept their bounds and a ratio inside (0,1)', () => {
    const config = load(withEnv({ HTTP_PORT: '0', PARSING_EMAIL_PORT: '65535', TS_MAX_SHRINK_RATIO: '.5' }));
    expect([config.http.port, config.mail.imap.port, config.towerStore.maxShrinkRatio]).toEqual([0, 65535, 0.5]);
  });

  test('THREAD-5: the queue key is upper-cased', () => {
    expect(load(withEnv({ YT_QUEUE: 'avrservice' })).tracker.queue).toBe('AVRSERVICE');
  });
});

describe('CONF-4: derived defaults', () => {
  test('CONF-4: a leading imap. becomes smtp. (case-insensitive)', () => {
    expect(load(withEnv({ PARSING_EMAIL_SERVER: 'IMAP.mail.example.ru' })).mail.smtp.host).toBe('smtp.mail.example.ru');
  });

  test('CONF-4: an explicit SMTP host wins and makes any IMAP host acceptable', () => {
    const config = load(withEnv({ PARSING_EMAIL_SERVER: '127.0.0.1', PARSING_EMAIL_SMTP_SERVER: '127.0.0.1' }));
    expect([config.mail.imap.host, config.mail.smtp.host]).toEqual(['127.0.0.1', '127.0.0.1']);
  });

  test('CONF-4: MAIL_MESSAGE_ID_DOMAIN defaults to dispatch.<login domain>, lower-cased', () => {
    expect(load(withEnv({ PARSING_EMAIL_LOGIN: 'Disp@Example.RU' })).mail.messageIdDomain).toBe('dispatch.example.ru');
    expect(load(withEnv({ MAIL_MESSAGE_ID_DOMAIN: 'ids.example.org' })).mail.messageIdDomain).toBe('ids.example.org');
  });

  test('CONF-4: Telegram variables are optional together, required together', () => {
    const disabled = load(withEnv({ TG_TOKEN: undefined, TG_DEFAULT_USER_ID: '' }));
    expect(disabled.telegram).toEqual({
      enabled: false,
      token: '',
      chatId: '',
      apiBaseUrl: 'https://api.telegram.org',
      alertCooldownMinutes: 60,
    });
    expect(problemsOf(withEnv({ TG_TOKEN: undefined }))).toEqual([
      'TG_TOKEN: required (Telegram bot token for alerts) when TG_DEFAULT_USER_ID is set, not set',
    ]);
    expect(problemsOf(withEnv({ TG_DEFAULT_USER_ID: undefined }))).toEqual([
      'TG_DEFAULT_USER_ID: required (Telegram chat id that receives alerts) when TG_TOKEN is set, not set',
    ]);
  });

  test('CONF-4: an empty webhook secret leaves the webhook disabled', () => {
    expect(load(withEnv({ WEBHOOK_SECRET: '' })).http.webhookSecret).toBe('');
  });

  test('CONF-4: relative paths are resolved against the working directory, absolute ones kept', () => {
    const config = load(
      withEnv({ DISPATCH_DATA_DIR: 'state', BACKUP_DIR: '/mnt/backups', LEGACY_MEDIA_ROOT: '../old/media' }),
    );
    expect([config.dataDir, config.backup.dir, config.migration.legacyMediaRoot]).toEqual([
      '/srv/dispatch/state',
      '/mnt/backups',
      '/srv/old/media',
    ]);
  });
});

describe('CONF-3/CONF-4: database', () => {
  test('CONF-4: DATABASE_URL wins over POSTGRES_*/DB_*', () => {
    const config = load(
      withEnv({
        DATABASE_URL: 'postgresql://app%40dispatch:p%40ss@[::1]:6543/dispatch_prod',
        POSTGRES_DB: 'other',
        DB_HOST: 'other-host',
      }),
    );
    expect(config.database).toEqual({
      url: 'postgresql://app%40dispatch:p%40ss@[::1]:6543/dispatch_prod',
      host: '::1',
      port: 6543,
      name: 'dispatch_prod',
      user: 'app@dispatch',
      password: 'p@ss',
      source: 'DATABASE_URL',
    });
  });

  test('CONF-3: without DATABASE_URL the defaults give django@localhost:5432/django without password', () => {
    expect(load(requiredEnv()).database).toEqual({
      url: 'postgres://django@localhost:5432/django',
      host: 'localhost',
      port: 5432,
      name: 'django',
      user: 'django',
      password: '',
      source: 'POSTGRES_*',
    });
  });

  test('CONF-2: a DATABASE_URL without a database name is a problem', () => {
    expect(problemsOf(withEnv({ DATABASE_URL: 'postgres://u:p@localhost:5432/' }))).toEqual([
      'DATABASE_URL: expected a PostgreSQL URL (postgres://user:password@host:port/database), got <redacted>',
    ]);
  });
});

describe('CONF-1: the .env file', () => {
  function writeDotenv(text: string): { dir: string; file: string } {
    const dir = tempDir();
    const file = join(dir, '.env');
    writeFileSync(file, text);
    return { dir, file };
  }

  test('CONF-1: ./.env of the working directory is read when present; the environment wins', () => {
    const { dir, file } = writeDotenv('YT_QUEUE=FROMFILE\nMAIL_FROM_NAME="Диспетчер"\nDEBUG=true\n');
    const config = loadConfig({ ...requiredEnv(), YT_QUEUE: 'FROMENV' }, { cwd: dir });
    expect([config.tracker.queue, config.mail.fromName, config.debug, config.dotenvFile]).toEqual([
      'FROMENV',
      'Диспетчер',
      true,
      file,
    ]);
  });

  test('CONF-1: DOTENV_OVERRIDE=true in .env lets the file win (legacy behaviour)', () => {
    const { dir } = writeDotenv('DOTENV_OVERRIDE=True\nYT_QUEUE=FROMFILE\n');
    const config = loadConfig({ ...requiredEnv(), YT_QUEUE: 'FROMENV' }, { cwd: dir });
    expect([config.tracker.queue, config.dotenvOverride]).toEqual(['FROMFILE', true]);
  });

  test('CONF-1: DOTENV_OVERRIDE=true in the environment lets the file win', () => {
    const { file } = writeDotenv('YT_QUEUE=FROMFILE\n');
    const config = loadConfig({ ...requiredEnv(), YT_QUEUE: 'FROMENV', DOTENV_OVERRIDE: '1' }, { dotenvPath: file });
    expect(config.tracker.queue).toBe('FROMFILE');
  });

  test('CONF-1: DOTENV_OVERRIDE=false in the environment beats true in the file', () => {
    const { file } = writeDotenv('DOTENV_OVERRIDE=true\nYT_QUEUE=FROMFILE\n');
    const config = loadConfig(
      { ...requiredEnv(), YT_QUEUE: 'FROMENV', DOTENV_OVERRIDE: 'false' },
      { dotenvPath: file },
    );
    expect([config.tracker.queue, config.dotenvOverride]).toEqual(['FROMENV', false]);
  });

  test('CONF-1: an invalid DOTENV_OVERRIDE is reported and does not override', () => {
    const { file } = writeDotenv('DOTENV_OVERRIDE=sometimes\nYT_QUEUE=FROMFILE\n');
    expect(() => loadConfig({ ...requiredEnv() }, { dotenvPath: file })).toThrow(
      'DOTENV_OVERRIDE: expected a boolean (true/false, 1/0, yes/no), got "sometimes"',
    );
    expect(readEnvironment({ YT_QUEUE: 'FROMENV' }, { dotenvPath: file }).env.YT_QUEUE).toBe('FROMENV');
  });

  test('CONF-1: process.env is never modified', () => {
    const { file } = writeDotenv('DISPATCH_CONFIG_TEST_ONLY=1\n');
    loadConfig({ ...requiredEnv() }, { dotenvPath: file });
    expect(process.env.DISPATCH_CONFIG_TEST_ONLY).toBeUndefined();
  });

  test('CONF-1: no .env in the working directory is fine; an explicit missing file is a problem', () => {
    const dir = tempDir();
    expect(loadConfig(requiredEnv(), { cwd: dir }).dotenvFile).toBeNull();
    const missing = join(dir, 'prod.env');
    expect(() => loadConfig(requiredEnv(), { dotenvPath: missing })).toThrow(
      `.env: cannot read ${JSON.stringify(missing)} (ENOENT)`,
    );
  });
});
