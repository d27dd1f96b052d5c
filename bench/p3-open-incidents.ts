// P3: 10,000 open incident workflows with armed SLA timers on ONE worker process (the real
// `node dist/src/workers/main.js`, a child process so /proc gives its VmRSS/VmHWM). Incidents are
// seeded as rows with their issues created directly in the Tracker emulator (incidents.code set);
// each workflow starts, loads its context and writes its SLA fields (SLA-5 on a fresh run), then
// waits on its durable timers. Measured: worker memory, SLA status write lag at the warning instant
// (deadline − 60 min, SLA-5) for ~500 instants inside a few minutes, the same lag with 100 open
// incidents (baseline), and recovery after SIGKILL of the worker.
import { sql } from 'slonik';
import { z } from 'zod';

import { SLA_STATUS, SLA_WARNING_MINUTES } from '../src/domain/sla.js';
import { startTrackerEmulator } from '../src/sandbox/tracker/index.js';
import type { TrackerEmulator } from '../src/sandbox/tracker/index.js';
import { incidentWorkflow } from '../src/workflows/incident.js';
import { requiredEnv } from '../test/fixtures/config/env.js';
import { createTestDatabase } from '../test/support/db.js';
import type { TestDatabase } from '../test/support/db.js';
import { ENV_TEMPORAL_ADDRESS, requireEnv } from '../test/support/services.js';
import { connectTemporal } from '../test/support/temporal.js';
import type { TemporalTestContext } from '../test/support/temporal.js';
import { forEachLimited, queryState, sleep } from './support/incident-bench.js';
import { round, summarize } from './support/stats.js';
import type { LatencySummary } from './support/stats.js';
import type { Benchmark, BenchmarkResult, Figure } from './support/types.js';
import { memorySampler, startWorkerProcess } from './support/worker-process.js';
import type { WorkerProcess } from './support/worker-process.js';

const MINUTE = 60_000;
/** A type with a 4 h SLA: the warning instant is registration + 180 min (SLA-1, SLA-5). */
const SLA_MINUTES = 240;
const WARNING_OFFSET_MS = (SLA_MINUTES - SLA_WARNING_MINUTES) * MINUTE;
const TYPE = 'Авария по питанию для МСК';
const GOAL_RSS_MIB = 1024;
const GOAL_LAG_P99_MS = 2_000;
/** WORKER_MAX_CACHED_WORKFLOWS of the worker under test (BENCH_P3_MAX_CACHED_WORKFLOWS overrides it). */
const MAX_CACHED_WORKFLOWS = Number(process.env['BENCH_P3_MAX_CACHED_WORKFLOWS'] ?? 1_000);

interface Seeded {
  incidentId: number;
  key: string;
  /** The SLA warning instant (ms), for window incidents. */
  instant: number;
}

interface LagOutcome {
  lag: LatencySummary;
  measured: number;
  /** Instants that passed before the workflow had started (written at start, not by the timer). */
  startedLate: number;
  /** No lessThanHour write seen at all. */
  missing: number;
}

const seededRow = z.object({ id: z.number(), code: z.string() });

class P3Run {
  private readonly slaField: string;
  readonly open: Seeded[] = [];

  constructor(
    private readonly emulator: TrackerEmulator,
    private readonly database: TestDatabase,
    private readonly temporal: TemporalTestContext,
    private readonly typeId: number,
    private readonly log: (line: string) => void,
  ) {
    this.slaField = emulator.seed.fields.slaStatus;
  }

  /** Issues in the emulator, incident rows with their codes; returns them in the given order. */
  async seed(registrations: readonly Date[], instants: readonly number[] = []): Promise<Seeded[]> {
    const keys = registrations.map(
      (_, i) => this.emulator.dispatcher.createIssue({ login: 'ivanov', summary: `P3 авария ${i}` })['key'] as string,
    );
    const seeded: Seeded[] = [];
    for (let from = 0; from < keys.length; from += 1_000) {
      const rows = keys
        .slice(from, from + 1_000)
        .map(
          (key, i) => sql.fragment`(${key}, ${sql.timestamp(registrations[from + i] as Date)}, true, ${this.typeId})`,
        );
      const inserted = await this.database.pool.any(sql.type(seededRow)`
        INSERT INTO incidents (code, registration_time, is_auto, incident_type_id)
        VALUES ${sql.join(rows, sql.fragment`, `)} RETURNING id, code`);
      const idOf = new Map(inserted.map((r) => [r.code, r.id]));
      for (const [i, key] of keys.slice(from, from + 1_000).entries()) {
        seeded.push({ incidentId: idOf.get(key) as number, key, instant: instants[from + i] ?? NaN });
      }
    }
    return seeded;
  }

  /** Starts the workflows (bounded concurrency) and waits until each has written its SLA fields. */
  async start(incidents: readonly Seeded[], timeoutMs: number): Promise<number> {
    const t0 = performance.now();
    await forEachLimited(incidents, 32, async (incident) => {
      await this.temporal.client.workflow.start(incidentWorkflow, {
        workflowId: `incident-${incident.incidentId}`,
        taskQueue: this.temporal.taskQueue,
        args: [{ incidentId: incident.incidentId }],
      });
    });
    this.open.push(...incidents);
    let waiting = incidents.map((i) => i.key);
    const deadline = Date.now() + timeoutMs;
    let lastLog = Date.now();
    while (waiting.length > 0) {
      if (Date.now() > deadline)
        throw new Error(`${waiting.length} workflows had not started after ${timeoutMs / 1000} s`);
      await sleep(1_000);
      waiting = waiting.filter((key) => (this.emulator.getIssue(key)?.[this.slaField] ?? null) === null);
      if (Date.now() - lastLog > 30_000) {
        lastLog = Date.now();
        this.log(`P3: ${incidents.length - waiting.length}/${incidents.length} workflows started`);
      }
    }
    return performance.now() - t0;
  }

  /** Write lag at each warning instant: Tracker's changelog time of the lessThanHour write − the instant. */
  async lag(window: readonly Seeded[], graceMs: number): Promise<LagOutcome> {
    const last = Math.max(...window.map((w) => w.instant));
    const changeTime = (key: string): { at: number; viaTimer: boolean } | null => {
      const changelog = this.emulator.issueHistory(key)?.changelog ?? [];
      let sawInProgress = false;
      for (const entry of changelog) {
        const fields = JSON.stringify(entry['fields'] ?? []);
        if (fields.includes(SLA_STATUS.inProgress)) sawInProgress = true;
        if (fields.includes(SLA_STATUS.lessThanHour)) {
          const at = new Date(String(entry['updatedAt']).replace(/\+0000$/, 'Z')).getTime();
          return { at, viaTimer: sawInProgress };
        }
      }
      return null;
    };
    for (;;) {
      const done = window.every((w) => changeTime(w.key) !== null);
      if (done || Date.now() > last + graceMs) break;
      await sleep(1_000);
    }
    const lags: number[] = [];
    let startedLate = 0;
    let missing = 0;
    for (const w of window) {
      const change = changeTime(w.key);
      if (change === null) missing++;
      else if (!change.viaTimer) startedLate++;
      else lags.push(change.at - w.instant);
    }
    return { lag: summarize(lags), measured: lags.length, startedLate, missing };
  }

  /** Changelog times of the lessThanHour writes seen so far (ms). */
  writeTimes(window: readonly Seeded[]): number[] {
    return window.flatMap((w) =>
      (this.emulator.issueHistory(w.key)?.changelog ?? [])
        .filter((entry) => JSON.stringify(entry['fields'] ?? []).includes(SLA_STATUS.lessThanHour))
        .map((entry) => new Date(String(entry['updatedAt']).replace(/\+0000$/, 'Z')).getTime()),
    );
  }

  /** Seeds `count` incidents whose warning instants are spread over [now + leadMs, + spanMs]. */
  async seedWindow(count: number, leadMs: number, spanMs: number): Promise<Seeded[]> {
    const first = Date.now() + leadMs;
    const instants = Array.from({ length: count }, (_, i) => Math.round(first + (i * spanMs) / Math.max(1, count - 1)));
    return this.seed(
      instants.map((instant) => new Date(instant - WARNING_OFFSET_MS)),
      instants,
    );
  }

  /** Background incidents: registered within the last hour, warning instants 2–3 h ahead (armed timers). */
  async seedBackground(count: number): Promise<Seeded[]> {
    const now = Date.now();
    return this.seed(Array.from({ length: count }, (_, i) => new Date(now - ((i * 7919) % 60) * MINUTE - (i % 1000))));
  }
}

export const p3OpenIncidents: Benchmark = {
  id: 'P3',
  title: '10,000 open incident workflows with armed SLA timers on one worker process',
  async run({ quick, log }): Promise<BenchmarkResult> {
    const total = quick ? 1_000 : 10_000;
    const windowCount = quick ? 100 : 500;
    const windowSpanMs = quick ? 60_000 : 180_000;
    const baselineOpen = 100;
    const baselineWindow = 50;
    const recoveryCount = 50;
    const emulator = await startTrackerEmulator();
    const database = await createTestDatabase('bench_p3');
    const temporal = await connectTemporal('bench-p3');
    const typeId = await database.pool.oneFirst(sql.type(z.object({ id: z.number() }))`
      UPDATE incident_types SET sla_minutes = ${SLA_MINUTES} WHERE name = ${TYPE} RETURNING id`);
    const env: Record<string, string> = {
      ...requiredEnv(),
      ...emulator.env(),
      DEBUG: 'false',
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: requireEnv(ENV_TEMPORAL_ADDRESS),
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: temporal.taskQueue,
      HTTP_PORT: '0',
      TG_TOKEN: '',
      TG_DEFAULT_USER_ID: '',
      // Tuned (see notes): ~0.5 MiB per cached workflow puts the default 2000 above the 1 GB goal.
      WORKER_MAX_CACHED_WORKFLOWS: String(MAX_CACHED_WORKFLOWS),
    };
    const run = new P3Run(emulator, database, temporal, typeId, log);
    let worker: WorkerProcess = startWorkerProcess(env);
    const memory = memorySampler(() => worker.pid);
    const firstWorkerPid = worker.pid;
    try {
      await worker.started;
      log(`P3: worker pid ${worker.pid} started`);

      // Baseline: 100 open incidents, 50 warning instants within 30 s.
      memory.phase = 'baseline';
      const baseBackground = await run.seedBackground(baselineOpen - baselineWindow);
      await run.start(baseBackground, 300_000);
      const baseWindow = await run.seedWindow(baselineWindow, 25_000, 30_000);
      await run.start(baseWindow, 300_000);
      const baseline = await run.lag(baseWindow, 60_000);
      log(`P3: baseline lag p50 ${baseline.lag.p50} p99 ${baseline.lag.p99} ms (${baseline.measured} measured)`);

      // Scale: fill up to `total` open incidents, then the window of instants.
      memory.phase = 'seeding';
      const fill = total - baselineOpen - windowCount;
      const seedStart = performance.now();
      const background = await run.seedBackground(fill);
      const seedRowsMs = performance.now() - seedStart;
      log(`P3: ${fill} incidents seeded in ${round(seedRowsMs / 1000)} s; starting their workflows`);
      const fillStartMs = await run.start(background, 60 * MINUTE);
      log(`P3: ${fill} workflows started and initialised in ${round(fillStartMs / 1000)} s`);
      const window = await run.seedWindow(windowCount, quick ? 40_000 : 90_000, windowSpanMs);
      const windowStartMs = await run.start(window, 30 * MINUTE);
      memory.phase = 'window';
      log(`P3: ${run.open.length} open; ${windowCount} instants over ${windowSpanMs / 1000} s`);
      const scaled = await run.lag(window, 120_000);
      log(`P3: lag p50 ${scaled.lag.p50} p99 ${scaled.lag.p99} ms (${scaled.measured} measured)`);
      const windowRss = memory.samples.filter((s) => s.phase === 'window').map((s) => s.rssMiB);
      const steadyRss = summarize(windowRss).p50;
      const peakRss = Math.max(...memory.samples.filter((s) => s.phase !== 'recovery').map((s) => s.hwmMiB));
      const problemsBefore = [...worker.problems];

      // Recovery: 50 instants 20–50 s ahead (the first ones fall while the worker is down), SIGKILL,
      // a new worker at once.
      const recoveryWindow = await run.seedWindow(recoveryCount, 20_000, 30_000);
      await run.start(recoveryWindow, 300_000);
      memory.phase = 'recovery';
      const killedAt = performance.now();
      const killedAtMs = Date.now();
      const firstInstantAfterKill = Math.round(Math.min(...recoveryWindow.map((w) => w.instant)) - Date.now());
      await worker.kill('SIGKILL');
      worker = startWorkerProcess(env);
      await worker.started;
      const restartMs = performance.now() - killedAt;
      log(`P3: worker killed; new worker pid ${worker.pid} polling after ${round(restartMs / 1000)} s`);
      // Every workflow answers its state query (a replay for each one not yet in the new cache),
      // measured while the recovery instants fall due.
      const queryStart = performance.now();
      let unanswered = 0;
      const sweep = forEachLimited(run.open, 32, async (incident) => {
        await queryState(temporal.client, `incident-${incident.incidentId}`).catch(() => {
          unanswered++;
        });
      }).then(() => performance.now());
      const recovery = await run.lag(recoveryWindow, 120_000);
      const answeredAt = await sweep;
      const allAnsweredMs = answeredAt - killedAt;
      const queryMs = answeredAt - queryStart;
      const firstWriteAfterKill = run.writeTimes(recoveryWindow).filter((t) => t > killedAtMs);
      const writesFlowAgainMs = firstWriteAfterKill.length === 0 ? NaN : Math.min(...firstWriteAfterKill) - killedAtMs;
      log(`P3: recovery lag p50 ${recovery.lag.p50} p99 ${recovery.lag.p99} ms`);
      log(
        `P3: ${run.open.length - unanswered}/${run.open.length} workflows answered a query ${round(allAnsweredMs / 1000)} s after the kill`,
      );
      const recoveryPeak = Math.max(...memory.samples.filter((s) => s.phase === 'recovery').map((s) => s.hwmMiB));

      const lagFigure = (what: string, value: number, goal: string | null, met: boolean | null): Figure => ({
        what,
        value,
        unit: 'ms',
        goal,
        baseline: {
          what: `same with ${baselineOpen} open incidents (ms)`,
          value: what.includes('p50') ? baseline.lag.p50 : baseline.lag.p99,
        },
        ratio: round(value / (what.includes('p50') ? baseline.lag.p50 : baseline.lag.p99)),
        met,
      });
      const rawFigure = (what: string, value: number, unit: string): Figure => ({
        what,
        value,
        unit,
        goal: null,
        baseline: null,
        ratio: null,
        met: null,
      });
      return {
        id: 'P3',
        title: this.title,
        figures: [
          {
            what: `worker peak RSS (VmHWM), ${run.open.length} open incidents`,
            value: peakRss,
            unit: 'MiB',
            goal: `≤ ${GOAL_RSS_MIB} MiB`,
            baseline: null,
            ratio: null,
            met: peakRss <= GOAL_RSS_MIB,
          },
          rawFigure(`worker steady RSS during the SLA window (median VmRSS)`, steadyRss, 'MiB'),
          lagFigure(`SLA status write lag at the warning instant, p50`, scaled.lag.p50, null, null),
          lagFigure(
            `SLA status write lag at the warning instant, p99`,
            scaled.lag.p99,
            `≤ ${GOAL_LAG_P99_MS} ms`,
            scaled.lag.p99 <= GOAL_LAG_P99_MS,
          ),
          rawFigure(
            `start + initialise ${fill} incident workflows (context load + SLA write each)`,
            round(fillStartMs / 1000),
            's',
          ),
          rawFigure('worker restart after SIGKILL: new process polling', round(restartMs / 1000), 's'),
          rawFigure('after SIGKILL: first SLA write of the new worker', round(writesFlowAgainMs / 1000), 's'),
          rawFigure('after SIGKILL: SLA write lag of the instants around the restart, p99', recovery.lag.p99, 'ms'),
          rawFigure(
            `after SIGKILL: all ${run.open.length} workflows answered a query`,
            round(allAnsweredMs / 1000),
            's',
          ),
        ],
        raw: {
          total,
          maxCachedWorkflows: MAX_CACHED_WORKFLOWS,
          open: run.open.length,
          windowCount,
          windowSpanMs,
          baseline,
          scaled,
          recovery,
          firstInstantAfterKillMs: firstInstantAfterKill,
          writesFlowAgainMs,
          recoveryPeakMiB: recoveryPeak,
          queryMs: round(queryMs),
          unanswered,
          seedRowsMs: round(seedRowsMs),
          fillStartMs: round(fillStartMs),
          windowStartMs: round(windowStartMs),
          firstWorkerPid,
          memory: memory.samples.filter((_, i) => i % 10 === 0),
          workerProblems: [...problemsBefore, ...worker.problems].slice(0, 20),
        },
        notes: [
          `Seeding: incident rows (type «${TYPE}», sla_minutes ${SLA_MINUTES}) inserted in batches and their issues created directly in the emulator (incidents.code set): ${round(seedRowsMs / 1000)} s for ${fill}. Then every workflow is started (client.workflow.start, 32 in flight): each loads its context and writes its SLA fields once (SLA-5 on a fresh run: GET + PATCH of the issue) before it waits on its timers — ${round(fillStartMs / 1000)} s for ${fill} (${round(fill / (fillStartMs / 1000))} workflows/s).`,
          `Lag = the emulator's changelog updatedAt of the «${SLA_STATUS.lessThanHour}» write − the warning instant (deadline − 60 min) computed from the registration time. ${windowCount} instants evenly over ${windowSpanMs / 1000} s with ${run.open.length} open workflows; baseline ${baselineWindow} instants over 30 s with ${baselineOpen} open. Measured ${scaled.measured}, started late ${scaled.startedLate}, missing ${scaled.missing}.`,
          `Worker option changed: WORKER_MAX_CACHED_WORKFLOWS=${MAX_CACHED_WORKFLOWS} (default 2000). A quick run at the default measured ~320 MiB RSS with 100 cached workflows and ~820 MiB with 1,000 (≈ 0.55 MiB per cached workflow), so 2000 cached would be ≈ 1.4 GB, over the goal. Other limits at their defaults (WORKER_MAX_CONCURRENT_WORKFLOW_TASKS 40, WORKER_MAX_CONCURRENT_ACTIVITIES 50). With more open workflows than cache slots, a timer of an evicted workflow replays its (short) history first: that cost is inside the lag.`,
          `Recovery: ${recoveryCount} further instants were armed ${round(firstInstantAfterKill / 1000)} s after the SIGKILL; the new worker process (bundle build included) polled ${round(restartMs / 1000)} s after the kill and wrote its first SLA status ${round(writesFlowAgainMs / 1000)} s after it; those instants' lag p50 ${recovery.lag.p50} / p99 ${recovery.lag.p99} ms (measured ${recovery.measured}, missing ${recovery.missing}); all ${run.open.length} workflows answered the state query ${round(allAnsweredMs / 1000)} s after the kill (${unanswered} did not). Peak RSS of the new worker ${recoveryPeak} MiB.`,
          'The machine is shared (load average in the header): the worker, the Temporal dev server, PostgreSQL and the emulator (in the bench process) run on the same 2 cores.',
        ],
      };
    } finally {
      memory.stop();
      await worker.kill('SIGTERM').catch(() => undefined);
      // The workflows stay on the run's dev server, which the bench runner stops after the run.
      await temporal.close();
      await database.drop().catch(() => undefined);
      await emulator.close();
    }
  },
};
