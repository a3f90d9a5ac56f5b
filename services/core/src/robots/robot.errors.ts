export class RobotNotFoundError extends Error {
  constructor(id: number | string) {
    super(`robot ${id} not found`);
    this.name = 'RobotNotFoundError';
  }
}

export class RobotExistsError extends Error {
  constructor(name: string) {
    super(`a robot account named ${name} already exists`);
    this.name = 'RobotExistsError';
  }
}

export class RobotInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RobotInvalidError';
  }
}
