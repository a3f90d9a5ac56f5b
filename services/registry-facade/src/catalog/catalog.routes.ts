import { paths, route, type Route } from '../http/router.js';
import { nextLink, parsePageRequest } from '../repositories/pagination.js';
import type { CatalogService } from './catalog.service.js';

/** `GET /v2/` (version check) and `GET /v2/_catalog?n=&last=`. */
export function catalogRoutes(deps: { catalog: CatalogService }): Route[] {
  const base: Route['handle'] = async ({ res }) => {
    res.status(200).json({});
  };
  return [
    route('GET', 'base', paths.base, () => ({ kind: 'authenticated' }), base),
    route('HEAD', 'base', paths.base, () => ({ kind: 'authenticated' }), base),
    route('GET', 'catalog', paths.catalog, () => ({ kind: 'catalog' }), async ({ res, query }) => {
      const page = await deps.catalog.list(parsePageRequest(query));
      if (page.next) res.set('Link', nextLink('/v2/_catalog', page.next.n, page.next.last));
      res.status(200).json({ repositories: page.repositories });
    }),
  ];
}
