export class PolicyNotFoundError extends Error {
  constructor(id: number) {
    super(`replication policy ${id} not found`);
    this.name = 'PolicyNotFoundError';
  }
}

export class PolicyExistsError extends Error {
  constructor(name: string) {
    super(`a replication policy named ${name} already exists`);
    this.name = 'PolicyExistsError';
  }
}

/** A rule of Harbor's `Policy.Validate` is broken (400). */
export class PolicyInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyInvalidError';
  }
}

/** The policy is disabled, or has executions still running (412). */
export class PolicyPreconditionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyPreconditionError';
  }
}

/** jobservice did not accept the policy's periodic job. */
export class PolicyScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyScheduleError';
  }
}

export class ReplicationExecutionNotFoundError extends Error {
  constructor(id: number) {
    super(`replication execution ${id} not found`);
    this.name = 'ReplicationExecutionNotFoundError';
  }
}

export class ReplicationTaskNotFoundError extends Error {
  constructor(id: number) {
    super(`replication task ${id} not found`);
    this.name = 'ReplicationTaskNotFoundError';
  }
}
