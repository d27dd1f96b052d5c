// JSON views of the records. Every entity and reference carries `self` built from the request's host
// and API version: the official Python client picks the collection of an object from the path of `self`.
import { CATEGORY_NAMES } from './catalog.js';
import type {
  AttachmentRecord,
  ChangelogRecord,
  CommentRecord,
  DictionaryRecord,
  FieldRecord,
  IssueRecord,
  StatusRecord,
  TransitionRecord,
  UserRecord,
} from './model.js';
import type { IssueService } from './issues.js';
import { fieldRef, renderFieldValue, userRef } from './values.js';
import type { RenderBase } from './values.js';

type Json = Record<string, unknown>;

export interface IssueRenderOptions {
  expand?: Set<string>;
}

export function renderIssue(
  base: RenderBase,
  service: IssueService,
  issue: IssueRecord,
  opts: IssueRenderOptions = {},
) {
  const view: Json = {
    self: `${base.apiBase}/issues/${issue.key}`,
    id: issue.id,
    key: issue.key,
    version: issue.version,
  };
  if (issue.unique !== undefined) view['unique'] = issue.unique;
  for (const field of base.catalog.fields) {
    const value = issue.values[field.id];
    if (value === undefined || field.id === 'key' || service.effectiveField(field).hidden) continue;
    view[field.id] = renderFieldValue(base, field, value);
  }
  const comments = service.comments(issue);
  view['commentWithoutExternalMessageCount'] = comments.filter((c) => c.transport === 'internal').length;
  view['commentWithExternalMessageCount'] = comments.filter((c) => c.transport === 'email').length;
  view['votes'] = 0;
  view['favorite'] = false;
  if (opts.expand?.has('transitions')) {
    view['transitions'] = service.availableTransitions(issue).map((t) => renderTransition(base, issue, t));
  }
  if (opts.expand?.has('attachments')) {
    view['attachments'] = issueAttachments(service, issue).map((a) => renderAttachment(base, a));
  }
  return view;
}

export function issueAttachments(service: IssueService, issue: IssueRecord): AttachmentRecord[] {
  return issue.attachmentIds.flatMap((id) => service.attachment(id) ?? []);
}

export function issueRef(base: RenderBase, issue: IssueRecord): Json {
  return {
    self: `${base.apiBase}/issues/${issue.key}`,
    id: issue.id,
    key: issue.key,
    display: String(issue.values['summary'] ?? issue.key),
  };
}

export function renderComment(base: RenderBase, service: IssueService, issue: IssueRecord, c: CommentRecord): Json {
  const view: Json = {
    self: commentSelf(base, issue, c),
    id: c.id,
    longId: c.longId,
    text: c.text,
    createdBy: userRef(base, c.createdBy),
    updatedBy: userRef(base, c.updatedBy),
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    version: c.version,
    type: c.type,
    transport: c.transport,
  };
  if (c.summonees.length > 0) view['summonees'] = c.summonees.map((uid) => userRef(base, uid));
  if (c.attachmentIds.length > 0) {
    view['attachments'] = c.attachmentIds.flatMap((id) => {
      const a = service.attachment(id);
      return a ? [{ self: `${base.apiBase}/attachments/${a.id}`, id: a.id, display: a.name }] : [];
    });
  }
  if (c.email) {
    view['email'] = {
      subject: c.email.subject,
      text: c.email.text,
      info: { from: c.email.from, to: [...c.email.to], cc: [...c.email.cc] },
    };
  }
  return view;
}

const commentSelf = (base: RenderBase, issue: IssueRecord, c: CommentRecord): string =>
  `${base.apiBase}/issues/${issue.key}/comments/${c.id}`;

export function renderChangelog(base: RenderBase, issue: IssueRecord, entry: ChangelogRecord): Json {
  const view: Json = {
    id: entry.id,
    self: `${base.apiBase}/issues/${issue.key}/changelog/${entry.id}`,
    issue: issueRef(base, issue),
    updatedAt: entry.updatedAt,
    updatedBy: userRef(base, entry.updatedBy),
    type: entry.type,
    transport: entry.transport,
    fields: entry.fields.flatMap((change) => {
      const field = base.catalog.field(change.fieldId);
      if (!field) return [];
      return [
        {
          field: fieldRef(base, field),
          from: change.from === null ? null : renderFieldValue(base, field, change.from),
          to: change.to === null ? null : renderFieldValue(base, field, change.to),
        },
      ];
    }),
  };
  const commentRef = (id: number) => ({
    self: `${base.apiBase}/issues/${issue.key}/comments/${id}`,
    id: String(id),
    display: String(id),
  });
  if (entry.commentsAdded.length > 0 || entry.commentsUpdated.length > 0) {
    const comments: Json = {};
    if (entry.commentsAdded.length > 0) comments['added'] = entry.commentsAdded.map(commentRef);
    if (entry.commentsUpdated.length > 0) comments['updated'] = entry.commentsUpdated.map(commentRef);
    view['comments'] = comments;
  }
  if (entry.attachmentsAdded.length > 0) {
    view['attachments'] = {
      added: entry.attachmentsAdded.map((id) => ({ self: `${base.apiBase}/attachments/${id}`, id, display: id })),
    };
  }
  return view;
}

export function renderTransition(base: RenderBase, issue: IssueRecord, t: TransitionRecord): Json {
  const status = base.catalog.status(t.to);
  return {
    self: `${base.apiBase}/issues/${issue.key}/transitions/${t.id}`,
    id: t.id,
    display: t.display,
    to: status ? statusRef(base, status) : { id: t.to, key: t.to, display: t.to },
  };
}

export function statusRef(base: RenderBase, s: StatusRecord): Json {
  return { self: `${base.apiBase}/statuses/${s.id}`, id: s.id, key: s.key, display: s.name };
}

export function renderStatus(base: RenderBase, s: StatusRecord): Json {
  return {
    self: `${base.apiBase}/statuses/${s.id}`,
    id: s.id,
    version: 1,
    key: s.key,
    name: s.name,
    description: '',
    order: s.order,
    type: s.type,
  };
}

export function renderDictionary(base: RenderBase, collection: string, d: DictionaryRecord): Json {
  return {
    self: `${base.apiBase}/${collection}/${d.id}`,
    id: d.id,
    version: 1,
    key: d.key,
    name: d.name,
    description: '',
    order: d.order,
  };
}

export function renderUser(base: RenderBase, u: UserRecord): Json {
  return {
    self: `${base.apiBase}/users/${u.uid}`,
    uid: u.uid,
    login: u.login,
    trackerUid: u.uid,
    passportUid: u.uid - 8000000000000000 + 1130000000000000,
    cloudUid: `ajesandbox${u.login.replace(/[^a-z0-9]/g, '')}`,
    firstName: u.firstName,
    lastName: u.lastName,
    display: `${u.firstName} ${u.lastName}`,
    email: u.email,
    external: false,
    hasLicense: true,
    dismissed: u.dismissed,
    useNewFilters: true,
    disableNotifications: u.disableNotifications,
    firstLoginDate: '2024-01-15T09:00:00.000+0000',
    lastLoginDate: '2024-06-01T09:00:00.000+0000',
    welcomeMailSent: true,
  };
}

const SCHEMA_TYPES: Record<FieldRecord['kind'], { type: string; items?: string }> = {
  string: { type: 'string' },
  text: { type: 'text' },
  integer: { type: 'integer' },
  float: { type: 'float' },
  date: { type: 'date' },
  datetime: { type: 'datetime' },
  user: { type: 'user' },
  users: { type: 'array', items: 'user' },
  strings: { type: 'array', items: 'string' },
  queue: { type: 'queue' },
  issuetype: { type: 'issuetype' },
  priority: { type: 'priority' },
  status: { type: 'status' },
  resolution: { type: 'resolution' },
};

export function renderField(base: RenderBase, field: FieldRecord): Json {
  const ref = fieldRef(base, field);
  const view: Json = {
    self: ref['self'],
    id: field.id,
    name: field.name,
    description: field.description,
    key: field.key,
    version: field.version,
    schema: { ...SCHEMA_TYPES[field.kind], required: field.required },
    readonly: field.readonly,
    visible: field.visible,
    hidden: field.hidden,
    options: field.options !== undefined,
    suggest: field.kind === 'user' || field.kind === 'users',
    queryProvider: { type: field.options ? 'StringOptionsQueryProvider' : 'DefaultQueryProvider' },
    order: field.order,
    category: {
      self: `${base.apiBase}/fields/categories/${field.categoryId}`,
      id: field.categoryId,
      display: CATEGORY_NAMES[field.categoryId] ?? field.categoryId,
    },
    type: field.localQueueKey === undefined ? 'standard' : 'local',
  };
  if (field.options) view['optionsProvider'] = { type: 'FixedListOptionsProvider', values: [...field.options] };
  if (field.localQueueKey !== undefined) {
    const q = base.catalog.queue;
    view['queue'] = { self: `${base.apiBase}/queues/${q.key}`, id: q.id, key: q.key, display: q.name };
  }
  return view;
}

export function renderQueue(base: RenderBase): Json {
  const { catalog, apiBase } = base;
  const q = catalog.queue;
  const lead = catalog.user(q.leadLogin);
  const type = catalog.issueType(q.defaultTypeKey);
  const priority = catalog.priority(q.defaultPriorityKey);
  return {
    self: `${apiBase}/queues/${q.key}`,
    id: q.id,
    key: q.key,
    version: 1,
    name: q.name,
    description: q.description,
    ...(lead ? { lead: userRef(base, lead.uid) } : {}),
    assignAuto: false,
    allowExternals: true,
    denyVoting: false,
    ...(type
      ? { defaultType: { self: `${apiBase}/issuetypes/${type.id}`, id: type.id, key: type.key, display: type.name } }
      : {}),
    ...(priority
      ? {
          defaultPriority: {
            self: `${apiBase}/priorities/${priority.id}`,
            id: priority.id,
            key: priority.key,
            display: priority.name,
          },
        }
      : {}),
    issueTypes: catalog.issueTypes.map((t) => ({
      self: `${apiBase}/issuetypes/${t.id}`,
      id: t.id,
      key: t.key,
      display: t.name,
    })),
  };
}

export function renderAttachment(base: RenderBase, a: AttachmentRecord): Json {
  return {
    self: `${base.apiBase}/attachments/${a.id}`,
    id: a.id,
    name: a.name,
    content: `${base.apiBase}/attachments/${a.id}/${encodeURIComponent(a.name)}`,
    createdBy: userRef(base, a.createdBy),
    createdAt: a.createdAt,
    mimetype: a.mimetype,
    size: a.size,
  };
}
