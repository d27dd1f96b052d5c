// "Act as a dispatcher": what a person does in the Tracker UI, performed through the same issue
// operations as the API so each action leaves the changelog a real user action leaves (transport front).
import { z } from 'zod';
import type { Catalog } from './catalog.js';
import { ApiError } from './errors.js';
import type { Actor, IssueService } from './issues.js';
import { renderComment, renderIssue } from './render.js';
import type { RenderBase } from './values.js';

const login = z.string().min(1);
const issueRef = z.string().min(1);

export const transitionActionSchema = z
  .object({
    login,
    issue: issueRef,
    /** Transition id, or… */
    transition: z.string().min(1).optional(),
    /** …the target status key (the transition offered from the current status that leads there). */
    status: z.string().min(1).optional(),
    comment: z.string().optional(),
    /** For closing; defaults to the first resolution («Решен»). */
    resolution: z.string().optional(),
    fields: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .refine((a) => (a.transition === undefined) !== (a.status === undefined), {
    message: 'give exactly one of transition or status',
  });

export const updateActionSchema = z
  .object({ login, issue: issueRef, fields: z.record(z.string(), z.unknown()) })
  .strict();

export const assignActionSchema = z.object({ login, issue: issueRef, assignee: z.string().min(1).nullable() }).strict();

export const commentActionSchema = z.object({ login, issue: issueRef, text: z.string().min(1) }).strict();

export const createActionSchema = z
  .object({
    login,
    summary: z.string().min(1),
    description: z.string().optional(),
    fields: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type TransitionAction = z.input<typeof transitionActionSchema>;
export type UpdateAction = z.input<typeof updateActionSchema>;
export type AssignAction = z.input<typeof assignActionSchema>;
export type CommentAction = z.input<typeof commentActionSchema>;
export type CreateAction = z.input<typeof createActionSchema>;

export class DispatcherActions {
  constructor(
    private readonly catalog: Catalog,
    private readonly issues: IssueService,
    private readonly base: () => RenderBase,
  ) {}

  /** Executes a transition as the dispatcher; the result is the issue as the API would show it. */
  executeTransition(input: TransitionAction): Record<string, unknown> {
    const action = transitionActionSchema.parse(input);
    const actor = this.actor(action.login);
    const issue = this.issues.requireIssue(action.issue);
    let transitionId = action.transition;
    if (action.status !== undefined) {
      const found = this.issues.availableTransitions(issue).find((t) => t.to === action.status);
      if (!found) {
        throw new ApiError(409, [
          `Из статуса ${String(issue.values['status'])} нет перехода в ${action.status} (задача ${issue.key})`,
        ]);
      }
      transitionId = found.id;
    }
    const transition = this.issues.requireTransition(issue, transitionId ?? '');
    const resolution = transition.requiresResolution
      ? (action.resolution ?? this.catalog.resolutions[0]?.key)
      : action.resolution;
    this.issues.executeTransition(actor, issue, transition.id, {
      ...action.fields,
      ...(action.comment !== undefined ? { comment: action.comment } : {}),
      ...(resolution !== undefined ? { resolution } : {}),
    });
    return renderIssue(this.base(), this.issues, issue);
  }

  updateFields(input: UpdateAction): Record<string, unknown> {
    const action = updateActionSchema.parse(input);
    const issue = this.issues.requireIssue(action.issue);
    this.issues.update(this.actor(action.login), issue, action.fields);
    return renderIssue(this.base(), this.issues, issue);
  }

  /** Reassigns (or unassigns with null), like changing «Исполнитель» in the UI (ASSIGN-5). */
  assign(input: AssignAction): Record<string, unknown> {
    const action = assignActionSchema.parse(input);
    const issue = this.issues.requireIssue(action.issue);
    this.issues.update(this.actor(action.login), issue, { assignee: action.assignee });
    return renderIssue(this.base(), this.issues, issue);
  }

  comment(input: CommentAction): Record<string, unknown> {
    const action = commentActionSchema.parse(input);
    const issue = this.issues.requireIssue(action.issue);
    const comment = this.issues.addComment(this.actor(action.login), issue, { text: action.text });
    return renderComment(this.base(), this.issues, issue, comment);
  }

  /** A manual issue in the sandbox queue, without the local id (YT-15 imports it). */
  createIssue(input: CreateAction): Record<string, unknown> {
    const action = createActionSchema.parse(input);
    const issue = this.issues.create(this.actor(action.login), {
      ...action.fields,
      queue: this.catalog.queue.key,
      summary: action.summary,
      ...(action.description !== undefined ? { description: action.description } : {}),
    });
    return renderIssue(this.base(), this.issues, issue);
  }

  private actor(loginName: string): Actor {
    const user = this.catalog.user(loginName);
    if (!user) throw new ApiError(404, [`Пользователь ${loginName} не найден`]);
    return { uid: user.uid, transport: 'front' };
  }
}
