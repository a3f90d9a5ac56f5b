-- Up Migration

-- Applied registry event ids are kept only past registry-facade's redelivery window
-- (CORE_REGISTRY_EVENT_RETENTION); the pruning reads them by age.
CREATE INDEX registry_event_received_idx ON registry_event (received_at);

-- Down Migration
DROP INDEX registry_event_received_idx;
