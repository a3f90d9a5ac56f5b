import { MediaType } from '@wharf/oci';
import { paths, route, type Route } from '../http/router.js';
import type { ReferrerService } from './referrer.service.js';

/** `GET /v2/<name>/referrers/<digest>?artifactType=`. */
export function referrerRoutes(deps: { referrers: ReferrerService }): Route[] {
  return [
    route('GET', 'referrers', paths.referrers, (name) => ({ kind: 'repository', name, action: 'pull' }), async ({ res, name, params, query }) => {
      const artifactType = query.get('artifactType') || undefined;
      const page = await deps.referrers.list(name, params.digest!, artifactType, query.get('last') || undefined);
      if (page.filtered) res.set('OCI-Filters-Applied', 'artifactType');
      if (page.next) {
        const next = new URLSearchParams({ last: page.next });
        if (artifactType) next.set('artifactType', artifactType);
        res.set('Link', `</v2/${name}/referrers/${params.digest}?${next.toString()}>; rel="next"`);
      }
      res.status(200).set('Content-Type', MediaType.OciIndex).send(Buffer.from(JSON.stringify(page.index)));
    }),
  ];
}
