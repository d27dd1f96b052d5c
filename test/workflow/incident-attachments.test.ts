// ATT-6 on the dev server against the emulator: stored files of the primary e-mail go with the issue
// creation, files of a reply with its comment; a missing blob is marked `missing` and skipped, a file
// over ATTACHMENT_MAX_UPLOAD_MB and metadata-only rows are never uploaded.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { sql } from 'slonik';
import { z } from 'zod';
import { createIncidentActivities } from '../../src/activities/incident.js';
import type { Config } from '../../src/config/load.js';
import { createTrackerClient } from '../../src/adapters/tracker/index.js';
import { startTrackerEmulator } from '../../src/sandbox/tracker/index.js';
import type { TrackerEmulator } from '../../src/sandbox/tracker/index.js';
import { incidentWorkflow, mailSignal, stateQuery } from '../../src/workflows/incident.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { recordHistory } from '../support/replay.js';
import { connectTemporal, type TemporalTestContext } from '../support/temporal.js';
import {
  emulatorConfig,
  insertEmail,
  insertIncident,
  quietLogger,
  seedAcceptanceDirectory,
  seedAcceptanceDispatchers,
  waitFor,
} from './incident-fixtures.js';

let emulator: TrackerEmulator;
let database: TestDatabase;
let temporal: TemporalTestContext;
let config: Config;
let attachmentsDir: string;

beforeAll(async () => {
  emulator = await startTrackerEmulator();
  database = await createTestDatabase('incident_attachments');
  temporal = await connectTemporal('incident-attachments');
  attachmentsDir = await mkdtemp(join(tmpdir(), 'dispatch-att6-'));
  config = emulatorConfig(emulator, database.url, { ATTACHMENTS_DIR: attachmentsDir, ATTACHMENT_MAX_UPLOAD_MB: '1' });
  await seedAcceptanceDirectory(database.pool);
  await seedAcceptanceDispatchers(database.pool);
});

afterAll(async () => {
  await temporal.close();
  await database.drop();
  await emulator.close();
  await rm(attachmentsDir, { recursive: true, force: true });
});

/** ATT-3 layout: `<dir>/<h[0:2]>/<h[2:4]>/<sha256>`; `write: false` leaves the blob missing. */
async function addAttachment(
  emailId: number,
  partIndex: number,
  file: { name: string; mime: string; bytes: Buffer; status?: string; write?: boolean },
): Promise<number> {
  const sha = createHash('sha256').update(file.bytes).digest('hex');
  if (file.write !== false) {
    const dir = join(attachmentsDir, sha.slice(0, 2), sha.slice(2, 4));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, sha), file.bytes);
  }
  return database.pool.oneFirst(sql.type(z.object({ id: z.number() }))`
    INSERT INTO attachments (email_id, part_index, kind, original_name, mime_type, size, sha256, status)
    VALUES (${emailId}, ${partIndex}, 'attachment', ${file.name}, ${file.mime}, ${file.bytes.length}, ${sha},
            ${file.status ?? 'stored'})
    RETURNING id`);
}

const statusOf = (attachmentId: number) =>
  database.pool.oneFirst(sql.type(z.object({ status: z.string() }))`
    SELECT status FROM attachments WHERE id = ${attachmentId}`);

/** Names of the files attached to the issue, and of those added by its comments (changelog). */
async function uploadedNames(key: string): Promise<{ issue: string[]; byComments: string[] }> {
  const client = createTrackerClient(config.tracker, database.pool, quietLogger());
  const files = (await client.readAll('GET', `/v2/issues/${key}/attachments`)) as Array<{ id: string; name: string }>;
  const names = new Map(files.map((f) => [String(f.id), f.name] as const));
  const byComments = (emulator.issueHistory(key)?.changelog ?? [])
    .filter((entry) => entry['type'] === 'IssueCommentAdded')
    .flatMap((entry) => (entry['attachments'] as { added?: Array<{ id: string }> } | undefined)?.added ?? [])
    .map((a) => names.get(String(a.id)) ?? String(a.id));
  return { issue: files.map((f) => f.name).sort(), byComments };
}

describe('ATT-6: attachments reach Tracker with the issue and with the comments', () => {
  test('primary files go with the creation, reply files with the comment; missing and oversize are skipped', async () => {
    const { incidentId, emailId: primaryId } = await insertIncident(database.pool, {
      messageId: '<att6-original@operator.ru>',
      subject: 'Авария с фото',
      from: 'noc@operator.ru',
      to: ['disp@example.ru'],
      date: new Date('2025-03-05T07:15:00.000Z'),
      body: 'нет питания на БС MSK0123, фото во вложении',
    });
    await addAttachment(primaryId, 1, { name: 'фото щита.jpg', mime: 'image/jpeg', bytes: Buffer.from('jpeg-bytes') });
    const missing = await addAttachment(primaryId, 2, {
      name: 'lost.pdf',
      mime: 'application/pdf',
      bytes: Buffer.from('never written'),
      write: false,
    });
    const oversize = await addAttachment(primaryId, 3, {
      name: 'video.mp4',
      mime: 'video/mp4',
      bytes: Buffer.alloc(2 * 1024 * 1024, 1),
    });
    const replyId = await insertEmail(database.pool, incidentId, {
      messageId: '<att6-reply@remont.ru>',
      inReplyTo: '<att6-original@operator.ru>',
      subject: 'Re: Авария с фото',
      from: 'avr@remont.ru',
      date: new Date('2025-03-05T08:00:00.000Z'),
      body: 'Акт во вложении.',
    });
    await addAttachment(replyId, 1, { name: 'акт.xlsx', mime: 'application/vnd.ms-excel', bytes: Buffer.from('xlsx') });

    const activities = createIncidentActivities({
      config,
      db: database.pool,
      log: quietLogger(),
      temporal: temporal.client,
    });
    await temporal.withWorker(
      async () => {
        const handle = await temporal.client.workflow.signalWithStart(incidentWorkflow, {
          workflowId: `incident-${incidentId}`,
          taskQueue: temporal.taskQueue,
          args: [{ incidentId }],
          signal: mailSignal,
          signalArgs: [{ emailId: replyId }],
        });
        await waitFor(
          () => handle.query(stateQuery),
          (s) => s.initialized && s.handledEmailIds.includes(replyId) && s.pendingEmailIds.length === 0,
        );
        await recordHistory(
          temporal.client,
          `incident-${incidentId}`,
          'incident-attachments',
          'ATT-6 (incident-attachments)',
        );
        await handle.terminate('test done');
      },
      { activities },
    );
    const key = await database.pool.oneFirst(sql.type(z.object({ code: z.string() }))`
      SELECT code FROM incidents WHERE id = ${incidentId}`);
    const history = emulator.issueHistory(key);
    expect(history?.comments).toHaveLength(1);
    expect(await uploadedNames(key)).toEqual({ issue: ['акт.xlsx', 'фото щита.jpg'], byComments: ['акт.xlsx'] });
    expect(await statusOf(missing)).toBe('missing');
    expect(await statusOf(oversize)).toBe('stored');
  });
});
