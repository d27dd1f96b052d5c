// The zod schema of the configuration, generated from the registry (CONF-2), and the mapping of the
// validated flat variables onto the nested `Config` object the processes use.
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { VARIABLE_LIST, isSet } from './variables.js';
import type { ParsedEnv, RawLookup, VariableDefinition } from './variables.js';

/** Facts about where the values came from, recorded in the config for start-up logging. */
export interface LoadContext {
  /** Directory that relative paths are resolved against. */
  readonly cwd: string;
  /** Absolute path of the `.env` file that was read, or null. */
  readonly dotenvFile: string | null;
  /** Legacy web-UI variables that were present and ignored (CONF-3). */
  readonly ignoredLegacyVariables: readonly string[];
}

/**
 * Issue parameter marking a problem that only repeats another one (a derived default whose source
 * is missing or invalid): it is dropped when the source's own problem is reported.
 */
export const ECHO_PARAM = 'dispatchConfigEcho';

const quote = (value: string): string => JSON.stringify(value);

function describeGot(variable: VariableDefinition, got: string): string {
  return variable.secret !== undefined ? 'got <redacted>' : `got ${quote(got)}`;
}

type Outcome =
  | { readonly value: unknown }
  | { readonly problems: readonly string[] }
  /** A problem that only repeats another one (see ECHO_PARAM). */
  | { readonly echo: string };

/** Applies the default rule of CONF-1/CONF-4 and the variable's form; problems are worded per CONF-2. */
function resolveVariable(variable: VariableDefinition, lookup: RawLookup, raw: string | undefined): Outcome {
  const { name, form, description } = variable;
  const parse = (text: string, origin = ''): Outcome => {
    const result = form.parse(form.trim ? text.trim() : text);
    if (result.ok) return { value: result.value };
    return {
      problems: result.issues.map(
        (issue) => `${name}: expected ${issue.expected}, ${describeGot(variable, issue.got)}${origin}`,
      ),
    };
  };
  if (isSet(raw)) return parse(raw);
  const spec = variable.default;
  switch (spec.kind) {
    case 'value':
      return parse(spec.value, ' (the default)');
    case 'absent':
    case 'ignored':
      return { value: null };
    case 'required':
      return { problems: [`${name}: required (${description}), not set`] };
    case 'paired':
      return isSet(lookup(spec.partner))
        ? { problems: [`${name}: required (${description}) when ${spec.partner} is set, not set`] }
        : { value: '' };
    case 'derived': {
      const source = lookup(spec.source);
      const sourceForm = VARIABLE_LIST.find((candidate) => candidate.name === spec.source)?.form;
      if (source === undefined || sourceForm?.parse(source).ok !== true) {
        // The source's own problem covers this one.
        return { echo: `${name}: not set and cannot be derived (${spec.rule})` };
      }
      const derivation = spec.derive(source);
      if ('missing' in derivation) {
        return { problems: [`${name}: required (${description}; ${derivation.missing}), not set`] };
      }
      return parse(derivation.value, ` (derived: ${spec.rule})`);
    }
  }
}

function fieldSchema(variable: VariableDefinition, lookup: RawLookup) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const outcome = resolveVariable(variable, lookup, raw);
      if ('value' in outcome) return outcome.value;
      if ('echo' in outcome) {
        ctx.addIssue({ code: 'custom', message: outcome.echo, params: { [ECHO_PARAM]: true } });
      } else {
        for (const message of outcome.problems) ctx.addIssue({ code: 'custom', message });
      }
      return z.NEVER;
    });
}

/**
 * Builds the schema for one environment: derived defaults and paired variables read their sources
 * through `env`, so every problem — including cross-variable ones — is reported in a single pass.
 */
export function buildConfigSchema(env: Readonly<Record<string, string | undefined>>, context: LoadContext) {
  const lookup: RawLookup = (name) => {
    const value = env[name];
    return isSet(value) ? value.trim() : undefined;
  };
  const shape: Record<string, ReturnType<typeof fieldSchema>> = {};
  for (const variable of VARIABLE_LIST) {
    if (variable.default.kind !== 'ignored') shape[variable.name] = fieldSchema(variable, lookup);
  }
  // The flat object's type comes from the registry (ParsedEnv); zod only sees string-keyed fields.
  return z.object(shape).transform((flat) => toConfig(flat as unknown as ParsedEnv, context));
}

export type Config = z.infer<ReturnType<typeof buildConfigSchema>>;

const MIB = 1024 * 1024;

function toConfig(p: ParsedEnv, context: LoadContext) {
  const absolute = (path: string): string => (isAbsolute(path) ? path : resolve(context.cwd, path));
  return {
    debug: p.DEBUG,
    timeZone: p.DISPATCH_TIME_ZONE,
    dataDir: absolute(p.DISPATCH_DATA_DIR),
    localPortOffset: p.DISPATCH_LOCAL_PORT_OFFSET,
    dotenvOverride: p.DOTENV_OVERRIDE,
    dotenvFile: context.dotenvFile,
    ignoredLegacyVariables: [...context.ignoredLegacyVariables],
    incidents: {
      idleCloseDays: p.INCIDENT_IDLE_CLOSE_DAYS,
      onGenerationStopsSla: p.ON_GENERATION_STOPS_SLA,
    },
    assignment: {
      loadWindowHours: p.ASSIGN_LOAD_WINDOW_HOURS,
      recentHours: p.ASSIGN_RECENT_HOURS,
    },
    database: toDatabase(p),
    temporal: {
      address: p.TEMPORAL_ADDRESS,
      namespace: p.TEMPORAL_NAMESPACE,
      uiUrl: p.TEMPORAL_UI_URL,
      taskQueue: p.TEMPORAL_TASK_QUEUE,
      worker: {
        maxCachedWorkflows: p.WORKER_MAX_CACHED_WORKFLOWS,
        maxConcurrentWorkflowTaskExecutions: p.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
        maxConcurrentActivityTaskExecutions: p.WORKER_MAX_CONCURRENT_ACTIVITIES,
      },
    },
    mail: {
      login: p.PARSING_EMAIL_LOGIN,
      password: p.PARSING_EMAIL_PSWD,
      fromName: p.MAIL_FROM_NAME,
      messageIdDomain: p.MAIL_MESSAGE_ID_DOMAIN,
      defaultContractorEmails: p.DEFAULT_CONTRACTOR_EMAILS,
      imap: {
        host: p.PARSING_EMAIL_SERVER,
        port: p.PARSING_EMAIL_PORT,
        secure: p.PARSING_EMAIL_SECURE,
        startTls: p.PARSING_EMAIL_STARTTLS,
        inboxFolder: p.PARSING_EMAIL_INBOX_FOLDER_NAME,
        sentFolder: p.PARSING_EMAIL_SENT_FOLDER_NAME,
        idleEnabled: p.MAIL_IDLE_ENABLED,
        pollIntervalSeconds: p.MAIL_POLL_INTERVAL_SECONDS,
      },
      smtp: {
        host: p.PARSING_EMAIL_SMTP_SERVER,
        port: p.PARSING_EMAIL_SMTP_PORT,
        secure: p.PARSING_EMAIL_SMTP_SECURE,
      },
      ingestion: {
        initialBackfillDays: p.MAIL_INITIAL_BACKFILL_DAYS,
        uidValidityRescanDays: p.MAIL_UIDVALIDITY_RESCAN_DAYS,
        dateMaxSkewHours: p.MAIL_DATE_MAX_SKEW_HOURS,
      },
      senders: { allow: p.MAIL_SENDER_ALLOW, deny: p.MAIL_SENDER_DENY },
    },
    attachments: {
      dir: absolute(p.ATTACHMENTS_DIR),
      maxStoreBytes: p.ATTACHMENT_MAX_STORE_MB * MIB,
      maxUploadBytes: p.ATTACHMENT_MAX_UPLOAD_MB * MIB,
      retentionDays: p.ATTACHMENT_RETENTION_DAYS,
    },
    tracker: {
      apiBaseUrl: p.YT_API_BASE_URL,
      oauthTokenUrl: p.YT_OAUTH_TOKEN_URL,
      clientId: p.YT_CLIENT_ID,
      clientSecret: p.YT_CLIENT_SECRET,
      accessToken: p.YT_ACCESS_TOKEN,
      refreshToken: p.YT_REFRESH_TOKEN,
      organizationId: p.YT_ORGANIZATION_ID,
      queue: p.YT_QUEUE,
      issueType: p.YT_ISSUE_TYPE,
      issueAuthor: p.YT_ISSUE_AUTHOR,
      uniquePrefix: p.YT_UNIQUE_PREFIX,
      pollIntervalSeconds: p.YT_POLL_INTERVAL_SECONDS,
      initialSyncDays: p.YT_INITIAL_SYNC_DAYS,
      excludedRegions: p.YT_EXCLUDED_REGIONS,
      // Keys follow the suggested Tracker field keys of YT-7.
      fieldIds: {
        localId: p.YT_DATABASE_ID_GLOBAL_FIELD_ID,
        localEmailsIds: p.YT_EMAILS_IDS_GLOBAL_FIELD_ID,
        poleNumber: p.YT_POLE_NUMBER_GLOBAL_FIELD_ID,
        baseStationNumber: p.YT_BASE_STATION_GLOBAL_FIELD_ID,
        emailDatetime: p.YT_EMAIL_DATETIME_GLOBAL_FIELD_ID,
        newMessage: p.YT_IS_NEW_MSG_GLOBAL_FIELD_ID,
        deadlineSla: p.YT_SLA_DEADLINE_GLOBAL_FIELD_ID,
        slaStatus: p.YT_IS_SLA_EXPIRED_GLOBAL_FIELD_ID,
        operator: p.YT_OPERATOR_NAME_GLOBAL_FIELD_NAME,
        avrContractor: p.YT_AVR_NAME_GLOBAL_FIELD_ID,
        typeOfProblem: p.YT_TYPE_OF_INCIDENT_LOCAL_FIELD_ID,
      },
      // Status keys of YT-6.
      statusKeys: {
        onGeneration: p.YT_ON_GENERATION_STATUS_KEY,
        notifyOperatorInWork: p.YT_NOTIFY_OPERATOR_ISSUE_IN_WORK_STATUS_KEY,
        notifiedOperatorInWork: p.YT_NOTIFIED_OPERATOR_ISSUE_IN_WORK_STATUS_KEY,
        notifyOperatorClosed: p.YT_NOTIFY_OPERATOR_ISSUE_CLOSED_STATUS_KEY,
        notifiedOperatorClosed: p.YT_NOTIFIED_OPERATOR_ISSUE_CLOSED_STATUS_KEY,
        notifyAvr: p.YT_NOTIFY_AVR_CONTRACTOR_IN_WORK_STATUS_KEY,
        notifiedAvr: p.YT_NOTIFIED_AVR_CONTRACTOR_IN_WORK_STATUS_KEY,
      },
    },
    towerStore: {
      polesUrl: p.TS_POLES_TL_URL,
      avrUrl: p.TS_AVR_REPORT_URL,
      baseStationsUrl: p.TS_BS_REPORT_URL,
      httpTimeoutSeconds: p.TS_HTTP_TIMEOUT_SECONDS,
      maxFeedBytes: p.TS_MAX_FEED_MB * MIB,
      maxShrinkRatio: p.TS_MAX_SHRINK_RATIO,
    },
    telegram: {
      // Both TG variables empty disables alerts (CONF-4); the caller logs the warning.
      enabled: p.TG_TOKEN !== '',
      token: p.TG_TOKEN,
      chatId: p.TG_DEFAULT_USER_ID,
      apiBaseUrl: p.TG_API_BASE_URL,
      alertCooldownMinutes: p.TG_ALERT_COOLDOWN_MINUTES,
    },
    schedules: {
      towerStoreSyncCron: p.TS_SYNC_CRON,
      backupCron: p.BACKUP_CRON,
      cleanupCron: p.CLEANUP_CRON,
    },
    backup: {
      dir: absolute(p.BACKUP_DIR),
      retentionDays: p.BACKUP_RETENTION_DAYS,
    },
    cleanup: {
      mailFailureRetentionDays: p.MAIL_FAILURE_RETENTION_DAYS,
      outboxRetentionDays: p.OUTBOX_RETENTION_DAYS,
    },
    http: {
      port: p.HTTP_PORT,
      webhookSecret: p.WEBHOOK_SECRET,
    },
    migration: {
      legacyDatabaseUrl: p.LEGACY_DATABASE_URL?.url ?? null,
      legacyMediaRoot: p.LEGACY_MEDIA_ROOT === null ? null : absolute(p.LEGACY_MEDIA_ROOT),
    },
  };
}

/** DATABASE_URL wins; otherwise the legacy POSTGRES_* and DB_* variables with its CONF-3 defaults. */
function toDatabase(p: ParsedEnv) {
  if (p.DATABASE_URL !== null) return { ...p.DATABASE_URL, source: 'DATABASE_URL' as const };
  const credentials =
    encodeURIComponent(p.POSTGRES_USER) +
    (p.POSTGRES_PASSWORD === '' ? '' : `:${encodeURIComponent(p.POSTGRES_PASSWORD)}`);
  const host = p.DB_HOST.includes(':') ? `[${p.DB_HOST}]` : p.DB_HOST;
  return {
    url: `postgres://${credentials}@${host}:${p.DB_PORT}/${encodeURIComponent(p.POSTGRES_DB)}`,
    host: p.DB_HOST,
    port: p.DB_PORT,
    name: p.POSTGRES_DB,
    user: p.POSTGRES_USER,
    password: p.POSTGRES_PASSWORD,
    source: 'POSTGRES_*' as const,
  };
}
