/** The ports the job service and the workers reach infrastructure through. */

export interface QueueMessage {
  id: string;
  revision: number;
}

/** Publishes jobs to their type's queue (RabbitMQ in production). */
export interface JobPublisher {
  /** Resolves once the broker confirmed the (persistent) message. */
  publish(name: string, message: QueueMessage): Promise<void>;
  /** Messages in each job type's dead-letter queue. */
  deadLetterCounts(): Promise<Record<string, number>>;
}

export interface WorkerPoolInfo {
  worker_pool_id: string;
  started_at: number;
  heartbeat_at: number;
  job_names: string[];
  concurrency: number;
  status: string;
}

export interface WorkerPoolDirectory {
  list(): Promise<WorkerPoolInfo[]>;
}

/** Job log files (one per job). */
export interface JobLogStore {
  /** The log text, or undefined when the job never wrote one. */
  read(jobId: string): Promise<string | undefined>;
}

export interface Clock {
  now(): number;
}
