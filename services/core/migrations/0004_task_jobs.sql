-- Up Migration

-- What core needs to submit a task's job again when jobservice lost it (its Redis emptied):
-- the job as launched, sealed with CORE_ENCRYPTION_KEY (AES-256-GCM; replication jobs carry
-- registry credentials), whether it is a periodic job, and when the job was last checked.
ALTER TABLE task
  ADD COLUMN job_spec_enc     text,
  ADD COLUMN job_periodic     boolean NOT NULL DEFAULT false,
  ADD COLUMN job_checked_at   timestamptz,
  -- When a check first found the job unknown to jobservice (resubmitted on the next check).
  ADD COLUMN job_missing_since timestamptz,
  ADD COLUMN job_resubmits    integer NOT NULL DEFAULT 0;

-- The reconciler's scan: unfinished tasks by the time of their last check.
CREATE INDEX task_unfinished_check_idx ON task (job_checked_at NULLS FIRST) WHERE status_code < 3;

-- The jobs a task had before it was resubmitted: their late hooks still find the task.
CREATE TABLE task_replaced_job (
  job_id   text PRIMARY KEY,
  task_id  integer NOT NULL REFERENCES task (id) ON DELETE CASCADE
);

-- Down Migration
DROP TABLE task_replaced_job;
DROP INDEX task_unfinished_check_idx;
ALTER TABLE task DROP COLUMN job_spec_enc, DROP COLUMN job_periodic, DROP COLUMN job_checked_at, DROP COLUMN job_missing_since, DROP COLUMN job_resubmits;
