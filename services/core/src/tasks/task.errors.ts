export class ExecutionNotFoundError extends Error {
  constructor(id: number) {
    super(`execution ${id} not found`);
    this.name = 'ExecutionNotFoundError';
  }
}

export class TaskNotFoundError extends Error {
  constructor(id: number) {
    super(`task ${id} not found`);
    this.name = 'TaskNotFoundError';
  }
}

/**
 * No task carries the hook's job id (yet): the task's job id may not be committed when
 * jobservice's first hook arrives. Answered 404 so that jobservice sends the hook again.
 */
export class TaskOfJobNotFoundError extends Error {
  constructor(jobId: string) {
    super(`no task for job ${jobId}`);
    this.name = 'TaskOfJobNotFoundError';
  }
}

/** The task has no job log: its job was never accepted, or jobservice no longer has it. */
export class TaskLogNotFoundError extends Error {
  constructor(id: number) {
    super(`the log of task ${id} is not available`);
    this.name = 'TaskLogNotFoundError';
  }
}
