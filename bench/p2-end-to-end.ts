// P2 end to end (issue 9): the P2 corpus (5,000 generated mails) appended to the sandbox Dovecot, then
// a real worker on the bench's task queue — the mailbox watcher workflows, the incident workflows and
// every activity (createActivities, worker limits at their config defaults) against the Tracker
// emulator — until the emulator holds one issue per expected incident and one comment per
// commentable e-mail (the completion condition of test/e2e/corpus-to-tracker.test.ts). Baseline: raw
// imapflow fetch + simpleParser of the same mailbox in the same run (P2's).
import { performance } from 'node:perf_hooks';

import { WorkflowIdConflictPolicy } from '@temporalio/client';
import { sql } from 'slonik';
import { z } from 'zod';

import { createActivities } from '../src/activities/index.js';
import type { MailboxFolderKey } from '../src/activities/ingestion.js';
import { generateFixtures } from '../src/sandbox/fixtures/index.js';
import { startTowerStoreFeedServer } from '../src/sandbox/towerstore/feed-server.js';
import { startTrackerEmulator } from '../src/sandbox/tracker/index.js';
import { mailboxWorkflowId } from '../src/workflows/mailbox.js';
import type { MailboxWorkflowInput } from '../src/workflows/mailbox.js';
import { prepareCorpusStage, startIngestionHarness, storedEmails } from '../test/integration/ingestion-harness.js';
import type { IngestionHarness } from '../test/integration/ingestion-harness.js';
import { connectTemporal } from '../test/support/temporal.js';
import { appendCorpus, perSecond, rawFetchAndParse } from './p2-backlog.js';
import { ExpectedOutcome } from './support/corpus-outcome.js';
import { sleep, sumCounts, terminateAll } from './support/incident-bench.js';
import { benchProcessGroups, cpuSampler } from './support/process-cpu.js';
import { round } from './support/stats.js';
import { workerDefaults } from './support/worker-limits.js';
import type { Benchmark, BenchmarkOptions, BenchmarkResult } from './support/types.js';
import { ActivityClock, historySample, LogTally, RequestTally } from './support/worker-observers.js';

const POLL_MS = 250;
const TIMEOUT_MS = 40 * 60_000;
const GOAL_RATIO = 0.25;

const progressRow = z.object({
  emails: z.number(),
  incidents: z.number(),
  sent_uid: z.number().nullable(),
  inbox_uid: z.number().nullable(),
});

interface Progress {
  s: number;
  emails: number;
  incidents: number;
  issuesCreated: number;
  comments: number;
  sentUid: number | null;
  inboxUid: number | null;
}

async function readProgress(harness: IngestionHarness): Promise<z.infer<typeof progressRow>> {
  return harness.db.pool.one(sql.type(progressRow)`
    SELECT (SELECT count(*) FROM emails) AS emails,
           (SELECT count(*) FROM incidents) AS incidents,
           (SELECT last_uid FROM mail_folder_checkpoints WHERE folder_name = 'Sent') AS sent_uid,
           (SELECT last_uid FROM mail_folder_checkpoints WHERE folder_name = 'INBOX') AS inbox_uid`);
}

async function incidentCodes(harness: IngestionHarness): Promise<Map<number, string>> {
  const rows = await harness.db.pool.any(
    sql.type(z.object({ id: z.number(), code: z.string() }))`SELECT id, code FROM incidents WHERE code IS NOT NULL`,
  );
  return new Map(rows.map((r) => [r.id, r.code]));
}

const stagesRate = (mails: number, seconds: number | null | undefined): number | string =>
  seconds === null || seconds === undefined ? '?' : perSecond(mails, seconds * 1000);

const TITLE = 'Backlog end to end: 5,000 mails until every issue and comment is in the Tracker emulator';

/** The P2E run; `workerOverrides` (WORKER_* variables) is for what-if runs outside `npm run bench`. */
export async function runP2EndToEnd(
  { quick, log }: BenchmarkOptions,
  workerOverrides: Record<string, string> = {},
): Promise<BenchmarkResult> {
  const mails = quick ? 500 : 5000;
  const fixtures = generateFixtures({ seed: 9202, mails, poles: mails });
  const expected = new ExpectedOutcome(fixtures);
  const sentMails = fixtures.expected.counts.byFolder.Sent;
  const inboxMails = fixtures.expected.counts.byFolder.INBOX;
  const workerEnv = { ...workerDefaults(), ...workerOverrides };
  const limitsAre = Object.keys(workerOverrides).length === 0 ? 'at their config defaults' : 'OVERRIDDEN';
  const temporal = await connectTemporal('bench-p2e');
  const emulator = await startTrackerEmulator();
  const feeds = await startTowerStoreFeedServer({ feeds: { ...fixtures.directory.feeds } });
  const harness = await startIngestionHarness(temporal.client, temporal.taskQueue, {
    ...emulator.env(),
    ...feeds.env,
    YT_EXCLUDED_REGIONS: '',
    ...workerEnv,
  });
  const watcherIds: string[] = [];
  try {
    const { config, db } = harness;
    await prepareCorpusStage(harness, emulator, fixtures);
    // MAIL-5 with MAIL_INITIAL_BACKFILL_DAYS = 0: runs on the empty folders only set the checkpoints.
    await harness.sync('sent');
    await harness.sync('inbox');
    log(`P2E: appending ${mails} mails`);
    await appendCorpus(harness, fixtures);
    log('P2E: baseline, raw fetch + simpleParser (cold)');
    const rawCold = await rawFetchAndParse(harness);

    const tally = new RequestTally();
    const activityClock = new ActivityClock();
    const workerLog = new LogTally();
    const deps = { config, db: db.pool, log: workerLog.logger, temporal: temporal.client };
    emulator.clearRequestLog();
    log(`P2E: worker on (limits ${JSON.stringify(config.temporal.worker)}), watchers started`);
    const e2e = await temporal.withWorker(
      async () => {
        const cpu = cpuSampler(benchProcessGroups(() => harness.mail.pids()));
        const elu = performance.eventLoopUtilization();
        const started = performance.now();
        const elapsed = (): number => round((performance.now() - started) / 1000);
        const startWatcher = async (folderKey: MailboxFolderKey): Promise<void> => {
          // As src/starters/mailbox-watchers.ts starts them (MAIL-1).
          const workflowId = mailboxWorkflowId(folderKey);
          await temporal.client.workflow.start('mailboxWorkflow', {
            workflowId,
            taskQueue: config.temporal.taskQueue,
            args: [{ folderKey } satisfies MailboxWorkflowInput],
            workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          });
          watcherIds.push(workflowId);
        };
        // The corpus's processing assumption: the Sent backlog before the INBOX one.
        await startWatcher('sent');
        const marks: Record<string, number | null> = {
          sentStoredS: null,
          inboxWatcherStartedS: null,
          allStoredS: null,
          allIncidentsS: null,
          allIssuesS: null,
          allCommentsS: null,
          settledS: null,
          issuesWhenStored: null,
          commentsWhenStored: null,
        };
        const timeline: Progress[] = [];
        let lastTimeline = -Infinity;
        let lastCheck = -Infinity;
        let missing: string[];
        const deadline = started + TIMEOUT_MS;
        for (;;) {
          tally.drain(emulator);
          const p = await readProgress(harness);
          const now = elapsed();
          if (marks['sentStoredS'] === null && (p.sent_uid ?? 0) >= sentMails) {
            marks['sentStoredS'] = now;
            await startWatcher('inbox');
            marks['inboxWatcherStartedS'] = elapsed();
          }
          if (marks['allStoredS'] === null && (p.sent_uid ?? 0) >= sentMails && (p.inbox_uid ?? 0) >= inboxMails) {
            marks['allStoredS'] = now;
            marks['issuesWhenStored'] = tally.created;
            marks['commentsWhenStored'] = tally.commented;
            log(`P2E: all ${mails} mails handled by ingestion at ${now} s (${p.emails} e-mail rows)`);
          }
          if (marks['allStoredS'] !== null && marks['allIncidentsS'] === null) {
            if (p.incidents >= fixtures.expected.incidents.length) marks['allIncidentsS'] = now;
          }
          if (marks['allIssuesS'] === null && tally.created >= expected.mailIncidents.length) {
            marks['allIssuesS'] = now;
            log(`P2E: ${tally.created} issues created at ${now} s`);
          }
          if (marks['allCommentsS'] === null && tally.commented >= expected.comments) {
            marks['allCommentsS'] = now;
            log(`P2E: ${tally.commented} comments posted at ${now} s`);
          }
          if (now - lastTimeline >= 5) {
            lastTimeline = now;
            timeline.push({
              s: now,
              emails: p.emails,
              incidents: p.incidents,
              issuesCreated: tally.created,
              comments: tally.commented,
              sentUid: p.sent_uid,
              inboxUid: p.inbox_uid,
            });
            if (timeline.length % 6 === 0) {
              log(
                `P2E: ${now} s: ${p.emails} e-mails, ${p.incidents} incidents, ${tally.created} issues, ${tally.commented} comments`,
              );
            }
          }
          // The full per-incident check (costly) once the counters say everything is there.
          const countersDone = marks['allIssuesS'] !== null && marks['allCommentsS'] !== null;
          if (marks['allStoredS'] !== null && countersDone && now - lastCheck >= 2) {
            lastCheck = now;
            const emails = await storedEmails(harness);
            missing = expected.unsettled(emulator, emails, await incidentCodes(harness));
            if (missing.length === 0) {
              marks['settledS'] = now;
              break;
            }
          }
          if (performance.now() > deadline) {
            const emails = await storedEmails(harness);
            missing = expected.unsettled(emulator, emails, await incidentCodes(harness));
            break;
          }
          await sleep(POLL_MS);
        }
        const wallMs = performance.now() - started;
        const mainThreadBusy = round(performance.eventLoopUtilization(elu).utilization);
        const cpuReport = await cpu.stop();
        // Stopped while the worker runs, so their IMAP activities end cleanly.
        await terminateAll(temporal.client, watcherIds);
        tally.drain(emulator);
        return { wallMs, marks, timeline, missing, cpu: { ...cpuReport, mainThreadBusy } };
      },
      { activities: activityClock.wrap(createActivities(deps)), ...config.temporal.worker },
    );
    const mailIncidentIds = await db.pool.anyFirst(
      sql.type(z.object({ id: z.number() }))`SELECT id FROM incidents WHERE is_auto ORDER BY id`,
    );
    const histories = await historySample(temporal.client, mailIncidentIds, 40);
    log('P2E: baseline again (warm)');
    const rawWarm = await rawFetchAndParse(harness);

    const rawRate = Math.max(perSecond(rawCold.messages, rawCold.ms), perSecond(rawWarm.messages, rawWarm.ms));
    const settled = e2e.missing.length === 0 && e2e.marks['settledS'] !== null;
    // The clock stops at the first poll that saw the last comment (the full check confirms it).
    const doneS = e2e.marks['allCommentsS'] ?? e2e.marks['settledS'] ?? e2e.wallMs / 1000;
    const e2eRate = perSecond(mails, Math.max(doneS, e2e.marks['allIssuesS'] ?? 0) * 1000);
    const ratio = round(e2eRate / rawRate);
    const baseline = { what: 'raw imapflow BODY.PEEK[] + simpleParser (mails/s, faster of 2 runs)', value: rawRate };
    const tracker = {
      requests: sumCounts(tally.counts),
      counts: Object.fromEntries(Object.entries(tally.counts).sort(([a], [b]) => a.localeCompare(b))),
      serverMs: Object.fromEntries(Object.entries(tally.serverMs).map(([k, v]) => [k, round(v)])),
      statuses: tally.statuses,
      throttledOrFailed: tally.throttledOrFailed,
      issuesCreated: tally.created,
      commentsPosted: tally.commented,
    };
    const incidentsByOrigin = {
      mail: expected.mailIncidents.length,
      seed: fixtures.expected.seedIssues.length,
    };
    const activities = activityClock.summary();
    const marks = e2e.marks;
    const perWorkflow = (name: string): number => histories.perWorkflow[name] ?? 0;
    const activityMix = Object.entries(histories.perWorkflow)
      .filter(([k]) => k.startsWith('activity '))
      .map(([k, v]) => `${k.slice('activity '.length)} ${v}`)
      .join(', ');
    const afterStored = (marks['allIssuesS'] ?? NaN) - (marks['allStoredS'] ?? NaN);
    const issueRate = round((expected.mailIncidents.length - (marks['issuesWhenStored'] ?? 0)) / afterStored);
    const temporalMsPerIncident = Math.round(
      ((e2e.cpu.cpuS['temporal'] ?? 0) * 1000) / fixtures.expected.incidents.length,
    );
    // What the goal leaves per mail: the cores of this machine at 25 % of the raw rate.
    const ownCpuS = sumCounts(e2e.cpu.cpuS);
    const cpuMsPerMail = Math.round((ownCpuS * 1000) / mails);
    const cores = e2e.cpu.machine.capacityS / Math.max(e2e.cpu.wallS, 0.001);
    const goalRate = GOAL_RATIO * rawRate;
    const budgetMsPerMail = round((cores * 1000) / goalRate);
    const trackerLine = Object.entries(tracker.counts)
      .map(([endpoint, n]) => `${endpoint} ${n}`)
      .join(', ');
    return {
      id: 'P2E',
      title: TITLE,
      figures: [
        {
          what: `DISPATCH end to end (watchers, incident workflows, Tracker emulator), ${mails} mails until the last issue and comment exist`,
          value: settled ? e2eRate : 0,
          unit: 'mails/s',
          goal: '≥ 25 % of raw',
          baseline,
          ratio: settled ? ratio : 0,
          met: settled && ratio >= GOAL_RATIO,
        },
        {
          what: 'time until every mail is stored (both folders read, watchers started Sent first)',
          value: marks['allStoredS'] ?? -1,
          unit: 's',
          goal: null,
          baseline: null,
          ratio: null,
          met: null,
        },
        {
          what: `time until every issue exists (${expected.mailIncidents.length} created)`,
          value: marks['allIssuesS'] ?? -1,
          unit: 's',
          goal: null,
          baseline: null,
          ratio: null,
          met: null,
        },
        {
          what: `time until every comment is posted (${expected.comments})`,
          value: marks['allCommentsS'] ?? -1,
          unit: 's',
          goal: null,
          baseline: null,
          ratio: null,
          met: null,
        },
        {
          what: 'Tracker requests per mail',
          value: round(tracker.requests / mails),
          unit: 'requests',
          goal: null,
          baseline: null,
          ratio: null,
          met: null,
        },
      ],
      raw: {
        mails,
        expected: {
          incidents: incidentsByOrigin,
          comments: expected.comments,
          rows: fixtures.expected.counts.rows,
          failures: fixtures.expected.counts.failures,
          duplicates: fixtures.expected.counts.duplicates,
        },
        workerLimits: config.temporal.worker,
        rawCold,
        rawWarm,
        wallS: round(e2e.wallMs / 1000),
        marks,
        missing: e2e.missing.slice(0, 50),
        missingCount: e2e.missing.length,
        tracker,
        cpu: e2e.cpu,
        workerLog: { levels: workerLog.levels, problems: workerLog.problems },
        histories,
        activities,
        timeline: e2e.timeline,
      },
      notes: [
        `Corpus and baseline as P2 (generateFixtures seed 9202, ${mails} mails, ${incidentsByOrigin.mail} mail incidents + ${incidentsByOrigin.seed} seed issues, ${expected.comments} comments expected; raw fetch + parse before and after, the faster counts). TowerStore directory synced and 3 dispatchers added before the clock starts. One worker in the bench process (createActivities, worker limits ${limitsAre} ${JSON.stringify(workerEnv)}), the emulator, Dovecot, PostgreSQL and Temporal on the same 2 cores.`,
        `The clock starts when mailbox-sent is started (as src/starters/mailbox-watchers.ts does); mailbox-inbox starts once the Sent checkpoint covers the Sent backlog (the corpus needs Sent processed first), ${marks['inboxWatcherStartedS'] ?? '?'} s in. It stops at the first poll (every ${POLL_MS} ms, emulator request log) that counts the last created issue and the last posted comment; then every expected incident is checked as test/e2e/corpus-to-tracker.test.ts does (issue, comment count, e-mail ids field)${settled ? ', all settled' : `: ${e2e.missing.length} incidents NOT settled after ${TIMEOUT_MS / 60_000} min (raw.missing)`}. The tracker-reconcile schedule (YT-13 polling) is not running.`,
        'Before patch incident-local-db-steps (commit f0d7a5f, same bench, full size): 19.26 mails/s (0.0168 of raw), 43.3 history events and 6.45 workflow tasks per incident workflow, Temporal dev server 96 ms of CPU per incident.',
        `Where the time goes: ingestion (both folders read; e-mail rows, incident rows, signalWithStart per incident) ends at ${marks['allStoredS'] ?? '?'} s (${stagesRate(mails, marks['allStoredS'])} mails/s), when ${marks['issuesWhenStored'] ?? '?'} of ${expected.mailIncidents.length} issues and ${marks['commentsWhenStored'] ?? '?'} of ${expected.comments} comments exist; the incident workflows need until ${marks['allIssuesS'] ?? '?'} s for the last issue (${issueRate} issues/s after ingestion) and ${marks['allCommentsS'] ?? '?'} s for the last comment. Per incident workflow (history of ${histories.workflows} sampled): ${perWorkflow('events')} events, ${perWorkflow('workflow tasks')} workflow tasks, ${perWorkflow('signals')} mail signals, activities ${activityMix} (task-queue activities; the database steps, i.e. loading the incident, extraction and the dispatcher choice, run as local activities since patch incident-local-db-steps and appear as markers).`,
        `CPU over the window (/proc): bench process (worker, workflow threads, emulator) ${e2e.cpu.cpuS['self'] ?? 0} s (main event loop ${Math.round(e2e.cpu.mainThreadBusy * 100)} % busy), Temporal dev server ${e2e.cpu.cpuS['temporal'] ?? 0} s (${temporalMsPerIncident} ms per incident), PostgreSQL ${e2e.cpu.cpuS['postgres'] ?? 0} s, Dovecot ${e2e.cpu.cpuS['mail'] ?? 0} s; the machine was busy ${e2e.cpu.machine.busyS} of ${e2e.cpu.machine.capacityS} CPU-s (other users' processes included). The run is CPU-bound, not Tracker-bound: ${tracker.requests} Tracker requests (${trackerLine}), ${round(sumCounts(tally.serverMs) / 1000)} s of emulator time in total, ${sumCounts(tally.throttledOrFailed)} answered 429/5xx; each reply comment is GET + POST comment + PATCH of the e-mail-ids field.`,
        `Distance to the goal: ≥ 25 % of raw is ≥ ${round(goalRate)} mails/s, i.e. at most ${budgetMsPerMail} ms of CPU per mail on these ${Math.round(cores)} cores for the whole stack; this run used ${cpuMsPerMail} ms per mail (${round(ownCpuS)} CPU-s of the processes above), the Temporal dev server alone ${Math.round(((e2e.cpu.cpuS['temporal'] ?? 0) * 1000) / mails)} ms. Worker limits and Tracker latency cannot close a gap in CPU per mail; fewer workflow tasks and activities per incident (see the history counts) would shrink the largest share.`,
      ],
    };
  } finally {
    const incidentIds = await harness.db.pool
      .anyFirst(sql.type(z.object({ id: z.number() }))`SELECT id FROM incidents`)
      .catch(() => [] as readonly number[]);
    await terminateAll(temporal.client, [...watcherIds, ...incidentIds.map((id) => `incident-${id}`)]);
    await harness.close();
    await feeds.close();
    await emulator.close();
    await temporal.close();
  }
}

export const p2EndToEnd: Benchmark = {
  id: 'P2E',
  title: TITLE,
  run: (options) => runP2EndToEnd(options),
};
