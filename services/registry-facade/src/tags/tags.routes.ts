import { paths, route, type Route } from '../http/router.js';
import { nextLink, parsePageRequest } from '../repositories/pagination.js';
import type { TagService } from './tag.service.js';

/** `GET /v2/<name>/tags/list?n=&last=`. */
export function tagRoutes(deps: { tags: TagService }): Route[] {
  return [
    route('GET', 'tags', paths.tags, (name) => ({ kind: 'repository', name, action: 'pull' }), async ({ res, name, query }) => {
      const page = await deps.tags.list(name, parsePageRequest(query));
      if (page.next) res.set('Link', nextLink(`/v2/${name}/tags/list`, page.next.n, page.next.last));
      res.status(200).json({ name: page.name, tags: page.tags });
    }),
  ];
}
