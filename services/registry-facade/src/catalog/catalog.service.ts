import type { PageRequest } from '../repositories/pagination.js';
import type { PgCatalogRepository } from './catalog.repository.js';

export const DEFAULT_CATALOG_PAGE = 100;
export const MAX_CATALOG_PAGE = 1000;

export interface CatalogPage {
  repositories: string[];
  next: { n: number; last: string } | undefined;
}

export class CatalogService {
  readonly #catalog: PgCatalogRepository;

  constructor(deps: { catalog: PgCatalogRepository }) {
    this.#catalog = deps.catalog;
  }

  /** Repositories in byte order, `n` at a time (100 by default, at most 1000), linked by `last`. */
  async list(page: PageRequest): Promise<CatalogPage> {
    if (page.n === 0) return { repositories: [], next: undefined };
    const size = Math.min(page.n ?? DEFAULT_CATALOG_PAGE, MAX_CATALOG_PAGE);
    const rows = await this.#catalog.listNames(size + 1, page.last);
    if (rows.length <= size) return { repositories: rows, next: undefined };
    const repositories = rows.slice(0, size);
    return { repositories, next: { n: size, last: repositories[repositories.length - 1]! } };
  }
}
