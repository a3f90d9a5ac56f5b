import type { PageRequest } from '../repositories/pagination.js';
import { RepositoryUnknownError } from '../repositories/repository.errors.js';
import type { PgTagRepository } from './tag.repository.js';

export interface TagPage {
  name: string;
  tags: string[];
  /** Set when more tags follow: the `last` of the next page. */
  next: { n: number; last: string } | undefined;
}

/** Largest page served; a larger `n` is answered with this many and a Link to the rest. */
export const MAX_TAGS_PAGE = 10_000;

export class TagService {
  readonly #tags: PgTagRepository;

  constructor(deps: { tags: PgTagRepository }) {
    this.#tags = deps.tags;
  }

  /** Tags in byte order. Without `n` every tag is returned; with it, pages linked by `last`. */
  async list(repository: string, page: PageRequest): Promise<TagPage> {
    if (page.n === 0) {
      if ((await this.#tags.list(repository, 0, undefined)) === undefined) throw new RepositoryUnknownError(repository);
      return { name: repository, tags: [], next: undefined };
    }
    const size = page.n === undefined ? undefined : Math.min(page.n, MAX_TAGS_PAGE);
    const rows = await this.#tags.list(repository, size === undefined ? undefined : size + 1, page.last);
    if (rows === undefined) throw new RepositoryUnknownError(repository);
    if (size === undefined || rows.length <= size) return { name: repository, tags: rows, next: undefined };
    const tags = rows.slice(0, size);
    return { name: repository, tags, next: { n: size, last: tags[tags.length - 1]! } };
  }
}
