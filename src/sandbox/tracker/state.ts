// The mutable part of the sandbox (issues, comments, changelog, tokens, field settings) and its
// optional persistence: one JSON file rewritten atomically (temp file + rename) after every change.
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { AttachmentRecord, ChangelogRecord, CommentRecord, IssueRecord } from './model.js';

export interface TokenRecord {
  token: string;
  login: string;
  /** Epoch ms; null = never expires. */
  expiresAt: number | null;
}

/** Settings an administrator may change on a field (YT-5 setup command). */
export interface FieldSettings {
  name?: string;
  description?: string;
  readonly?: boolean;
  visible?: boolean;
  hidden?: boolean;
  version: number;
}

export interface EmulatorState {
  formatVersion: 1;
  queueKey: string;
  counters: { issueNumber: number; objectId: number; commentId: number; attachmentId: number };
  issues: IssueRecord[];
  comments: CommentRecord[];
  changelog: ChangelogRecord[];
  attachments: AttachmentRecord[];
  accessTokens: TokenRecord[];
  refreshTokens: TokenRecord[];
  fieldSettings: Record<string, FieldSettings>;
}

export function emptyState(queueKey: string): EmulatorState {
  return {
    formatVersion: 1,
    queueKey,
    counters: { issueNumber: 0, objectId: 0, commentId: 100, attachmentId: 0 },
    issues: [],
    comments: [],
    changelog: [],
    attachments: [],
    accessTokens: [],
    refreshTokens: [],
    fieldSettings: {},
  };
}

/** A 24-hex ObjectId-like id: creation second + a counter, so ids sort in creation order. */
export function nextObjectId(state: EmulatorState, nowMs: number): string {
  state.counters.objectId += 1;
  const seconds = Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(8, '0')
    .slice(-8);
  return seconds + state.counters.objectId.toString(16).padStart(16, '0');
}

const fieldValue = z.union([z.string(), z.number(), z.array(z.string()), z.array(z.number())]);
const token = z.object({ token: z.string(), login: z.string(), expiresAt: z.number().nullable() });
const fieldChange = z.object({ fieldId: z.string(), from: fieldValue.nullable(), to: fieldValue.nullable() });

const stateSchema = z.object({
  formatVersion: z.literal(1),
  queueKey: z.string(),
  counters: z.object({
    issueNumber: z.number().int(),
    objectId: z.number().int(),
    commentId: z.number().int(),
    attachmentId: z.number().int(),
  }),
  issues: z.array(
    z.object({
      id: z.string(),
      key: z.string(),
      queueKey: z.string(),
      version: z.number().int(),
      unique: z.string().optional(),
      values: z.record(z.string(), fieldValue),
      attachmentIds: z.array(z.string()),
    }),
  ),
  comments: z.array(
    z.object({
      id: z.number().int(),
      longId: z.string(),
      issueId: z.string(),
      text: z.string(),
      createdBy: z.number(),
      updatedBy: z.number(),
      createdAt: z.string(),
      updatedAt: z.string(),
      version: z.number().int(),
      type: z.enum(['standard', 'incoming', 'outcoming']),
      transport: z.enum(['internal', 'email']),
      summonees: z.array(z.number()),
      attachmentIds: z.array(z.string()),
      email: z
        .object({
          subject: z.string(),
          text: z.string(),
          from: z.string(),
          to: z.array(z.string()),
          cc: z.array(z.string()),
        })
        .optional(),
    }),
  ),
  changelog: z.array(
    z.object({
      id: z.string(),
      issueId: z.string(),
      updatedAt: z.string(),
      updatedBy: z.number(),
      type: z.enum([
        'IssueCreated',
        'IssueUpdated',
        'IssueWorkflow',
        'IssueCommentAdded',
        'IssueCommentUpdated',
        'IssueAttachmentAdded',
      ]),
      transport: z.enum(['front', 'api']),
      fields: z.array(fieldChange),
      commentsAdded: z.array(z.number()),
      commentsUpdated: z.array(z.number()),
      attachmentsAdded: z.array(z.string()),
    }),
  ),
  attachments: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      mimetype: z.string(),
      size: z.number(),
      sha256: z.string(),
      createdBy: z.number(),
      createdAt: z.string(),
      issueId: z.string().optional(),
    }),
  ),
  accessTokens: z.array(token),
  refreshTokens: z.array(token),
  fieldSettings: z.record(
    z.string(),
    z.object({
      name: z.string().optional(),
      description: z.string().optional(),
      readonly: z.boolean().optional(),
      visible: z.boolean().optional(),
      hidden: z.boolean().optional(),
      version: z.number().int(),
    }),
  ),
});

/** Reads a state file; undefined when it does not exist; throws a message naming the file if it is invalid. */
export function loadStateFile(path: string, queueKey: string): EmulatorState | undefined {
  if (!existsSync(path)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`Tracker sandbox state ${path}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new Error(`Tracker sandbox state ${path}: ${first?.path.join('.') ?? ''} ${first?.message ?? 'invalid'}`);
  }
  if (parsed.data.queueKey !== queueKey) {
    throw new Error(
      `Tracker sandbox state ${path} belongs to queue ${parsed.data.queueKey}, but the emulator was started for ${queueKey}`,
    );
  }
  return parsed.data;
}

export function saveStateFile(path: string, state: EmulatorState): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(state));
  renameSync(temp, path);
}
