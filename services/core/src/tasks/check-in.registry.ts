import type { Logger } from '@wharf/logging';
import type { JobHook, Task } from './tasks.schemas.js';

/**
 * What a vendor does with a check-in: the free text (often JSON) a running job sends to
 * report progress or results (Harbor's `CheckInProcessor`: GC's numbers, retention's
 * counts, a scheduler's "fire now"). A check-in never changes the task's status.
 */
export type CheckInProcessor = (task: Task, hook: JobHook) => Promise<void>;

/** vendor_type → processor. An explicit map built in main.ts; nothing registers itself on import. */
export type CheckInProcessors = Readonly<Record<string, CheckInProcessor>>;

/**
 * The processors core knows. None yet: each feature adds its vendor here when it needs
 * check-ins (replication: `REPLICATION`). A vendor without one has its check-ins logged
 * and acknowledged, since sending them again would not help.
 */
export function createCheckInProcessors(_deps: { logger: Logger }): CheckInProcessors {
  return {};
}
