// Issue #8 part 1, CI size: 150 generated mails through the whole product on real peers while the
// worker is SIGKILLed 3 times, Dovecot/Postfix, PostgreSQL and the Temporal dev server are each
// restarted once and Tracker answers 20 % 5xx, 10 % 429 and drops 5 % of responses after applying
// them. Afterwards nothing is lost or doubled (GEN-5). Part 4: no configured secret in any log.
// The run starts its own servers (it restarts them); the harness's shared ones are not used.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Fixtures } from '../../src/sandbox/fixtures/index.js';
import { CI_OPTIONS, chaosFixtures, runChaos, type ChaosReport } from '../chaos/runner.js';
import { summaryMarkdown } from '../chaos/summary.js';

const SEED = 808;
const LOGS = join(tmpdir(), `dispatch-chaos-ci-${process.pid}`);
let report: ChaosReport;
let fixtures: Fixtures;

beforeAll(async () => {
  fixtures = chaosFixtures(SEED, CI_OPTIONS.mails);
  report = await runChaos({ ...CI_OPTIONS, seed: SEED, keepLogsIn: LOGS });
  // Kept in the jest output: the figures RELIABILITY.md quotes, and the findings of a red run.
  process.stdout.write(summaryMarkdown(report));
}, 478_000);

afterAll(async () => {
  // The logs stay for a failed run (their path is in the summary); a clean run removes them.
  if (report?.invariants.violations.length === 0) await rm(LOGS, { recursive: true, force: true });
});

describe('issue #8: chaos run (CI size)', () => {
  test('the chaos happened: 3 worker SIGKILLs, one restart of each server, Tracker faults fired', () => {
    expect(report.workerKills).toBe(3);
    expect(report.events.map((e) => e.kind).sort()).toEqual([
      'mail-restart',
      'postgres-restart',
      'temporal-restart',
      'worker-kill',
      'worker-kill',
      'worker-kill',
    ]);
    expect(Object.values(report.trackerFaultsInjected).reduce((a, b) => a + b, 0)).toBeGreaterThan(20);
    expect(report.dispatcher.notices.ack).toBeGreaterThan(0);
  });

  test('GEN-5: the system settles: every incident workflow idle, no pending/sending outbox row', () => {
    expect(report.pendingAtEnd).toEqual([]);
    expect(report.quiesced).toBe(true);
  });

  test('MAIL-8 / MAIL-17: every generated mail stored exactly once (duplicates and bad input excluded)', () => {
    const rows = fixtures.expected.counts.rows;
    expect(report.invariants.emails).toEqual({ expected: rows, actual: rows, lost: 0, duplicated: 0 });
  });

  test('THREAD / INC: the incidents are exactly the expected grouping', () => {
    const n = fixtures.expected.incidents.length;
    expect(report.invariants.incidents).toEqual({ expected: n, actual: n, lost: 0, duplicated: 0 });
  });

  test('YT-9: one issue per incident, local ids unique', () => {
    const n = fixtures.expected.incidents.length;
    expect(report.invariants.issues).toEqual({ expected: n, actual: n, lost: 0, duplicated: 0 });
  });

  test('YT-10 / NOTIFY-4: one comment per commentable e-mail and per notice; e-mail-ids fields exact', () => {
    const { comments, emailIdsFields } = report.invariants;
    expect(comments.lost).toBe(0);
    expect(comments.duplicated).toBe(0);
    expect(comments.actual).toBe(comments.expected);
    expect(emailIdsFields).toEqual({ expected: fixtures.expected.incidents.length, wrong: 0 });
  });

  test('NOTIFY-3: every notice the dispatchers asked for is sent once and delivered once to each mailbox', () => {
    const asked = report.dispatcher.notices.ack + report.dispatcher.notices.close;
    const { notices } = report.invariants;
    expect(notices).toEqual({
      expected: asked,
      actual: asked,
      lost: 0,
      duplicated: 0,
      collectionCopies: asked,
      recipientCopies: asked,
    });
    expect(report.dispatcher.closedIssues).toBe(report.dispatcher.pickedIssues);
  });

  test('SLA-1…SLA-4: the SLA status field of every mail incident equals the status recomputed from the database', () => {
    const mailIncidents = fixtures.expected.incidents.filter((i) => i.origin === 'mail').length;
    expect(report.invariants.sla.checked).toBe(mailIncidents);
    expect(report.invariants.sla.wrong).toBe(0);
  });

  test('no stuck workflows: all incident workflows running and idle, nothing failed or terminated', () => {
    const { workflows } = report.invariants;
    expect(workflows.notRunning).toBe(0);
    expect(workflows.stuck).toBe(0);
    expect(workflows.failedAnywhere).toBe(0);
    expect(workflows.running).toBe(workflows.incidents);
  });

  test('issue #8 part 4: no configured secret appears in the worker, runner or server logs', () => {
    expect(report.invariants.secretsInLogs).toBe(0);
  });

  test('no invariant broken', () => {
    expect(report.invariants.violations).toEqual([]);
  });
});
