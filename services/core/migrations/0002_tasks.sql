-- Up Migration

-- Harbor 2.x's generic execution/task model (src/pkg/task). An execution is one run of a
-- vendor's policy (a replication policy, GC, a scan-all…); its tasks are the jobs it
-- submitted to jobservice. The execution's status and counts are derived from its tasks
-- (refreshed in the transaction that changes a task, under the execution's row lock);
-- an execution without tasks is ended by its vendor (markDone / markError / stop).
CREATE TABLE execution (
  id                    serial PRIMARY KEY,
  vendor_type           text NOT NULL,
  -- The vendor's own id (a policy id); -1 when the vendor has none.
  vendor_id             bigint NOT NULL DEFAULT -1,
  status                text NOT NULL DEFAULT 'Running' CHECK (status IN ('Running', 'Success', 'Error', 'Stopped')),
  status_message        text NOT NULL DEFAULT '',
  trigger               text NOT NULL CHECK (trigger IN ('MANUAL', 'SCHEDULE', 'EVENT')),
  extra_attrs           jsonb NOT NULL DEFAULT '{}',
  task_count            integer NOT NULL DEFAULT 0,
  success_task_count    integer NOT NULL DEFAULT 0,
  error_task_count      integer NOT NULL DEFAULT 0,
  pending_task_count    integer NOT NULL DEFAULT 0,
  running_task_count    integer NOT NULL DEFAULT 0,
  scheduled_task_count  integer NOT NULL DEFAULT 0,
  stopped_task_count    integer NOT NULL DEFAULT 0,
  start_time            timestamptz NOT NULL DEFAULT now(),
  end_time              timestamptz,
  update_time           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX execution_vendor_idx ON execution (vendor_type, vendor_id, id DESC);

-- One job of an execution. status_code orders the statuses within one run (Pending 0,
-- Scheduled 1, Running 2, final 3) and status_revision is the run (jobservice's revision,
-- unix seconds of the run's start; a retry brings a larger one): a status hook is applied
-- only when it moves (revision, code) forward, so duplicates and late hooks change nothing.
-- job_id is set once jobservice accepted the job; hooks find their task by it.
CREATE TABLE task (
  id               serial PRIMARY KEY,
  execution_id     integer NOT NULL REFERENCES execution (id) ON DELETE CASCADE,
  vendor_type      text NOT NULL,
  job_id           text UNIQUE,
  status           text NOT NULL DEFAULT 'Pending' CHECK (status IN ('Pending', 'Scheduled', 'Running', 'Stopped', 'Error', 'Success')),
  status_code      integer NOT NULL DEFAULT 0,
  status_revision  bigint NOT NULL DEFAULT 0,
  status_message   text NOT NULL DEFAULT '',
  run_count        integer NOT NULL DEFAULT 0,
  extra_attrs      jsonb NOT NULL DEFAULT '{}',
  creation_time    timestamptz NOT NULL DEFAULT now(),
  update_time      timestamptz NOT NULL DEFAULT now(),
  start_time       timestamptz,
  end_time         timestamptz
);
-- Lists of an execution's tasks and the per-status counts of the refresh (index-only).
CREATE INDEX task_execution_status_idx ON task (execution_id, status);

-- Down Migration
DROP TABLE task;
DROP TABLE execution;
