// REST endpoints of the directory: myself, users (paged), statuses, resolutions, issue types,
// priorities, queues with their local fields, and global fields (with the setup PATCH of YT-5).
import { z } from 'zod';
import type { Catalog } from './catalog.js';
import { ApiError, notFound } from './errors.js';
import { jsonObject, pageOf } from './http.js';
import type { Router } from './http.js';
import type { IssueService } from './issues.js';
import type { DictionaryRecord } from './model.js';
import { renderDictionary, renderField, renderQueue, renderStatus, renderUser } from './render.js';
import type { Store } from './store.js';

export interface DirectoryRoutesContext {
  catalog: Catalog;
  issues: IssueService;
  store: Store;
}

const fieldPatchSchema = z
  .object({
    name: z.union([
      z.string().min(1),
      z.object({ ru: z.string().min(1).optional(), en: z.string().min(1).optional() }),
    ]),
    description: z.string(),
    readonly: z.boolean(),
    visible: z.boolean(),
    hidden: z.boolean(),
  })
  .partial()
  .strict();

export function addDirectoryRoutes(router: Router, ctx: DirectoryRoutesContext): void {
  const { catalog, issues, store } = ctx;

  router.add('GET', '/myself', (req) => ({ status: 200, body: renderUser(req.base, req.user) }));

  router.add('GET', '/users', (req) => {
    const { slice, headers } = pageOf(req, catalog.users);
    return { status: 200, body: slice.map((u) => renderUser(req.base, u)), headers };
  });

  router.add('GET', '/users/:user', (req) => {
    const user = catalog.user(req.params['user']);
    if (!user) throw notFound(`Пользователь ${req.params['user'] ?? ''}`);
    return { status: 200, body: renderUser(req.base, user) };
  });

  router.add('GET', '/statuses', (req) => ({
    status: 200,
    body: catalog.statuses.map((s) => renderStatus(req.base, s)),
  }));

  router.add('GET', '/statuses/:status', (req) => {
    const status = catalog.status(req.params['status']);
    if (!status) throw notFound(`Статус ${req.params['status'] ?? ''}`);
    return { status: 200, body: renderStatus(req.base, status) };
  });

  const dictionary = (collection: string, list: DictionaryRecord[], what: string) => {
    router.add('GET', `/${collection}`, (req) => ({
      status: 200,
      body: list.map((d) => renderDictionary(req.base, collection, d)),
    }));
    router.add('GET', `/${collection}/:id`, (req) => {
      const item = list.find((d) => d.id === req.params['id'] || d.key === req.params['id']);
      if (!item) throw notFound(`${what} ${req.params['id'] ?? ''}`);
      return { status: 200, body: renderDictionary(req.base, collection, item) };
    });
  };
  dictionary('resolutions', catalog.resolutions, 'Резолюция');
  dictionary('issuetypes', catalog.issueTypes, 'Тип задачи');
  dictionary('priorities', catalog.priorities, 'Приоритет');

  router.add('GET', '/queues', (req) => {
    const { slice, headers } = pageOf(req, [catalog.queue]);
    return { status: 200, body: slice.map(() => renderQueue(req.base)), headers };
  });

  const queueOf = (ref: string | undefined) => {
    // Queue keys are case-sensitive in the local-field endpoints (and everywhere else here).
    const queue = catalog.queueByRef(ref);
    if (!queue) throw notFound(`Очередь ${ref ?? ''}`);
    return queue;
  };

  router.add('GET', '/queues/:queue', (req) => {
    queueOf(req.params['queue']);
    return { status: 200, body: renderQueue(req.base) };
  });

  router.add('GET', '/queues/:queue/localFields', (req) => {
    const queue = queueOf(req.params['queue']);
    return {
      status: 200,
      body: catalog.localFields(queue.key).map((f) => renderField(req.base, issues.effectiveField(f))),
    };
  });

  router.add('GET', '/queues/:queue/localFields/:field', (req) => {
    const queue = queueOf(req.params['queue']);
    const field = catalog.localFields(queue.key).find((f) => f.key === req.params['field']);
    if (!field) throw notFound(`Локальное поле ${req.params['field'] ?? ''}`);
    return { status: 200, body: renderField(req.base, issues.effectiveField(field)) };
  });

  router.add('GET', '/fields', (req) => ({
    status: 200,
    body: catalog.globalFields().map((f) => renderField(req.base, issues.effectiveField(f))),
  }));

  router.add('GET', '/fields/:field', (req) => {
    const field = catalog.globalFields().find((f) => f.id === req.params['field']);
    if (!field) throw notFound(`Поле ${req.params['field'] ?? ''}`);
    return { status: 200, body: renderField(req.base, issues.effectiveField(field)) };
  });

  // Field settings change needs the current version, as practitioners report for the real API.
  router.add('PATCH', '/fields/:field', (req) => {
    const base = catalog.globalFields().find((f) => f.id === req.params['field']);
    if (!base) throw notFound(`Поле ${req.params['field'] ?? ''}`);
    const current = issues.effectiveField(base);
    const version = req.query.get('version');
    if (version === null) throw new ApiError(400, ['Параметр version обязателен']);
    if (Number(version) !== current.version) {
      throw new ApiError(409, [`Версия поля изменилась: ожидалась ${version}, текущая ${current.version}`]);
    }
    if (base.system) throw new ApiError(403, ['Системное поле нельзя изменить']);
    const parsed = fieldPatchSchema.safeParse(jsonObject(req));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ApiError(422, [], { [String(issue?.path[0] ?? 'body')]: issue?.message ?? 'invalid' });
    }
    const patch = parsed.data;
    const name = typeof patch.name === 'string' ? patch.name : (patch.name?.ru ?? patch.name?.en);
    const previous = store.state.fieldSettings[base.id];
    store.state.fieldSettings[base.id] = {
      ...previous,
      ...(name !== undefined ? { name } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.readonly !== undefined ? { readonly: patch.readonly } : {}),
      ...(patch.visible !== undefined ? { visible: patch.visible } : {}),
      ...(patch.hidden !== undefined ? { hidden: patch.hidden } : {}),
      version: current.version + 1,
    };
    store.commit();
    return { status: 200, body: renderField(req.base, issues.effectiveField(base)) };
  });
}
