// The emulator's records. Directory data (users, statuses, fields, …) comes from the seed and never
// changes at run time except field settings; issues, comments and changelog are the mutable state.

export interface UserRecord {
  uid: number;
  login: string;
  firstName: string;
  lastName: string;
  email: string;
  dismissed: boolean;
  disableNotifications: boolean;
}

/** Tracker status categories; `done` and `cancelled` count as closed. */
export type StatusType = 'new' | 'inProgress' | 'paused' | 'done' | 'cancelled';

export interface StatusRecord {
  id: string;
  key: string;
  name: string;
  type: StatusType;
  order: number;
}

export interface TransitionRecord {
  id: string;
  /** Status keys this transition is offered from. */
  from: string[];
  to: string;
  display: string;
  /** The closing screen asks for a resolution. */
  requiresResolution: boolean;
}

export interface DictionaryRecord {
  id: string;
  key: string;
  name: string;
  order: number;
}

/**
 * How a field's value is stored, validated and rendered. Users are stored by uid, dictionary values
 * (type, priority, status, resolution) by key, date-times in Tracker's own UTC format.
 */
export type FieldKind =
  | 'string'
  | 'text'
  | 'integer'
  | 'float'
  | 'date'
  | 'datetime'
  | 'user'
  | 'users'
  | 'strings'
  | 'queue'
  | 'issuetype'
  | 'priority'
  | 'status'
  | 'resolution';

export interface FieldRecord {
  /** Global fields: the key itself; local fields: `<24-hex prefix>--<key>`. */
  id: string;
  key: string;
  name: string;
  description: string;
  kind: FieldKind;
  /** Fixed dropdown values (FixedListOptionsProvider). */
  options?: string[];
  /** System fields that no request may write (status goes through transitions). */
  system: boolean;
  required: boolean;
  readonly: boolean;
  visible: boolean;
  hidden: boolean;
  categoryId: string;
  order: number;
  version: number;
  /** Present for queue-local fields. */
  localQueueKey?: string;
}

export interface QueueRecord {
  id: string;
  key: string;
  name: string;
  description: string;
  leadLogin: string;
  defaultTypeKey: string;
  defaultPriorityKey: string;
}

/** Stored field values: primitives, uids, keys, string arrays or uid arrays. */
export type FieldValue = string | number | string[] | number[];

export interface IssueRecord {
  id: string;
  key: string;
  queueKey: string;
  version: number;
  unique?: string;
  /** Field id → value; absent = empty. Includes system fields (status, createdAt, …). */
  values: Record<string, FieldValue>;
  attachmentIds: string[];
}

export interface EmailInfo {
  subject: string;
  text: string;
  from: string;
  to: string[];
  cc: string[];
}

export interface CommentRecord {
  id: number;
  longId: string;
  issueId: string;
  text: string;
  createdBy: number;
  updatedBy: number;
  createdAt: string;
  updatedAt: string;
  version: number;
  type: 'standard' | 'incoming' | 'outcoming';
  transport: 'internal' | 'email';
  summonees: number[];
  attachmentIds: string[];
  email?: EmailInfo;
}

/** A changed value as rendered into the changelog (`from` / `to`). */
export interface FieldChange {
  fieldId: string;
  from: FieldValue | null;
  to: FieldValue | null;
}

export type ChangeType =
  | 'IssueCreated'
  | 'IssueUpdated'
  | 'IssueWorkflow'
  | 'IssueCommentAdded'
  | 'IssueCommentUpdated'
  | 'IssueAttachmentAdded';

export interface ChangelogRecord {
  id: string;
  issueId: string;
  updatedAt: string;
  updatedBy: number;
  type: ChangeType;
  /** `front` for actions of a person in the UI (admin API), `api` for REST calls. */
  transport: 'front' | 'api';
  fields: FieldChange[];
  commentsAdded: number[];
  commentsUpdated: number[];
  attachmentsAdded: string[];
}

export interface AttachmentRecord {
  id: string;
  name: string;
  mimetype: string;
  size: number;
  sha256: string;
  createdBy: number;
  createdAt: string;
  /** Issue it is attached to; absent while it is a temporary upload. */
  issueId?: string;
}
