-- Up Migration

-- Harbor's registry endpoints (src/pkg/reg/model/registry.go). The credential's key and
-- secret are stored only encrypted (AES-256-GCM, CORE_ENCRYPTION_KEY); the local Wharf is
-- not a row (Harbor's registry id 0).
CREATE TABLE registry (
  id                serial PRIMARY KEY,
  name              text NOT NULL UNIQUE,
  type              text NOT NULL,
  url               text NOT NULL,
  description       text NOT NULL DEFAULT '',
  credential_type   text CHECK (credential_type IN ('basic', 'secret')),
  -- `v1.<iv>.<tag>.<ciphertext>` (base64url) of {"access_key","access_secret"}; null without a credential.
  credential_enc    text,
  insecure          boolean NOT NULL DEFAULT false,
  ca_certificate    text,
  status            text NOT NULL DEFAULT '',
  creation_time     timestamptz NOT NULL DEFAULT now(),
  update_time       timestamptz NOT NULL DEFAULT now()
);

-- Harbor's replication policies (src/pkg/replication/model). A null registry id is the
-- local Wharf; a registry used by a policy cannot be deleted (RESTRICT → PRECONDITION).
CREATE TABLE replication_policy (
  id                            serial PRIMARY KEY,
  name                          text NOT NULL UNIQUE,
  description                   text NOT NULL DEFAULT '',
  src_registry_id               integer REFERENCES registry (id) ON DELETE RESTRICT,
  dest_registry_id              integer REFERENCES registry (id) ON DELETE RESTRICT,
  dest_namespace                text NOT NULL DEFAULT '',
  dest_namespace_replace_count  integer NOT NULL DEFAULT -1,
  trigger                       jsonb NOT NULL DEFAULT '{"type":"manual"}',
  filters                       jsonb NOT NULL DEFAULT '[]',
  replicate_deletion            boolean NOT NULL DEFAULT false,
  override                      boolean NOT NULL DEFAULT false,
  enabled                       boolean NOT NULL DEFAULT true,
  speed                         integer NOT NULL DEFAULT -1,
  copy_by_chunk                 boolean NOT NULL DEFAULT false,
  single_active_replication     boolean NOT NULL DEFAULT false,
  creation_time                 timestamptz NOT NULL DEFAULT now(),
  update_time                   timestamptz NOT NULL DEFAULT now(),
  CHECK (src_registry_id IS NULL OR dest_registry_id IS NULL),
  CHECK (src_registry_id IS NOT NULL OR dest_registry_id IS NOT NULL)
);

-- The schedule of a scheduled policy (Harbor's SCHEDULER vendor): the execution and task
-- whose task carries the periodic job's id in jobservice.
CREATE TABLE replication_schedule (
  policy_id     integer PRIMARY KEY REFERENCES replication_policy (id) ON DELETE CASCADE,
  execution_id  integer NOT NULL,
  task_id       integer NOT NULL,
  cron          text NOT NULL,
  creation_time timestamptz NOT NULL DEFAULT now()
);

-- One row per fire of a periodic schedule (`<periodic id>@<unix time>`): whichever of the
-- fire's hooks or check-ins arrives first inserts it and starts the execution; the others
-- find it and do nothing.
CREATE TABLE replication_schedule_fire (
  fire_id       text PRIMARY KEY,
  policy_id     integer NOT NULL,
  execution_id  integer,
  fired_at      timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE replication_schedule_fire;
DROP TABLE replication_schedule;
DROP TABLE replication_policy;
DROP TABLE registry;
