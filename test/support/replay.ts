// Recording workflow histories for the replay suite (ARCHITECTURE.md §8): tests of real scenarios
// call `recordHistory` at their end; it writes only when DISPATCH_RECORD_HISTORIES names the
// directory (`npm run replay:record`), so a normal test run never changes test/replay/.
// Histories are stored as binary protobuf (base64) with a readable list of their event types: the
// SDK's proto-JSON reader fails with the protobufjs versions installed here ("type must be a Type").
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

export const RECORD_HISTORIES_ENV = 'DISPATCH_RECORD_HISTORIES';

const { History, EventType } = {
  History: proto.temporal.api.history.v1.History,
  EventType: proto.temporal.api.enums.v1.EventType,
};

/** A recorded history as stored under test/replay/histories. */
export interface RecordedHistory {
  name: string;
  workflowId: string;
  workflowType: string;
  /** The scenario the history comes from (test file and test name). */
  scenario: string;
  recordedAt: string;
  /** For reviewers: the event types in order. */
  events: string[];
  /** `temporal.api.history.v1.History`, protobuf-encoded, base64. */
  historyBase64: string;
}

export function decodeHistory(record: RecordedHistory): proto.temporal.api.history.v1.IHistory {
  return History.decode(Buffer.from(record.historyBase64, 'base64'));
}

export async function recordHistory(client: Client, workflowId: string, name: string, scenario: string): Promise<void> {
  const dir = process.env[RECORD_HISTORIES_ENV];
  if (dir === undefined || dir === '') return;
  const handle = client.workflow.getHandle(workflowId);
  const [history, description] = await Promise.all([handle.fetchHistory(), handle.describe()]);
  const encoded = History.encode(History.create(history)).finish();
  const record: RecordedHistory = {
    name,
    workflowId,
    workflowType: description.type,
    scenario,
    recordedAt: new Date().toISOString(),
    events: (history.events ?? []).map((e) => String(EventType[e.eventType ?? 0] ?? e.eventType)),
    historyBase64: Buffer.from(encoded).toString('base64'),
  };
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${name}.json`), `${JSON.stringify(record, null, 1)}\n`);
}
