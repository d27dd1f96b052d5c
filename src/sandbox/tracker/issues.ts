// Issue operations shared by the REST API and the admin "act as a dispatcher" API: every change bumps
// the issue version, stamps updatedAt/updatedBy and writes one changelog entry, like Tracker does.
import { createHash } from 'node:crypto';
import type { Catalog } from './catalog.js';
import { ApiError, notFound, validationError } from './errors.js';
import type {
  AttachmentRecord,
  ChangeType,
  ChangelogRecord,
  CommentRecord,
  FieldChange,
  FieldRecord,
  FieldValue,
  IssueRecord,
  TransitionRecord,
} from './model.js';
import { nextObjectId } from './state.js';
import type { Store } from './store.js';
import { formatTrackerDateTime } from './time.js';
import type { Clock } from './time.js';
import { isArrayKind, isEmptyValue, parseArrayItems, parseFieldValue, sameValue } from './values.js';
import type { Parsed } from './values.js';

export interface Actor {
  uid: number;
  /** `front` = a person in the UI (admin API), `api` = a REST call. */
  transport: 'front' | 'api';
}

export interface StatusChange {
  issue: IssueRecord;
  from: string;
  to: string;
  changelogId: string;
  actorUid: number;
  at: string;
}

/** Body keys of issue creation that are not fields. */
const CREATE_KEYS = new Set(['queue', 'unique', 'author', 'createdBy', 'markupType', 'attachmentIds']);
const OPERATIONS = ['set', 'remove', 'add', 'replace'] as const;

export class IssueService {
  constructor(
    private readonly catalog: Catalog,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly onStatusChange: (change: StatusChange) => void,
  ) {}

  private get state() {
    return this.store.state;
  }

  private nowText(): string {
    return formatTrackerDateTime(this.clock());
  }

  /** A field with the administrator's settings (name, readonly, visible, hidden, version) applied. */
  effectiveField(field: FieldRecord): FieldRecord {
    const settings = this.state.fieldSettings[field.id];
    return settings ? { ...field, ...settings } : field;
  }

  /** All issues in creation order. */
  all(): IssueRecord[] {
    return this.state.issues;
  }

  issue(ref: string): IssueRecord | undefined {
    return this.state.issues.find((i) => i.key === ref || i.id === ref);
  }

  requireIssue(ref: string): IssueRecord {
    const issue = this.issue(ref);
    if (!issue) throw notFound(`Задача ${ref}`);
    return issue;
  }

  byUnique(unique: string): IssueRecord | undefined {
    return this.state.issues.find((i) => i.unique === unique);
  }

  comments(issue: IssueRecord): CommentRecord[] {
    return this.state.comments.filter((c) => c.issueId === issue.id);
  }

  comment(issue: IssueRecord, ref: string): CommentRecord | undefined {
    return this.comments(issue).find((c) => String(c.id) === ref || c.longId === ref);
  }

  changelog(issue: IssueRecord): ChangelogRecord[] {
    return this.state.changelog.filter((c) => c.issueId === issue.id);
  }

  attachment(id: string): AttachmentRecord | undefined {
    return this.state.attachments.find((a) => a.id === id);
  }

  availableTransitions(issue: IssueRecord): TransitionRecord[] {
    return this.catalog.transitionsFrom(String(issue.values['status']));
  }

  create(actor: Actor, body: Record<string, unknown>): IssueRecord {
    const errors: Record<string, string> = {};
    const queue = this.catalog.queueByRef(body['queue']);
    if (body['queue'] === undefined || body['queue'] === null) errors['queue'] = 'Обязательное поле';
    else if (!queue) throw notFound(`Очередь ${JSON.stringify(body['queue'])}`);
    const unique = body['unique'];
    if (unique !== undefined && unique !== null && typeof unique !== 'string') errors['unique'] = 'Ожидается строка';
    if (typeof unique === 'string' && this.byUnique(unique)) {
      throw new ApiError(409, [`Задача с unique "${unique}" уже существует`]);
    }
    let authorUid = actor.uid;
    const authorRef = body['author'] ?? body['createdBy'];
    if (authorRef !== undefined && authorRef !== null) {
      const author = this.catalog.user(authorRef);
      if (author) authorUid = author.uid;
      else errors['author'] = `Пользователь ${JSON.stringify(authorRef)} не найден`;
    }
    const values: Record<string, FieldValue> = {};
    for (const [key, raw] of Object.entries(body)) {
      if (CREATE_KEYS.has(key)) continue;
      const field = this.writableField(key, errors);
      if (!field) continue;
      const next = applyOperation(this.catalog, field, null, raw);
      if (!next.ok) errors[key] = next.error;
      else if (next.value !== null) values[field.id] = next.value;
    }
    if (values['summary'] === undefined && errors['summary'] === undefined) errors['summary'] = 'Обязательное поле';
    const attachments = this.claimAttachments(body['attachmentIds'], errors);
    if (Object.keys(errors).length > 0 || !queue) throw validationError(errors);

    const now = this.nowText();
    this.state.counters.issueNumber += 1;
    const key = `${queue.key}-${this.state.counters.issueNumber}`;
    const issue: IssueRecord = {
      id: nextObjectId(this.state, this.clock()),
      key,
      queueKey: queue.key,
      version: 1,
      ...(typeof unique === 'string' ? { unique } : {}),
      values: {
        type: queue.defaultTypeKey,
        priority: queue.defaultPriorityKey,
        ...values,
        key,
        queue: queue.key,
        status: this.catalog.statuses[0]?.key ?? 'open',
        statusStartTime: now,
        createdAt: now,
        updatedAt: now,
        createdBy: authorUid,
        updatedBy: actor.uid,
      },
      attachmentIds: [],
    };
    this.state.issues.push(issue);
    this.attach(issue, attachments, actor);
    this.appendChangelog(issue, actor, 'IssueCreated', [], {});
    this.store.commit();
    return issue;
  }

  update(actor: Actor, issue: IssueRecord, body: Record<string, unknown>, expectedVersion?: number): IssueRecord {
    this.checkVersion(issue, expectedVersion);
    const errors: Record<string, string> = {};
    const changes = this.fieldChanges(issue, body, errors, new Set(['attachmentIds']));
    const attachments = this.claimAttachments(body['attachmentIds'], errors);
    if (Object.keys(errors).length > 0) throw validationError(errors);
    if (changes.length === 0 && attachments.length === 0) return issue;
    this.applyChanges(issue, changes);
    this.attach(issue, attachments, actor);
    this.touch(issue, actor);
    const type: ChangeType = changes.length === 0 ? 'IssueAttachmentAdded' : 'IssueUpdated';
    this.appendChangelog(issue, actor, type, changes, { attachmentsAdded: attachments.map((a) => a.id) });
    this.store.commit();
    return issue;
  }

  executeTransition(
    actor: Actor,
    issue: IssueRecord,
    transitionId: string,
    body: Record<string, unknown>,
  ): { issue: IssueRecord; transitions: TransitionRecord[] } {
    const transition = this.requireTransition(issue, transitionId);
    const errors: Record<string, string> = {};
    const { comment, resolution, ...rest } = body;
    if (comment !== undefined && comment !== null && typeof comment !== 'string') {
      errors['comment'] = 'Ожидается строка';
    }
    const changes = this.fieldChanges(issue, rest, errors, new Set());
    const fromStatus = String(issue.values['status']);
    const statusChanges: FieldChange[] = [{ fieldId: 'status', from: fromStatus, to: transition.to }];
    const currentResolution = issue.values['resolution'] ?? null;
    if (transition.requiresResolution) {
      const parsed = this.catalog.resolution(resolution);
      if (!parsed) {
        errors['resolution'] =
          resolution === undefined || resolution === null ? 'Обязательное поле' : 'Резолюция не найдена';
      } else if (!sameValue(currentResolution, parsed.key)) {
        statusChanges.push({ fieldId: 'resolution', from: currentResolution, to: parsed.key });
      }
    } else if (resolution !== undefined && resolution !== null) {
      errors['resolution'] = 'Резолюция задаётся только при закрытии';
    } else if (currentResolution !== null) {
      statusChanges.push({ fieldId: 'resolution', from: currentResolution, to: null });
    }
    if (Object.keys(errors).length > 0) throw validationError(errors);

    const now = this.nowText();
    this.applyChanges(issue, [...statusChanges, ...changes]);
    issue.values['previousStatus'] = fromStatus;
    issue.values['statusStartTime'] = now;
    if (transition.requiresResolution) {
      issue.values['resolvedAt'] = now;
      issue.values['resolvedBy'] = actor.uid;
    } else {
      delete issue.values['resolvedAt'];
      delete issue.values['resolvedBy'];
    }
    const added = typeof comment === 'string' && comment !== '' ? [this.newComment(actor, issue, comment, {})] : [];
    this.touch(issue, actor);
    const entry = this.appendChangelog(issue, actor, 'IssueWorkflow', [...statusChanges, ...changes], {
      commentsAdded: added.map((c) => c.id),
    });
    this.store.commit();
    this.onStatusChange({
      issue,
      from: fromStatus,
      to: transition.to,
      changelogId: entry.id,
      actorUid: actor.uid,
      at: now,
    });
    return { issue, transitions: this.availableTransitions(issue) };
  }

  /** A transition of the workflow: 404 if the id is unknown, 409 if not offered from the current status. */
  requireTransition(issue: IssueRecord, transitionId: string): TransitionRecord {
    const available = this.availableTransitions(issue).find((t) => t.id === transitionId);
    if (available) return available;
    if (this.catalog.transitionIds().has(transitionId)) {
      throw new ApiError(409, [`Переход ${transitionId} недоступен из статуса ${String(issue.values['status'])}`]);
    }
    throw notFound(`Переход ${transitionId}`);
  }

  addComment(actor: Actor, issue: IssueRecord, body: Record<string, unknown>): CommentRecord {
    const errors: Record<string, string> = {};
    const email = parseEmail(body['email'], errors);
    const text = body['text'];
    if (text !== undefined && text !== null && typeof text !== 'string') errors['text'] = 'Ожидается строка';
    if (!email && (typeof text !== 'string' || text === '')) errors['text'] = 'Обязательное поле';
    const summonees = this.parseUsers(body['summonees'], 'summonees', errors);
    const attachments = this.claimAttachments(body['attachmentIds'], errors);
    if (Object.keys(errors).length > 0) throw validationError(errors);
    const comment = this.newComment(actor, issue, email ? email.text : String(text), {
      summonees,
      ...(email ? { email } : {}),
    });
    this.attach(issue, attachments, actor);
    comment.attachmentIds = attachments.map((a) => a.id);
    this.touch(issue, actor, false);
    this.appendChangelog(issue, actor, 'IssueCommentAdded', [], {
      commentsAdded: [comment.id],
      attachmentsAdded: comment.attachmentIds,
    });
    this.store.commit();
    return comment;
  }

  editComment(actor: Actor, issue: IssueRecord, comment: CommentRecord, body: Record<string, unknown>): CommentRecord {
    const text = body['text'];
    if (typeof text !== 'string' || text === '') throw validationError({ text: 'Обязательное поле' });
    if (text === comment.text) return comment;
    const now = this.nowText();
    comment.text = text;
    comment.version += 1;
    comment.updatedAt = now;
    comment.updatedBy = actor.uid;
    issue.values['lastCommentUpdatedAt'] = now;
    this.touch(issue, actor, false);
    this.appendChangelog(issue, actor, 'IssueCommentUpdated', [], { commentsUpdated: [comment.id] });
    this.store.commit();
    return comment;
  }

  /** Temporary upload (`POST /v2/attachments/`); linked to an issue by `attachmentIds`. */
  uploadAttachment(actor: Actor, name: string, mimetype: string, bytes: Uint8Array): AttachmentRecord {
    this.state.counters.attachmentId += 1;
    const attachment: AttachmentRecord = {
      id: String(this.state.counters.attachmentId),
      name,
      mimetype,
      size: bytes.byteLength,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      createdBy: actor.uid,
      createdAt: this.nowText(),
    };
    this.state.attachments.push(attachment);
    this.store.commit();
    return attachment;
  }

  private checkVersion(issue: IssueRecord, expected: number | undefined): void {
    if (expected !== undefined && expected !== issue.version) {
      throw new ApiError(409, [
        `Версия задачи ${issue.key} изменилась: ожидалась ${expected}, текущая ${issue.version}`,
      ]);
    }
  }

  private writableField(key: string, errors: Record<string, string>): FieldRecord | undefined {
    const base = this.catalog.field(key);
    if (!base) {
      errors[key] = 'Поле не существует';
      return undefined;
    }
    const field = this.effectiveField(base);
    if (field.id === 'status') errors[key] = 'Статус меняется только переходом';
    else if (field.system) errors[key] = 'Системное поле нельзя изменить';
    else if (field.readonly) errors[key] = 'Поле доступно только для чтения';
    else return field;
    return undefined;
  }

  private fieldChanges(
    issue: IssueRecord,
    body: Record<string, unknown>,
    errors: Record<string, string>,
    skip: Set<string>,
  ): FieldChange[] {
    const changes: FieldChange[] = [];
    for (const [key, raw] of Object.entries(body)) {
      if (skip.has(key)) continue;
      const field = this.writableField(key, errors);
      if (!field) continue;
      const current = issue.values[field.id] ?? null;
      const next = applyOperation(this.catalog, field, current, raw);
      if (!next.ok) errors[key] = next.error;
      else if (field.required && next.value === null) errors[key] = 'Обязательное поле';
      else if (!sameValue(current, next.value)) changes.push({ fieldId: field.id, from: current, to: next.value });
    }
    return changes;
  }

  private applyChanges(issue: IssueRecord, changes: FieldChange[]): void {
    for (const change of changes) {
      if (change.to === null) delete issue.values[change.fieldId];
      else issue.values[change.fieldId] = change.to;
    }
  }

  /** Comments move updatedAt but not the version: the version counts changes of the issue's fields. */
  private touch(issue: IssueRecord, actor: Actor, bumpVersion = true): void {
    if (bumpVersion) issue.version += 1;
    issue.values['updatedAt'] = this.nowText();
    issue.values['updatedBy'] = actor.uid;
  }

  private newComment(
    actor: Actor,
    issue: IssueRecord,
    text: string,
    extra: { summonees?: number[]; email?: CommentRecord['email'] },
  ): CommentRecord {
    const now = this.nowText();
    this.state.counters.commentId += 1;
    const comment: CommentRecord = {
      id: this.state.counters.commentId,
      longId: nextObjectId(this.state, this.clock()),
      issueId: issue.id,
      text,
      createdBy: actor.uid,
      updatedBy: actor.uid,
      createdAt: now,
      updatedAt: now,
      version: 1,
      type: extra.email ? 'outcoming' : 'standard',
      transport: extra.email ? 'email' : 'internal',
      summonees: extra.summonees ?? [],
      attachmentIds: [],
      ...(extra.email ? { email: extra.email } : {}),
    };
    this.state.comments.push(comment);
    issue.values['lastCommentUpdatedAt'] = now;
    return comment;
  }

  private appendChangelog(
    issue: IssueRecord,
    actor: Actor,
    type: ChangeType,
    fields: FieldChange[],
    extra: Partial<Pick<ChangelogRecord, 'commentsAdded' | 'commentsUpdated' | 'attachmentsAdded'>>,
  ): ChangelogRecord {
    const entry: ChangelogRecord = {
      id: nextObjectId(this.state, this.clock()),
      issueId: issue.id,
      updatedAt: this.nowText(),
      updatedBy: actor.uid,
      type,
      transport: actor.transport,
      fields,
      commentsAdded: extra.commentsAdded ?? [],
      commentsUpdated: extra.commentsUpdated ?? [],
      attachmentsAdded: extra.attachmentsAdded ?? [],
    };
    this.state.changelog.push(entry);
    return entry;
  }

  private parseUsers(raw: unknown, key: string, errors: Record<string, string>): number[] {
    if (isEmptyValue(raw)) return [];
    const users = this.catalog.field('followers');
    if (!users) return [];
    const parsed = parseArrayItems(this.catalog, users, raw);
    if (!parsed.ok) {
      errors[key] = parsed.error;
      return [];
    }
    return parsed.value as number[];
  }

  /** Temporary attachments named in `attachmentIds`; unknown or already attached ids are errors. */
  private claimAttachments(raw: unknown, errors: Record<string, string>): AttachmentRecord[] {
    if (isEmptyValue(raw)) return [];
    const ids = Array.isArray(raw) ? (raw as unknown[]) : [raw];
    const found: AttachmentRecord[] = [];
    for (const id of ids) {
      const attachment = this.attachment(String(id));
      if (!attachment || attachment.issueId !== undefined) {
        errors['attachmentIds'] = `Временный файл ${String(id)} не найден`;
        return [];
      }
      found.push(attachment);
    }
    return found;
  }

  private attach(issue: IssueRecord, attachments: AttachmentRecord[], _actor: Actor): void {
    for (const attachment of attachments) {
      attachment.issueId = issue.id;
      issue.attachmentIds.push(attachment.id);
    }
  }
}

/**
 * Applies one body value to a field: a plain value sets it (null / "" / [] clear it); an object made
 * only of `set` / `add` / `remove` / `replace` is an operation (add/remove/replace on list fields).
 */
export function applyOperation(
  catalog: Catalog,
  field: FieldRecord,
  current: FieldValue | null,
  raw: unknown,
): Parsed<FieldValue | null> {
  if (!isOperation(raw)) return parseFieldValue(catalog, field, raw);
  const op = raw as Record<string, unknown>;
  let value: FieldValue | null = current;
  for (const name of OPERATIONS) {
    if (!(name in op)) continue;
    if (name === 'set') {
      const parsed = parseFieldValue(catalog, field, op['set']);
      if (!parsed.ok) return parsed;
      value = parsed.value;
      continue;
    }
    if (!isArrayKind(field)) return { ok: false, error: `Операция ${name} применима только к полям-спискам` };
    const list: Array<string | number> = value === null ? [] : [...(value as Array<string | number>)];
    if (name === 'replace') {
      const pairs = op['replace'];
      if (!Array.isArray(pairs)) return { ok: false, error: 'replace: ожидается список {target, replacement}' };
      for (const pair of pairs as unknown[]) {
        const p = (pair ?? {}) as Record<string, unknown>;
        const target = parseArrayItems(catalog, field, p['target']);
        const replacement = parseArrayItems(catalog, field, p['replacement']);
        if (!target.ok) return target;
        if (!replacement.ok) return replacement;
        const from = (target.value as Array<string | number>)[0];
        const to = (replacement.value as Array<string | number>)[0];
        const index = list.indexOf(from as string | number);
        if (index >= 0 && to !== undefined) list[index] = to;
      }
    } else {
      const items = parseArrayItems(catalog, field, op[name]);
      if (!items.ok) return items;
      for (const item of items.value as Array<string | number>) {
        const index = list.indexOf(item);
        if (name === 'add' && index < 0) list.push(item);
        if (name === 'remove' && index >= 0) list.splice(index, 1);
      }
    }
    value = list.length === 0 ? null : (list as FieldValue);
  }
  return { ok: true, value };
}

function isOperation(raw: unknown): boolean {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return false;
  const keys = Object.keys(raw);
  return keys.length > 0 && keys.every((k) => (OPERATIONS as readonly string[]).includes(k));
}

function parseEmail(raw: unknown, errors: Record<string, string>): CommentRecord['email'] | undefined {
  if (raw === undefined || raw === null) return undefined;
  const email = raw as Record<string, unknown>;
  const info = (email['info'] ?? {}) as Record<string, unknown>;
  const list = (v: unknown): string[] | undefined =>
    v === undefined || v === null
      ? []
      : Array.isArray(v) && v.every((x) => typeof x === 'string')
        ? v
        : typeof v === 'string'
          ? [v]
          : undefined;
  const to = list(info['to']);
  const cc = list(info['cc']);
  if (typeof raw !== 'object' || typeof email['text'] !== 'string' || email['text'] === '') {
    errors['email.text'] = 'Обязательное поле';
  }
  if (typeof info['from'] !== 'string' || info['from'] === '') errors['email.info.from'] = 'Обязательное поле';
  if (!to || to.length === 0) errors['email.info.to'] = 'Ожидается непустой список адресов';
  if (!cc) errors['email.info.cc'] = 'Ожидается список адресов';
  if (errors['email.text'] || errors['email.info.from'] || errors['email.info.to'] || errors['email.info.cc']) {
    return undefined;
  }
  return {
    subject: typeof email['subject'] === 'string' ? email['subject'] : '',
    text: String(email['text']),
    from: String(info['from']),
    to: to ?? [],
    cc: cc ?? [],
  };
}
