import { Cron } from 'croner';

/** Harbor's cron: exactly six fields, seconds first (robfig/cron with a seconds field). */
export function parseCron(spec: string): Cron {
  const fields = spec.trim().split(/\s+/);
  if (fields.length !== 6) throw new Error(`a cron needs 6 fields (seconds first), got ${fields.length}`);
  return new Cron(spec.trim(), { paused: true, mode: '6-part' });
}

/** The next fire strictly after `after`, or undefined when the cron never fires again. */
export function nextFire(cron: Cron, after: Date): Date | undefined {
  return cron.nextRun(after) ?? undefined;
}
