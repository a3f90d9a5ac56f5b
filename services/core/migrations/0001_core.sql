-- Up Migration

-- Users of the database authentication mode. Passwords are scrypt hashes; password_version
-- changes with every password change so that refresh tokens issued before it stop working.
CREATE TABLE harbor_user (
  user_id           serial PRIMARY KEY,
  username          text COLLATE "C" NOT NULL UNIQUE,
  email             text NOT NULL DEFAULT '',
  realname          text NOT NULL DEFAULT '',
  comment           text NOT NULL DEFAULT '',
  password_hash     text NOT NULL,
  password_version  integer NOT NULL DEFAULT 1,
  sysadmin_flag     boolean NOT NULL DEFAULT false,
  creation_time     timestamptz NOT NULL DEFAULT now(),
  update_time       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX harbor_user_email_idx ON harbor_user (lower(email)) WHERE email <> '';

CREATE TABLE project (
  project_id                 serial PRIMARY KEY,
  name                       text COLLATE "C" NOT NULL UNIQUE,
  owner_id                   integer REFERENCES harbor_user (user_id) ON DELETE SET NULL,
  cve_allowlist_items        jsonb NOT NULL DEFAULT '[]',
  cve_allowlist_expires_at   bigint,
  creation_time              timestamptz NOT NULL DEFAULT now(),
  update_time                timestamptz NOT NULL DEFAULT now()
);

-- Harbor's project metadata: every value is a string ("true"/"false" for booleans).
CREATE TABLE project_metadata (
  project_id  integer NOT NULL REFERENCES project (project_id) ON DELETE CASCADE,
  name        text NOT NULL,
  value       text NOT NULL,
  PRIMARY KEY (project_id, name)
);

-- Members: users ('u') now, groups ('g') later. Roles: 1 projectAdmin, 2 developer, 3 guest,
-- 4 maintainer, 5 limitedGuest.
CREATE TABLE project_member (
  id             serial PRIMARY KEY,
  project_id     integer NOT NULL REFERENCES project (project_id) ON DELETE CASCADE,
  entity_id      integer NOT NULL,
  entity_type    char(1) NOT NULL CHECK (entity_type IN ('u', 'g')),
  role           integer NOT NULL CHECK (role BETWEEN 1 AND 5),
  creation_time  timestamptz NOT NULL DEFAULT now(),
  update_time    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, entity_type, entity_id)
);
CREATE INDEX project_member_entity_idx ON project_member (entity_type, entity_id);

-- Robot accounts. `name` is stored without the prefix: `<name>` (system) or
-- `<project>+<name>` (project level). Secrets are scrypt hashes.
CREATE TABLE robot (
  id             serial PRIMARY KEY,
  name           text COLLATE "C" NOT NULL UNIQUE,
  description    text NOT NULL DEFAULT '',
  secret_hash    text NOT NULL,
  level          text NOT NULL CHECK (level IN ('system', 'project')),
  project_id     integer REFERENCES project (project_id) ON DELETE CASCADE,
  duration       integer NOT NULL,
  expires_at     bigint NOT NULL,
  disabled       boolean NOT NULL DEFAULT false,
  creator_type   text NOT NULL DEFAULT 'local',
  creator_ref    integer NOT NULL DEFAULT 0,
  permissions    jsonb NOT NULL DEFAULT '[]',
  secret_version integer NOT NULL DEFAULT 1,
  creation_time  timestamptz NOT NULL DEFAULT now(),
  update_time    timestamptz NOT NULL DEFAULT now()
);

-- The projection of the registry's content that the API shows.
CREATE TABLE repository (
  repository_id  serial PRIMARY KEY,
  name           text COLLATE "C" NOT NULL UNIQUE,
  project_id     integer NOT NULL REFERENCES project (project_id) ON DELETE CASCADE,
  description    text NOT NULL DEFAULT '',
  pull_count     bigint NOT NULL DEFAULT 0,
  creation_time  timestamptz NOT NULL DEFAULT now(),
  update_time    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX repository_project_idx ON repository (project_id);

CREATE TABLE artifact (
  id                   bigserial PRIMARY KEY,
  project_id           integer NOT NULL REFERENCES project (project_id) ON DELETE CASCADE,
  repository_id        integer NOT NULL REFERENCES repository (repository_id) ON DELETE CASCADE,
  repository_name      text NOT NULL,
  digest               text NOT NULL,
  type                 text NOT NULL,
  media_type           text NOT NULL,
  manifest_media_type  text NOT NULL,
  artifact_type        text,
  size                 bigint NOT NULL,
  subject_digest       text,
  push_time            timestamptz NOT NULL DEFAULT now(),
  pull_time            timestamptz,
  extra_attrs          jsonb NOT NULL DEFAULT '{}',
  annotations          jsonb NOT NULL DEFAULT '{}',
  UNIQUE (repository_id, digest)
);
CREATE INDEX artifact_digest_idx ON artifact (digest);

-- Children of an index.
CREATE TABLE artifact_reference (
  id            bigserial PRIMARY KEY,
  parent_id     bigint NOT NULL REFERENCES artifact (id) ON DELETE CASCADE,
  child_id      bigint REFERENCES artifact (id) ON DELETE SET NULL,
  child_digest  text NOT NULL,
  platform      jsonb,
  annotations   jsonb,
  urls          jsonb,
  UNIQUE (parent_id, child_digest)
);

CREATE TABLE tag (
  id             bigserial PRIMARY KEY,
  repository_id  integer NOT NULL REFERENCES repository (repository_id) ON DELETE CASCADE,
  artifact_id    bigint NOT NULL REFERENCES artifact (id) ON DELETE CASCADE,
  name           text COLLATE "C" NOT NULL,
  push_time      timestamptz NOT NULL DEFAULT now(),
  pull_time      timestamptz,
  UNIQUE (repository_id, name)
);
CREATE INDEX tag_artifact_idx ON tag (artifact_id);

-- Known scan results per digest (filled by the scanner later; read by prevent_vul).
CREATE TABLE scan_summary (
  digest      text PRIMARY KEY,
  severity    text NOT NULL CHECK (severity IN ('None', 'Unknown', 'Negligible', 'Low', 'Medium', 'High', 'Critical')),
  scanned_at  timestamptz NOT NULL DEFAULT now()
);

-- Registry events already applied (events are delivered at least once).
CREATE TABLE registry_event (
  id           text PRIMARY KEY,
  action       text NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now()
);

-- The audit log. `dedupe_key` makes an operation recorded by two paths (the response to a
-- push and the registry's event for it) one entry.
CREATE TABLE audit_log (
  id             bigserial PRIMARY KEY,
  project_id     integer,
  operation      text NOT NULL,
  resource_type  text NOT NULL,
  resource       text NOT NULL,
  username       text NOT NULL,
  op_time        timestamptz NOT NULL DEFAULT now(),
  dedupe_key     text UNIQUE
);
CREATE INDEX audit_log_project_idx ON audit_log (project_id, op_time DESC);
CREATE INDEX audit_log_time_idx ON audit_log (op_time DESC);

-- Down Migration
DROP TABLE audit_log;
DROP TABLE registry_event;
DROP TABLE scan_summary;
DROP TABLE tag;
DROP TABLE artifact_reference;
DROP TABLE artifact;
DROP TABLE repository;
DROP TABLE robot;
DROP TABLE project_member;
DROP TABLE project_metadata;
DROP TABLE project;
DROP TABLE harbor_user;
