export class ArtifactNotFoundError extends Error {
  constructor(repository: string, reference: string) {
    super(`artifact ${repository}:${reference} not found`);
    this.name = 'ArtifactNotFoundError';
  }
}

export class TagExistsError extends Error {
  constructor(tag: string) {
    super(`the tag ${tag} already exists in the repository`);
    this.name = 'TagExistsError';
  }
}

export class TagNotFoundError extends Error {
  constructor(tag: string) {
    super(`tag ${tag} not found`);
    this.name = 'TagNotFoundError';
  }
}

export class ArtifactInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArtifactInvalidError';
  }
}
