// REST endpoints of issues and what hangs off them: search/count, comments, transitions, changelog,
// attachments. Paths are version-less here; the server strips `/v2` or `/v3`.
import type { Catalog } from './catalog.js';
import { ApiError, notFound } from './errors.js';
import { cursorPageOf, intParam, jsonObject, linkHeader, linkUrl, pageOf } from './http.js';
import type { ApiRequest, ApiResponse, Router } from './http.js';
import type { Actor, IssueService } from './issues.js';
import type { IssueRecord } from './model.js';
import {
  issueAttachments,
  renderAttachment,
  renderChangelog,
  renderComment,
  renderIssue,
  renderTransition,
} from './render.js';
import type { ScrollRegistry } from './scroll.js';
import { planSearch, runSearch } from './search.js';

export interface IssueRoutesContext {
  catalog: Catalog;
  issues: IssueService;
  scrolls: ScrollRegistry;
}

const apiActor = (req: ApiRequest): Actor => ({ uid: req.user.uid, transport: 'api' });

const expandOf = (req: ApiRequest): Set<string> =>
  new Set(
    (req.query.get('expand') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

/** `If-Match: "3"` or `?version=3`; a value that is not a number is a 400. */
function expectedVersion(req: ApiRequest): number | undefined {
  const raw = req.query.get('version') ?? req.headers['if-match']?.replace(/^W\//, '').replace(/"/g, '').trim();
  if (raw === undefined || raw === '' || raw === '*') return undefined;
  if (!/^\d+$/.test(raw)) throw new ApiError(400, [`Некорректная версия "${raw}"`]);
  return Number(raw);
}

export function addIssueRoutes(router: Router, ctx: IssueRoutesContext): void {
  const { catalog, issues, scrolls } = ctx;
  const issueView = (req: ApiRequest, issue: IssueRecord) =>
    renderIssue(req.base, issues, issue, { expand: expandOf(req) });
  const issueOf = (req: ApiRequest) => issues.requireIssue(req.params['issue'] ?? '');

  router.add('POST', '/issues', (req) => {
    const issue = issues.create(apiActor(req), jsonObject(req));
    return { status: 201, body: issueView(req, issue) };
  });

  const findByUnique = (req: ApiRequest): ApiResponse => {
    const unique = req.query.get('unique');
    if (!unique) throw new ApiError(400, ['Параметр unique обязателен']);
    const issue = issues.byUnique(unique);
    if (!issue) throw notFound(`Задача с unique "${unique}"`);
    return { status: 200, body: issueView(req, issue) };
  };
  router.add('POST', '/issues/_findByUnique', findByUnique);
  router.add('GET', '/issues/_findByUnique', findByUnique);

  router.add('POST', '/issues/_search', (req) => {
    const plan = planSearch(catalog, jsonObject(req), req.user.uid);
    const scrollId = req.query.get('scrollId');
    const scrollType = req.query.get('scrollType');
    if (scrollId === null && scrollType === null) {
      const found = runSearch(catalog, plan, issues.all());
      const { slice, headers } = pageOf(req, found);
      return { status: 200, body: slice.map((i) => issueView(req, i)), headers };
    }
    if (plan.mode === 'queue' || plan.mode === 'keys') {
      throw new ApiError(400, ['Scroll is not supported for queue or keys search']);
    }
    const ttlRaw = req.query.get('scrollTTLMillis');
    const ttl = ttlRaw === null ? undefined : intParam(req.query, 'scrollTTLMillis', 60_000);
    let page;
    if (scrollId !== null) {
      page = scrolls.continue(scrollId, ttl);
      if (!page) throw new ApiError(404, [`Scroll ${scrollId} не найден или истёк`]);
    } else {
      if (scrollType !== 'sorted' && scrollType !== 'unsorted') {
        throw new ApiError(400, ['scrollType: ожидается sorted или unsorted']);
      }
      const perScroll = intParam(req.query, 'perScroll', 100, 1000);
      const found = runSearch(catalog, plan, issues.all());
      page = scrolls.start(
        found.map((i) => i.id),
        perScroll,
        ttl ?? 60_000,
      );
    }
    const headers: Record<string, string> = { 'X-Scroll-Id': page.scrollId, 'X-Total-Count': String(page.total) };
    const links: Array<[string, string]> = [];
    if (scrollId === null) links.push([linkUrl(req, {}), 'first']);
    if (page.nextToken !== undefined) {
      headers['X-Scroll-Token'] = page.nextToken;
      links.push([
        linkUrl(req, { scrollType: null, perScroll: null, scrollId: page.scrollId, scrollToken: page.nextToken }),
        'next',
      ]);
    }
    if (links.length > 0) headers['Link'] = linkHeader(links);
    const body = page.issueIds.flatMap((id) => {
      const issue = issues.issue(id);
      return issue ? [issueView(req, issue)] : [];
    });
    return { status: 200, body, headers };
  });

  router.add('POST', '/issues/_count', (req) => {
    const plan = planSearch(catalog, jsonObject(req), req.user.uid);
    return { status: 200, body: runSearch(catalog, plan, issues.all()).length };
  });

  router.add('POST', '/system/search/scroll/_clear', (req) => {
    const body = jsonObject(req);
    for (const scrollId of Object.keys(body)) scrolls.clear(scrollId);
    return { status: 200, body: {} };
  });

  router.add('GET', '/issues/:issue', (req) => ({ status: 200, body: issueView(req, issueOf(req)) }));

  router.add('PATCH', '/issues/:issue', (req) => {
    const issue = issueOf(req);
    const updated = issues.update(apiActor(req), issue, jsonObject(req), expectedVersion(req));
    return { status: 200, body: issueView(req, updated) };
  });

  router.add('GET', '/issues/:issue/comments', (req) => {
    const issue = issueOf(req);
    const { slice, headers } = cursorPageOf(req, issues.comments(issue), (c) => String(c.id));
    return { status: 200, body: slice.map((c) => renderComment(req.base, issues, issue, c)), headers };
  });

  router.add('POST', '/issues/:issue/comments', (req) => {
    const issue = issueOf(req);
    const comment = issues.addComment(apiActor(req), issue, jsonObject(req));
    return { status: 201, body: renderComment(req.base, issues, issue, comment) };
  });

  const commentOf = (req: ApiRequest, issue: IssueRecord) => {
    const comment = issues.comment(issue, req.params['comment'] ?? '');
    if (!comment) throw notFound(`Комментарий ${req.params['comment'] ?? ''}`);
    return comment;
  };

  router.add('GET', '/issues/:issue/comments/:comment', (req) => {
    const issue = issueOf(req);
    return { status: 200, body: renderComment(req.base, issues, issue, commentOf(req, issue)) };
  });

  router.add('PATCH', '/issues/:issue/comments/:comment', (req) => {
    const issue = issueOf(req);
    const comment = issues.editComment(apiActor(req), issue, commentOf(req, issue), jsonObject(req));
    return { status: 200, body: renderComment(req.base, issues, issue, comment) };
  });

  router.add('GET', '/issues/:issue/transitions', (req) => {
    const issue = issueOf(req);
    return { status: 200, body: issues.availableTransitions(issue).map((t) => renderTransition(req.base, issue, t)) };
  });

  router.add('GET', '/issues/:issue/transitions/:transition', (req) => {
    const issue = issueOf(req);
    const transition = issues.availableTransitions(issue).find((t) => t.id === req.params['transition']);
    if (!transition) throw notFound(`Переход ${req.params['transition'] ?? ''}`);
    return { status: 200, body: renderTransition(req.base, issue, transition) };
  });

  router.add('POST', '/issues/:issue/transitions/:transition/_execute', (req) => {
    const issue = issueOf(req);
    const result = issues.executeTransition(apiActor(req), issue, req.params['transition'] ?? '', jsonObject(req));
    return { status: 200, body: result.transitions.map((t) => renderTransition(req.base, result.issue, t)) };
  });

  router.add('GET', '/issues/:issue/changelog', (req) => {
    const issue = issueOf(req);
    const fields = new Set(req.query.getAll('field').flatMap((f) => f.split(',')));
    const types = new Set(req.query.getAll('type').flatMap((t) => t.split(',')));
    const entries = issues
      .changelog(issue)
      .filter((e) => types.size === 0 || types.has(e.type))
      .filter((e) => fields.size === 0 || e.fields.some((f) => fields.has(f.fieldId)));
    const { slice, headers } = cursorPageOf(req, entries, (e) => e.id);
    return { status: 200, body: slice.map((e) => renderChangelog(req.base, issue, e)), headers };
  });

  router.add('GET', '/issues/:issue/changelog/:entry', (req) => {
    const issue = issueOf(req);
    const entry = issues.changelog(issue).find((e) => e.id === req.params['entry']);
    if (!entry) throw notFound(`Запись истории ${req.params['entry'] ?? ''}`);
    return { status: 200, body: renderChangelog(req.base, issue, entry) };
  });

  router.add('GET', '/issues/:issue/attachments', (req) => {
    const issue = issueOf(req);
    return { status: 200, body: issueAttachments(issues, issue).map((a) => renderAttachment(req.base, a)) };
  });

  router.add('POST', '/attachments', async (req) => {
    const contentType = req.headers['content-type'] ?? '';
    if (!contentType.toLowerCase().startsWith('multipart/form-data')) {
      throw new ApiError(400, ['Ожидается multipart/form-data с файлом']);
    }
    let form: FormData;
    try {
      form = await new Request('http://upload.local/', {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: new Uint8Array(req.rawBody),
      }).formData();
    } catch {
      throw new ApiError(400, ['Некорректное тело multipart/form-data']);
    }
    const file = [...form.values()].find((v): v is File => typeof v !== 'string');
    if (!file) throw new ApiError(400, ['В запросе нет файла']);
    const name = req.query.get('filename') ?? file.name;
    const bytes = new Uint8Array(await file.arrayBuffer());
    const attachment = issues.uploadAttachment(
      apiActor(req),
      name || 'attachment',
      file.type || 'application/octet-stream',
      bytes,
    );
    return { status: 201, body: renderAttachment(req.base, attachment) };
  });

  router.add('GET', '/attachments/:attachment', (req) => {
    const attachment = issues.attachment(req.params['attachment'] ?? '');
    if (!attachment) throw notFound(`Файл ${req.params['attachment'] ?? ''}`);
    return { status: 200, body: renderAttachment(req.base, attachment) };
  });
}
