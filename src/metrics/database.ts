// Gauges read from PostgreSQL at scrape time: one cheap query per collector, each under a 2 s
// statement timeout (SET LOCAL in its own transaction). A failing collector leaves its gauges empty and counts the failure in
// `dispatch_metrics_collect_errors_total`; the scrape itself still succeeds.
import { Counter, Gauge, Registry } from 'prom-client';
import { sql } from 'slonik';
import type { DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import type { DbPool } from '../adapters/db/pool.js';
import { SLA_STATUS, evaluateSla } from '../domain/sla.js';
import type { SlaStatus } from '../domain/sla.js';
import type { Logger } from '../logger.js';

const MAIL_FAILURE_STATES = ['open', 'resolved', 'abandoned'] as const;
const OUTBOX_STATES = ['pending', 'sending', 'sent', 'failed'] as const;

/** SLA-4 statuses as label values: the keys of SLA_STATUS (`breached`, `lessThanHour`…). */
const SLA_LABEL = new Map<SlaStatus, string>(
  Object.entries(SLA_STATUS).map(([key, value]) => [value, key] as [SlaStatus, string]),
);

export interface DatabaseMetricsOptions {
  db: DbPool;
  /** The scrape's "now" (ingestion lag, SLA status); default the wall clock. */
  now?: () => Date;
  log?: Logger;
}

export interface DatabaseMetrics {
  registry: Registry;
  /** Runs every collector query and sets the gauges; never rejects. */
  refresh(): Promise<void>;
}

type Collector = (tx: DatabaseTransactionConnection, now: Date) => Promise<void>;

export function createDatabaseMetrics(options: DatabaseMetricsOptions): DatabaseMetrics {
  const registry = new Registry();
  const registers = [registry];
  const now = options.now ?? (() => new Date());

  const collectErrors = new Counter({
    name: 'dispatch_metrics_collect_errors_total',
    help: 'Scrape-time PostgreSQL collectors that failed (query error or 2 s statement timeout), by collector.',
    labelNames: ['collector'] as const,
    registers,
  });
  const emailsStored = new Gauge({
    name: 'dispatch_emails_stored',
    help: 'E-mails stored, by NOISE-1 classification and folder role.',
    labelNames: ['classification', 'folder_role'] as const,
    registers,
  });
  const ingestionLag = new Gauge({
    name: 'dispatch_mail_ingestion_lag_seconds',
    help: 'Per watched folder: now minus the IMAP internal date of the most recently stored e-mail.',
    labelNames: ['folder'] as const,
    registers,
  });
  const checkpointUid = new Gauge({
    name: 'dispatch_mail_checkpoint_last_uid',
    help: 'Per watched folder: the last UID of its ingestion checkpoint (MAIL-3).',
    labelNames: ['folder'] as const,
    registers,
  });
  const mailFailures = new Gauge({
    name: 'dispatch_mail_failures',
    help: 'Mail failure records (MAIL-17), by state.',
    labelNames: ['state'] as const,
    registers,
  });
  const threadConflicts = new Gauge({
    name: 'dispatch_thread_conflicts_open',
    help: 'Thread conflicts waiting for an operator (THREAD-7).',
    registers,
  });
  const incidents = new Gauge({
    name: 'dispatch_incidents',
    help: 'Incidents, by state (open or finished).',
    labelNames: ['state'] as const,
    registers,
  });
  const openByStatus = new Gauge({
    name: 'dispatch_incidents_open_by_status',
    help: 'Open incidents, by current status name (INC-7: no history row counts as Новый).',
    labelNames: ['status'] as const,
    registers,
  });
  const openBySla = new Gauge({
    name: 'dispatch_incidents_open_by_sla_status',
    help: 'Open incidents, by SLA status computed now (SLA-4; labels are the status keys).',
    labelNames: ['sla_status'] as const,
    registers,
  });
  const slaBreaches = new Gauge({
    name: 'dispatch_sla_breaches',
    help: 'Open incidents whose SLA is breached now (SLA-4 status breached).',
    registers,
  });
  const outbox = new Gauge({
    name: 'dispatch_outbox',
    help: 'Outbox rows of automatic notices (NOTIFY-3), by state.',
    labelNames: ['state'] as const,
    registers,
  });
  const scheduleLastRun = new Gauge({
    name: 'dispatch_schedule_last_run_timestamp_seconds',
    help: 'Start time of the latest run of each scheduled job (Unix seconds).',
    labelNames: ['schedule'] as const,
    registers,
  });
  const scheduleLastStatus = new Gauge({
    name: 'dispatch_schedule_last_run_status',
    // `schedule`, not `job`: Prometheus owns the `job` label of every scraped series.
    help: 'Status of the latest run of each scheduled job: 1 on the series of its status.',
    labelNames: ['schedule', 'status'] as const,
    registers,
  });
  const scheduleLastSuccess = new Gauge({
    name: 'dispatch_schedule_last_success_timestamp_seconds',
    help: 'Finish time of the latest successful run (applied / succeeded) of each scheduled job (Unix seconds).',
    labelNames: ['schedule'] as const,
    registers,
  });

  const collectors: Record<string, { gauges: Gauge[]; collect: Collector }> = {
    emails: {
      gauges: [emailsStored],
      async collect(tx) {
        const rows = await tx.any(
          sql.type(
            z.object({ classification: z.string(), folder_role: z.string(), n: z.number() }),
          )`SELECT classification, folder_role, count(*) AS n FROM emails GROUP BY classification, folder_role`,
        );
        for (const row of rows) emailsStored.set(labels(row, ['classification', 'folder_role']), row.n);
      },
    },
    ingestion: {
      gauges: [ingestionLag, checkpointUid],
      async collect(tx, at) {
        // The newest stored e-mail by id: a backwards primary-key scan that stops at the folder's last row.
        const rows = await tx.any(sql.type(
          z.object({ folder_name: z.string(), last_uid: z.number(), internal_date: z.date().nullable() }),
        )`
          SELECT c.folder_name, c.last_uid, e.internal_date
          FROM mail_folder_checkpoints c
          LEFT JOIN LATERAL (
            SELECT internal_date FROM emails
            WHERE folder_name = c.folder_name AND internal_date IS NOT NULL
            ORDER BY id DESC LIMIT 1
          ) e ON true`);
        for (const row of rows) {
          checkpointUid.set({ folder: row.folder_name }, row.last_uid);
          if (row.internal_date !== null) {
            ingestionLag.set({ folder: row.folder_name }, (at.getTime() - row.internal_date.getTime()) / 1000);
          }
        }
      },
    },
    mail_failures: {
      gauges: [mailFailures],
      async collect(tx) {
        const rows = await tx.any(sql.type(z.object({ state: z.string(), n: z.number() }))`
          SELECT state, count(*) AS n FROM mail_failures GROUP BY state`);
        setByLabel(
          mailFailures,
          'state',
          MAIL_FAILURE_STATES,
          rows.map((r) => [r.state, r.n]),
        );
      },
    },
    thread_conflicts: {
      gauges: [threadConflicts],
      async collect(tx) {
        threadConflicts.set(
          await tx.oneFirst(sql.type(z.object({ n: z.number() }))`
            SELECT count(*) AS n FROM thread_conflicts WHERE state = 'open'`),
        );
      },
    },
    incidents: {
      gauges: [incidents],
      async collect(tx) {
        const rows = await tx.any(sql.type(z.object({ is_finished: z.boolean(), n: z.number() }))`
          SELECT is_finished, count(*) AS n FROM incidents GROUP BY is_finished`);
        const count = (finished: boolean) => rows.find((r) => r.is_finished === finished)?.n ?? 0;
        incidents.set({ state: 'open' }, count(false));
        incidents.set({ state: 'finished' }, count(true));
      },
    },
    incident_statuses: {
      gauges: [openByStatus],
      async collect(tx) {
        // The current status as the incident_current_status view defines it, for open incidents only.
        const rows = await tx.any(sql.type(z.object({ status: z.string(), n: z.number() }))`
          SELECT coalesce(s.name, 'Новый') AS status, count(*) AS n
          FROM incidents i
          LEFT JOIN LATERAL (
            SELECT status_id FROM incident_status_history h
            WHERE h.incident_id = i.id
            ORDER BY h.inserted_at DESC, h.id DESC LIMIT 1
          ) h ON true
          LEFT JOIN incident_statuses s ON s.id = h.status_id
          WHERE NOT i.is_finished
          GROUP BY 1`);
        for (const row of rows) openByStatus.set({ status: row.status }, row.n);
      },
    },
    sla: {
      gauges: [openBySla, slaBreaches],
      async collect(tx, at) {
        const rows = await tx.any(sql.type(
          z.object({
            registration_time: z.date(),
            sla_minutes: z.number().nullable(),
            sla_end_at: z.date().nullable(),
          }),
        )`
          SELECT i.registration_time, t.sla_minutes, i.sla_end_at
          FROM incidents i LEFT JOIN incident_types t ON t.id = i.incident_type_id
          WHERE NOT i.is_finished`);
        const counts = new Map<string, number>([...SLA_LABEL.values()].map((label) => [label, 0]));
        for (const row of rows) {
          const { status } = evaluateSla(
            { registrationTime: row.registration_time, slaMinutes: row.sla_minutes, slaEndAt: row.sla_end_at },
            at,
          );
          const label = SLA_LABEL.get(status) ?? 'unknown';
          counts.set(label, (counts.get(label) ?? 0) + 1);
        }
        for (const [label, n] of counts) openBySla.set({ sla_status: label }, n);
        slaBreaches.set(counts.get('breached') ?? 0);
      },
    },
    outbox: {
      gauges: [outbox],
      async collect(tx) {
        const rows = await tx.any(sql.type(z.object({ state: z.string(), n: z.number() }))`
          SELECT state, count(*) AS n FROM outbox GROUP BY state`);
        setByLabel(
          outbox,
          'state',
          OUTBOX_STATES,
          rows.map((r) => [r.state, r.n]),
        );
      },
    },
    schedules: {
      gauges: [scheduleLastRun, scheduleLastStatus, scheduleLastSuccess],
      async collect(tx) {
        const latest = await tx.any(sql.type(z.object({ job: z.string(), status: z.string(), started_at: z.date() }))`
          (SELECT 'towerstore_sync' AS job, status, started_at FROM towerstore_sync_runs ORDER BY started_at DESC, id DESC LIMIT 1)
          UNION ALL
          (SELECT 'backup', status, started_at FROM backup_runs ORDER BY started_at DESC, id DESC LIMIT 1)
          UNION ALL
          (SELECT 'cleanup', status, started_at FROM cleanup_runs ORDER BY started_at DESC, id DESC LIMIT 1)`);
        const succeeded = await tx.any(sql.type(z.object({ job: z.string(), at: z.date().nullable() }))`
          SELECT 'towerstore_sync' AS job, max(finished_at) AS at FROM towerstore_sync_runs WHERE status = 'applied'
          UNION ALL
          SELECT 'backup', max(finished_at) FROM backup_runs WHERE status = 'succeeded'
          UNION ALL
          SELECT 'cleanup', max(finished_at) FROM cleanup_runs WHERE status = 'succeeded'`);
        for (const row of latest) {
          scheduleLastRun.set({ schedule: row.job }, row.started_at.getTime() / 1000);
          scheduleLastStatus.set({ schedule: row.job, status: row.status }, 1);
        }
        for (const row of succeeded) {
          if (row.at !== null) scheduleLastSuccess.set({ schedule: row.job }, row.at.getTime() / 1000);
        }
      },
    },
  };

  return {
    registry,
    async refresh() {
      const at = now();
      // One after another: a scrape holds at most one pooled connection.
      for (const [name, collector] of Object.entries(collectors)) {
        for (const gauge of collector.gauges) gauge.reset();
        try {
          await options.db.transaction(async (tx) => {
            await tx.query(sql.unsafe`SET LOCAL statement_timeout = '2s'`);
            await collector.collect(tx, at);
          });
        } catch (error) {
          for (const gauge of collector.gauges) gauge.reset();
          collectErrors.inc({ collector: name });
          options.log?.warn({ collector: name, err: errorText(error) }, 'metrics collector failed');
        }
      }
    },
  };
}

function labels<K extends string>(row: Record<K, string>, names: readonly K[]): Record<K, string> {
  return Object.fromEntries(names.map((name) => [name, row[name]])) as Record<K, string>;
}

/** Every known value gets a series (0 when absent), so dashboards and alerts see zeros, not gaps. */
function setByLabel(
  gauge: Gauge,
  label: string,
  known: readonly string[],
  counts: ReadonlyArray<readonly [string, number]>,
): void {
  const values = new Map<string, number>(known.map((value) => [value, 0]));
  for (const [value, n] of counts) values.set(value, n);
  for (const [value, n] of values) gauge.set({ [label]: value }, n);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
