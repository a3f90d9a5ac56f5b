export class RepositoryNotFoundError extends Error {
  constructor(name: string) {
    super(`repository ${name} not found`);
    this.name = 'RepositoryNotFoundError';
  }
}
