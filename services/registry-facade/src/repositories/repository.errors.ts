/** The repository name does not follow the distribution spec's grammar. */
export class NameInvalidError extends Error {
  readonly repository: string;

  constructor(repository: string) {
    super(`invalid repository name ${JSON.stringify(repository.slice(0, 300))}`);
    this.name = 'NameInvalidError';
    this.repository = repository;
  }
}

/** No such repository. */
export class RepositoryUnknownError extends Error {
  readonly repository: string;

  constructor(repository: string) {
    super(`repository ${repository} is not known to the registry`);
    this.name = 'RepositoryUnknownError';
    this.repository = repository;
  }
}

/** The `n` of a paginated list is not a non-negative integer. */
export class PaginationInvalidError extends Error {
  constructor(value: string) {
    super(`n must be a non-negative integer, got ${JSON.stringify(value.slice(0, 50))}`);
    this.name = 'PaginationInvalidError';
  }
}

/** Deletion is switched off (REGISTRY_STORAGE_DELETE_ENABLED=false). */
export class DeleteDisabledError extends Error {
  constructor() {
    super('deletion is disabled on this registry');
    this.name = 'DeleteDisabledError';
  }
}
