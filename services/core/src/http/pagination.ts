import type { Request, Response } from 'express';
import type { ListQuery } from '../listing/list-query.js';

/**
 * Sends one page of a list the way Harbor does: the items as a JSON array, the total in
 * `X-Total-Count`, and RFC 5988 `Link` headers to the previous and next pages.
 */
export function sendPage<T>(req: Request, res: Response, items: readonly T[], total: number, query: ListQuery): void {
  res.set('X-Total-Count', String(total));
  const links: string[] = [];
  const link = (page: number, rel: string) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(req.query)) if (typeof value === 'string' && key !== 'page') params.set(key, value);
    params.set('page', String(page));
    params.set('page_size', String(query.pageSize));
    links.push(`<${req.baseUrl}${req.path}?${params.toString()}>; rel="${rel}"`);
  };
  if (query.page > 1) link(query.page - 1, 'prev');
  if (query.page * query.pageSize < total) link(query.page + 1, 'next');
  if (links.length > 0) res.set('Link', links.join(' , '));
  res.status(200).json(items);
}
