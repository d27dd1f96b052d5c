// Tracker call labels: endpoint templates without keys, ids or query strings; status classes.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { statusClass, trackerEndpointTemplate } from '../../src/metrics/tracker-endpoint.js';

describe('Tracker endpoint templates (low-cardinality metric labels)', () => {
  test.each([
    ['/v2/issues/AVRSERVICE-12', '/v2/issues/{key}'],
    ['/v2/issues/AVRSERVICE-12/comments?perPage=50', '/v2/issues/{key}/comments'],
    ['/v3/issues/AVRSERVICE-12/comments/123456', '/v3/issues/{key}/comments/{id}'],
    ['/v2/issues/AVRSERVICE-12/changelog?field=status&type=IssueWorkflow', '/v2/issues/{key}/changelog'],
    ['/v2/issues/AVRSERVICE-12/transitions', '/v2/issues/{key}/transitions'],
    ['/v2/issues/AVRSERVICE-12/transitions/closedMeta/_execute', '/v2/issues/{key}/transitions/{id}/_execute'],
    ['/v2/issues/_search?perPage=50&scrollId=c2Nyb2xs', '/v2/issues/_search'],
    ['/v2/issues/_findByUnique?unique=dispatch-incident-42', '/v2/issues/_findByUnique'],
    ['/v2/issues/', '/v2/issues'],
    ['/v2/queues/AVRSERVICE/localFields', '/v2/queues/{queue}/localFields'],
    ['/v2/queues/AVRSERVICE', '/v2/queues/{queue}'],
    ['/v2/users?perPage=50', '/v2/users'],
    ['/v2/myself', '/v2/myself'],
    ['/v2/statuses', '/v2/statuses'],
    ['/v2/fields', '/v2/fields'],
    ['/v2/attachments/?filename=%D0%B0%D0%BA%D1%82.pdf', '/v2/attachments'],
    ['/', '/'],
  ])('%s → %s', (path, template) => {
    expect(trackerEndpointTemplate(path)).toBe(template);
  });

  test('a path segment that is not a Tracker resource never reaches the label', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9%.-]{1,20}$/), (id) => {
        fc.pre(!['issues', 'comments', 'queues', 'users', 'fields', 'myself', 'statuses'].includes(id));
        fc.pre(!/^v\d+$/.test(id));
        const template = trackerEndpointTemplate(`/v2/issues/${id}/comments/${id}`);
        expect(template).toBe('/v2/issues/{key}/comments/{id}');
      }),
    );
  });

  test.each([
    [200, '2xx'],
    [204, '2xx'],
    [401, '4xx'],
    [429, '4xx'],
    [503, '5xx'],
    [0, 'none'],
    [42, 'none'],
  ])('status %i → class %s', (status, cls) => {
    expect(statusClass(status)).toBe(cls);
  });
});
