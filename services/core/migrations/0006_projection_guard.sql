-- Up Migration

-- Pushes core projected from the manifest it forwarded, remembered for a while so that the
-- registry's event for the same push (delivered to any core replica) need not read the
-- registry again. Pruned with the applied event ids.
CREATE TABLE projected_push (
  repository_name text NOT NULL,
  digest text NOT NULL,
  tag text NOT NULL DEFAULT '',
  projected_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repository_name, digest, tag)
);
CREATE INDEX projected_push_at_idx ON projected_push (projected_at);

-- Down Migration
DROP TABLE projected_push;
