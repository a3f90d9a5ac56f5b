-- Up Migration

-- Repository metadata of the registry. Blob and manifest bytes live in the storage
-- driver, content-addressed; these tables say which repository holds what, so that tags,
-- the catalog and referrers are indexed queries rather than directory walks.
-- Names compare byte-wise (COLLATE "C"): the distribution spec orders tags "ASCIIbetically".

CREATE TABLE repository (
  id          bigserial PRIMARY KEY,
  name        text COLLATE "C" NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Every blob present in storage (layers, configs and manifests), once.
CREATE TABLE blob (
  digest      text PRIMARY KEY,
  size        bigint NOT NULL CHECK (size >= 0),
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Blobs a repository may serve: uploaded, mounted into, or pushed to it.
CREATE TABLE repository_blob (
  repository_id  bigint NOT NULL REFERENCES repository (id) ON DELETE CASCADE,
  digest         text NOT NULL REFERENCES blob (digest),
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repository_id, digest)
);
CREATE INDEX repository_blob_digest_idx ON repository_blob (digest);

CREATE TABLE manifest (
  repository_id   bigint NOT NULL REFERENCES repository (id) ON DELETE CASCADE,
  digest          text NOT NULL REFERENCES blob (digest),
  media_type      text NOT NULL,
  size            bigint NOT NULL,
  -- the artifactType a referrers list shows: artifactType, else the config media type
  artifact_type   text,
  subject_digest  text,
  annotations     jsonb,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repository_id, digest)
);
CREATE INDEX manifest_subject_idx ON manifest (repository_id, subject_digest) WHERE subject_digest IS NOT NULL;

-- What each manifest references: blobs (config, layers) and child manifests (index entries).
CREATE TABLE manifest_reference (
  repository_id    bigint NOT NULL,
  manifest_digest  text NOT NULL,
  child_digest     text NOT NULL,
  child_kind       text NOT NULL CHECK (child_kind IN ('blob', 'manifest')),
  PRIMARY KEY (repository_id, manifest_digest, child_digest),
  FOREIGN KEY (repository_id, manifest_digest) REFERENCES manifest (repository_id, digest) ON DELETE CASCADE
);
CREATE INDEX manifest_reference_child_idx ON manifest_reference (repository_id, child_digest);

CREATE TABLE tag (
  repository_id    bigint NOT NULL,
  name             text COLLATE "C" NOT NULL,
  manifest_digest  text NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repository_id, name),
  FOREIGN KEY (repository_id, manifest_digest) REFERENCES manifest (repository_id, digest) ON DELETE CASCADE
);
CREATE INDEX tag_manifest_idx ON tag (repository_id, manifest_digest);

-- Upload sessions. The bytes received so far are the session's file in storage; this
-- row says which repository and digest algorithm it belongs to and when it was last used.
CREATE TABLE upload (
  id          uuid PRIMARY KEY,
  repository  text NOT NULL,
  algorithm   text NOT NULL,
  started_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX upload_updated_idx ON upload (updated_at);

-- Registry events waiting for delivery (transactional outbox).
CREATE TABLE event_outbox (
  id               uuid PRIMARY KEY,
  payload          jsonb NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_error       text
);
CREATE INDEX event_outbox_due_idx ON event_outbox (next_attempt_at, created_at);

-- Down Migration
DROP TABLE event_outbox;
DROP TABLE upload;
DROP TABLE tag;
DROP TABLE manifest_reference;
DROP TABLE manifest;
DROP TABLE repository_blob;
DROP TABLE blob;
DROP TABLE repository;
