export class MemberNotFoundError extends Error {
  constructor(id: number) {
    super(`member ${id} not found`);
    this.name = 'MemberNotFoundError';
  }
}

export class MemberExistsError extends Error {
  constructor(name: string) {
    super(`${name} is already a member of the project`);
    this.name = 'MemberExistsError';
  }
}

export class MemberInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MemberInvalidError';
  }
}
