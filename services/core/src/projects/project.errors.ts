export class ProjectNotFoundError extends Error {
  constructor(reference: string | number) {
    super(`project ${reference} not found`);
    this.name = 'ProjectNotFoundError';
  }
}

export class ProjectExistsError extends Error {
  constructor(name: string) {
    super(`the project named ${name} already exists`);
    this.name = 'ProjectExistsError';
  }
}

export class ProjectInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProjectInvalidError';
  }
}

/** The project still holds repositories (Harbor answers 412). */
export class ProjectNotEmptyError extends Error {
  constructor(name: string, repositories: number) {
    super(`the project ${name} still holds ${repositories} repositories; delete them first`);
    this.name = 'ProjectNotEmptyError';
  }
}
