// A read-only page of what a dispatcher sees in the sandbox queue: issues with status, assignee,
// fields and comments. Comment Markdown is shown escaped in <pre>, never interpreted.
import type { Catalog } from './catalog.js';
import type { IssueService } from './issues.js';
import { displayFieldValue } from './values.js';

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const HIDDEN_IN_TABLE = new Set(['key', 'summary', 'description', 'status', 'assignee', 'queue']);

export function renderDispatcherPage(catalog: Catalog, issues: IssueService): string {
  const userName = (uid: number): string => {
    const u = catalog.userByUid(uid);
    return u ? `${u.firstName} ${u.lastName} (${u.login})` : String(uid);
  };
  const cards = [...issues.all()].reverse().map((issue) => {
    const status = catalog.status(issue.values['status']);
    const assignee = issue.values['assignee'];
    const rows = catalog.fields
      .filter((f) => !HIDDEN_IN_TABLE.has(f.id) && issue.values[f.id] !== undefined)
      .map((f) => {
        const value = issue.values[f.id];
        const text = value === undefined ? '' : displayFieldValue(catalog, f, value);
        return `<tr><th>${escapeHtml(f.name)}</th><td>${escapeHtml(text)}</td></tr>`;
      })
      .join('');
    const comments = issues
      .comments(issue)
      .map(
        (c) =>
          `<li><div class="meta">${escapeHtml(userName(c.createdBy))} · ${escapeHtml(c.createdAt)}` +
          `${c.transport === 'email' ? ' · e-mail' : ''}</div><pre>${escapeHtml(c.text)}</pre></li>`,
      )
      .join('');
    return (
      `<section class="issue" id="${escapeHtml(issue.key)}">` +
      `<h2>${escapeHtml(issue.key)}: ${escapeHtml(String(issue.values['summary'] ?? ''))}</h2>` +
      `<p><span class="status">${escapeHtml(status?.name ?? String(issue.values['status']))}</span> · ` +
      `Исполнитель: ${escapeHtml(assignee === undefined ? '—' : userName(Number(assignee)))} · версия ${issue.version}</p>` +
      (issue.values['description'] !== undefined
        ? `<pre class="description">${escapeHtml(String(issue.values['description']))}</pre>`
        : '') +
      `<table>${rows}</table>` +
      `<h3>Комментарии (${issues.comments(issue).length})</h3><ol>${comments}</ol></section>`
    );
  });
  return `<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>Tracker sandbox: ${escapeHtml(catalog.queue.key)}</title>
<style>
body{font-family:sans-serif;margin:2em;max-width:70em}
.issue{border:1px solid #ccc;border-radius:6px;padding:1em;margin-bottom:1.5em}
.status{background:#eef;padding:.1em .5em;border-radius:4px}
th{text-align:left;padding-right:1em;font-weight:normal;color:#555}
pre{white-space:pre-wrap;background:#f7f7f7;padding:.5em}
.meta{color:#666;font-size:.9em}
</style></head><body>
<h1>Очередь ${escapeHtml(catalog.queue.key)} — ${escapeHtml(catalog.queue.name)}</h1>
<p>${issues.all().length} задач(и). Страница только для чтения; обновите её, чтобы увидеть изменения.</p>
${cards.join('\n') || '<p>Задач пока нет.</p>'}
</body></html>`;
}
