export class JobNotFoundError extends Error {
  readonly jobId: string;
  constructor(jobId: string) {
    super(`job ${jobId} not found`);
    this.name = 'JobNotFoundError';
    this.jobId = jobId;
  }
}

export class UnknownJobNameError extends Error {
  readonly jobName: string;
  readonly known: readonly string[];
  constructor(jobName: string, known: readonly string[]) {
    super(`unknown job name ${jobName}`);
    this.name = 'UnknownJobNameError';
    this.jobName = jobName;
    this.known = known;
  }
}

export class InvalidJobParametersError extends Error {
  readonly jobName: string;
  readonly issues: readonly { path: string; message: string }[];
  constructor(jobName: string, issues: readonly { path: string; message: string }[]) {
    const first = issues[0];
    super(`invalid parameters for job ${jobName}${first ? `: ${first.path ? `${first.path}: ` : ''}${first.message}` : ''}`);
    this.name = 'InvalidJobParametersError';
    this.jobName = jobName;
    this.issues = issues;
  }
}

/** Kind-specific metadata that does not hold (a Scheduled job without delay, a cron that does not parse). */
export class InvalidJobMetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidJobMetadataError';
  }
}

export class InvalidJobIdError extends Error {
  readonly jobId: string;
  constructor(jobId: string) {
    super('job id must not contain ".." or "/"');
    this.name = 'InvalidJobIdError';
    this.jobId = jobId;
  }
}

export class DuplicateJobError extends Error {
  readonly existingId: string;
  constructor(existingId: string) {
    super(`an identical unique job is already pending or running (${existingId})`);
    this.name = 'DuplicateJobError';
    this.existingId = existingId;
  }
}

export class UnsupportedActionError extends Error {
  readonly action: string;
  constructor(action: string) {
    super(`action ${action} is not supported; only stop is`);
    this.name = 'UnsupportedActionError';
    this.action = action;
  }
}

export class QueueUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QueueUnavailableError';
  }
}
