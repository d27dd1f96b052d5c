// P6: Tracker API economy. Requests the Tracker emulator answers (a) per incident lifecycle (issue
// creation, 5 replies as comments, 3 status changes detected and processed) and (b) per hour while
// 100 incidents sit idle with their workflows running and the `tracker-reconcile` schedule polling
// (YT-13) — once at the default YT_POLL_INTERVAL_SECONDS=5 and once at 60 s, the webhook-backed
// configuration where the trigger webhook carries the changes. All on a real worker (createActivities).
import { createActivities } from '../src/activities/index.js';
import { createTrackerRouterFor } from '../src/activities/tracker-sync.js';
import { TRACKER_PAGE_SIZE } from '../src/adapters/tracker/client.js';
import { parseConfig } from '../src/config/load.js';
import type { Config } from '../src/config/load.js';
import { ensureTrackerReconcileSchedule, TRACKER_RECONCILE_SCHEDULE } from '../src/starters/schedules.js';
import { startTrackerEmulator } from '../src/sandbox/tracker/index.js';
import { mailSignal } from '../src/workflows/incident.js';
import { trackerReconcileWorkflow } from '../src/workflows/tracker-sync.js';
import { requiredEnv } from '../test/fixtures/config/env.js';
import { createTestDatabase } from '../test/support/db.js';
import { connectTemporal } from '../test/support/temporal.js';
import {
  insertEmail,
  quietLogger,
  seedAcceptanceDirectory,
  seedAcceptanceDispatchers,
  waitFor,
} from '../test/workflow/incident-fixtures.js';
import {
  addCounts,
  countRequests,
  forEachLimited,
  openMailIncident,
  queryState,
  scaleCounts,
  sleep,
  sumCounts,
  terminateAll,
} from './support/incident-bench.js';
import { round } from './support/stats.js';
import type { Benchmark, BenchmarkResult, Figure } from './support/types.js';

const IDLE_INCIDENTS = 100;
const REPLIES = 5;
/** Three status changes of the queue workflow that send no automatic e-mail (see notes). */
const STATUS_CHANGES = ['inProgress', 'needAcceptance', 'closed'] as const;
const GOAL_PER_HOUR = 150;

export const p6TrackerEconomy: Benchmark = {
  id: 'P6',
  title: 'Tracker API economy: calls per incident lifecycle and per hour with 100 idle incidents',
  async run({ quick, log }): Promise<BenchmarkResult> {
    const lifecycles = quick ? 2 : 5;
    const defaultWindowMs = quick ? 20_000 : 60_000;
    const webhookWindowMs = quick ? 65_000 : 190_000;
    const emulator = await startTrackerEmulator();
    const database = await createTestDatabase('bench_p6');
    const temporal = await connectTemporal('bench-p6');
    const env = {
      ...requiredEnv(),
      ...emulator.env(),
      DATABASE_URL: database.url,
      TEMPORAL_TASK_QUEUE: temporal.taskQueue,
      TG_TOKEN: '',
      TG_DEFAULT_USER_ID: '',
    };
    const config: Config = parseConfig({ env, dotenvFile: null });
    const webhookConfig: Config = parseConfig({ env: { ...env, YT_POLL_INTERVAL_SECONDS: '60' }, dotenvFile: null });
    const logger = quietLogger();
    const deps = { config, db: database.pool, log: logger, temporal: temporal.client };
    const router = createTrackerRouterFor(deps);
    const workflowIds: string[] = [];
    const scheduleId = `${temporal.taskQueue}-${TRACKER_RECONCILE_SCHEDULE}`;
    await seedAcceptanceDirectory(database.pool);
    await seedAcceptanceDispatchers(database.pool);

    try {
      return await temporal.withWorker(
        async () => {
          // (a) Lifecycles, one at a time so each count holds one incident's requests only.
          log(`P6: ${lifecycles} incident lifecycles`);
          const phases = { create: {}, replies: {}, statusChanges: {} } as Record<string, Record<string, number>>;
          for (let n = 0; n < lifecycles; n++) {
            const name = `p6-life-${n}-${Date.now()}`;
            const created = await countRequests(emulator, () =>
              openMailIncident(temporal.client, database.pool, temporal.taskQueue, name, new Date()),
            );
            const incident = created.value;
            workflowIds.push(incident.workflowId);
            addCounts(phases['create'] as Record<string, number>, created.counts);
            const replies = await countRequests(emulator, async () => {
              for (let r = 1; r <= REPLIES; r++) {
                const emailId = await insertEmail(database.pool, incident.incidentId, {
                  messageId: `<${name}-reply-${r}@remont.ru>`,
                  inReplyTo: `<${name}@operator.ru>`,
                  subject: `Re: Авария ${name}`,
                  from: 'avr@remont.ru',
                  date: new Date(),
                  body: `Ответ подрядчика ${r}.`,
                });
                await temporal.client.workflow.getHandle(incident.workflowId).signal(mailSignal, { emailId });
                await waitFor(
                  () => queryState(temporal.client, incident.workflowId),
                  (s) => s.handledEmailIds.includes(emailId) && s.pendingEmailIds.length === 0,
                  60_000,
                );
              }
            });
            addCounts(phases['replies'] as Record<string, number>, replies.counts);
            const changes = await countRequests(emulator, async () => {
              for (const status of STATUS_CHANGES) {
                // The dispatcher's own change goes through the emulator's admin side (not counted);
                // detection is the webhook path: one routeIssueByKey per change (YT-13/YT-15).
                const issue = emulator.dispatcher.executeTransition({ login: 'petrov', issue: incident.key, status });
                await router.routeIssueByKey(incident.key, 'webhook');
                const version = Number(issue['version']);
                await waitFor(
                  () => queryState(temporal.client, incident.workflowId),
                  (s) => s.pendingTrackerVersion === null && (s.trackerVersion ?? 0) >= version,
                  60_000,
                );
              }
            });
            addCounts(phases['statusChanges'] as Record<string, number>, changes.counts);
          }
          const perLifecycle = Object.fromEntries(
            Object.entries(phases).map(([phase, counts]) => [phase, scaleCounts(counts, 1 / lifecycles)]),
          );
          const lifecycleTotal = round(
            Object.values(phases).reduce((sum, counts) => sum + sumCounts(counts), 0) / lifecycles,
          );

          // (b) 100 idle incidents with issues and running workflows.
          log(`P6: opening ${IDLE_INCIDENTS} idle incidents`);
          const idleIds: string[] = [];
          await forEachLimited(
            Array.from({ length: IDLE_INCIDENTS }, (_, i) => i),
            8,
            async (i) => {
              const opened = await openMailIncident(
                temporal.client,
                database.pool,
                temporal.taskQueue,
                `p6-idle-${i}-${Date.now()}`,
                new Date(),
              );
              idleIds.push(opened.workflowId);
            },
          );
          workflowIds.push(...idleIds);
          // The daily full reconciliation (YT-13), forced once: counted apart, then amortised over 24 h.
          const fullRun = await countRequests(emulator, () =>
            temporal.client.workflow.execute(trackerReconcileWorkflow, {
              workflowId: `${temporal.taskQueue}-full-reconcile`,
              taskQueue: temporal.taskQueue,
              args: [{ full: true }],
            }),
          );
          const fullReconcileCalls = sumCounts(fullRun.counts);

          const measureSchedule = async (cfg: Config, windowMs: number) => {
            await ensureTrackerReconcileSchedule(temporal.client, cfg, logger);
            const handle = temporal.client.schedule.getHandle(scheduleId);
            // Let the first run (and an update's transition) pass before the window opens.
            await sleep(Math.min(cfg.tracker.pollIntervalSeconds * 1000 + 2_000, 15_000));
            const runsBefore = (await handle.describe()).info.numActionsTaken;
            const { counts } = await countRequests(emulator, () => sleep(windowMs));
            const runs = (await handle.describe()).info.numActionsTaken - runsBefore;
            const perPoll = runs === 0 ? NaN : sumCounts(counts) / runs;
            const pollsPerHour = 3600 / cfg.tracker.pollIntervalSeconds;
            const perHour = round(perPoll * pollsPerHour + fullReconcileCalls / 24);
            return {
              windowMs,
              runs,
              counts,
              perPoll: round(perPoll),
              perHour,
              byEndpointPerHour: scaleCounts(counts, runs === 0 ? NaN : pollsPerHour / runs),
            };
          };
          log(`P6: idle window at YT_POLL_INTERVAL_SECONDS=${config.tracker.pollIntervalSeconds}`);
          const idleDefault = await measureSchedule(config, defaultWindowMs);
          log(`P6: idle window at YT_POLL_INTERVAL_SECONDS=${webhookConfig.tracker.pollIntervalSeconds}`);
          const idleWebhook = await measureSchedule(webhookConfig, webhookWindowMs);
          // Nothing changed while idle: the incident workflows themselves made no calls.
          const openIssues = emulator.listIssues().length;

          const idleFigure = (what: string, value: number): Figure => ({
            what,
            value,
            unit: 'calls/h',
            goal: `≤ ${GOAL_PER_HOUR} calls/h`,
            baseline: null,
            ratio: null,
            met: value <= GOAL_PER_HOUR,
          });
          const raw = (figure: Omit<Figure, 'goal' | 'baseline' | 'ratio' | 'met'>): Figure => ({
            ...figure,
            goal: null,
            baseline: null,
            ratio: null,
            met: null,
          });
          const pollCalls = (counts: Record<string, number>, runs: number) =>
            Object.entries(counts)
              .map(([endpoint, n]) => `${endpoint} ${round(n / Math.max(1, runs))}`)
              .join(', ');
          return {
            id: 'P6',
            title: this.title,
            figures: [
              idleFigure(`${IDLE_INCIDENTS} idle incidents, YT_POLL_INTERVAL_SECONDS=5 (default)`, idleDefault.perHour),
              idleFigure(
                `${IDLE_INCIDENTS} idle incidents, YT_POLL_INTERVAL_SECONDS=60 + webhook`,
                idleWebhook.perHour,
              ),
              raw({
                what: 'per incident lifecycle (create, 5 replies, 3 status changes)',
                value: lifecycleTotal,
                unit: 'calls',
              }),
              raw({
                what: 'daily full reconciliation with 100+ open issues',
                value: fullReconcileCalls,
                unit: 'calls',
              }),
            ],
            raw: {
              lifecycles,
              perLifecycle,
              fullReconcile: fullRun.counts,
              idleDefault,
              idleWebhook,
              openIssues,
            },
            notes: [
              `Lifecycle (mean of ${lifecycles}): create ${sumCounts(perLifecycle['create'] ?? {})} calls (${JSON.stringify(perLifecycle['create'])}); ${REPLIES} replies ${sumCounts(perLifecycle['replies'] ?? {})} (${JSON.stringify(perLifecycle['replies'])}); 3 status changes ${sumCounts(perLifecycle['statusChanges'] ?? {})} (${JSON.stringify(perLifecycle['statusChanges'])}). Status changes are detected by routeIssueByKey (the webhook path); OAuth and users calls are cached per process, so the first lifecycle pays them.`,
              `The status changes are inProgress → needAcceptance → closed: the acceptance notice (uvedomlaemOperatora, NOTIFY) is left out because the in-process worker's SMTP client does not trust the sandbox certificate; a notice adds its SMTP/IMAP work and the transition to the notified status (at least one GET and one transition call).`,
              `Idle, default 5 s polling: ${idleDefault.runs} polls in ${idleDefault.windowMs / 1000} s, ${idleDefault.perPoll} calls per poll (${pollCalls(idleDefault.counts, idleDefault.runs)}) → ${idleDefault.perHour} calls/h including the daily full reconciliation (${fullReconcileCalls} calls / 24). ${idleDefault.perHour <= GOAL_PER_HOUR ? 'Meets' : 'Does NOT meet'} the ${GOAL_PER_HOUR}/h goal: every poll is at least one search call (720/h at 5 s, the SPEC default of YT_POLL_INTERVAL_SECONDS).`,
              `Why more than one call per poll: YT-13 searches updatedAt ≥ cursor − 2 min and the cursor is the largest updatedAt seen, so while nothing changes every poll re-reads the issues of the last 2 minutes before the latest change — here the ${IDLE_INCIDENTS} idle issues opened in one burst, two pages of ${TRACKER_PAGE_SIZE}. A queue whose changes are spread out pays one page per poll.`,
              `Idle, webhook-backed (YT_POLL_INTERVAL_SECONDS=60, changes arrive by the trigger webhook): ${idleWebhook.runs} polls in ${idleWebhook.windowMs / 1000} s, ${idleWebhook.perPoll} calls per poll → ${idleWebhook.perHour} calls/h. ${idleWebhook.perHour <= GOAL_PER_HOUR ? 'Meets' : 'Does NOT meet'} the goal. The product default stays 5 s.`,
              'Calls per hour = calls per poll (measured over the window, poll runs counted by the schedule) × polls per hour + the daily full reconciliation / 24. Idle incidents without an incident type arm no SLA timers; with one, each open incident adds at most 2 SLA writes (GET + PATCH) over its lifetime.',
            ],
          };
        },
        { activities: createActivities(deps), ...config.temporal.worker },
      );
    } finally {
      await temporal.client.schedule
        .getHandle(scheduleId)
        .delete()
        .catch(() => undefined);
      await terminateAll(temporal.client, workflowIds);
      await temporal.close();
      await database.drop();
      await emulator.close();
    }
  },
};
