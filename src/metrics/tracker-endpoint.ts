// Low-cardinality labels for Tracker calls: request paths become endpoint templates (issue keys,
// queue keys, comment/transition ids and query strings removed), statuses become classes.

/** Path segments kept verbatim: API resources of Tracker. Any other segment is an identifier. */
const RESOURCES = new Set([
  'issues',
  'comments',
  'changelog',
  'transitions',
  'queues',
  'localFields',
  'fields',
  'users',
  'myself',
  'statuses',
  'attachments',
  'links',
  'remotelinks',
  'worklog',
  'checklistItems',
  'entities',
  'priorities',
  'issuetypes',
  'resolutions',
  'versions',
  'components',
  'boards',
  'sprints',
  'bulkchange',
]);

/** What an identifier segment is called, by the resource it follows. */
const PLACEHOLDER_AFTER: Record<string, string> = { issues: '{key}', queues: '{queue}' };

const API_VERSION = /^v\d+$/;
// Actions such as `_search`, `_execute`, `_findByUnique`.
const ACTION = /^_[A-Za-z]+$/;

/**
 * `/v2/issues/AVRSERVICE-7/comments?perPage=50` → `/v2/issues/{key}/comments`. Every segment that is
 * not a known resource, an action or the leading API version becomes a placeholder, so the set of
 * templates stays bounded whatever the paths contain.
 */
export function trackerEndpointTemplate(path: string): string {
  const pathOnly = path.split(/[?#]/, 1)[0] ?? '';
  const segments = pathOnly.split('/').filter((segment) => segment !== '');
  const template = segments.map((segment, index) => {
    if (index === 0 && API_VERSION.test(segment)) return segment;
    if (RESOURCES.has(segment) || ACTION.test(segment)) return segment;
    const previous = index > 0 ? segments[index - 1] : undefined;
    return (previous !== undefined && PLACEHOLDER_AFTER[previous]) || '{id}';
  });
  return `/${template.join('/')}`;
}

/** `2xx`…`5xx`; `none` when no HTTP answer arrived (network error, timeout). */
export function statusClass(status: number): string {
  if (!Number.isInteger(status) || status < 100 || status > 599) return 'none';
  return `${Math.floor(status / 100)}xx`;
}
