import { withTransaction, type Pool } from '@wharf/db';
import type { PgEventOutbox } from '../events/event.repository.js';
import type { RegistryEvent } from '../events/registry-event.js';
import { ensureRepositoryId, findRepositoryId } from '../repositories/repository.sql.js';

export interface ManifestRecord {
  digest: string;
  mediaType: string;
  size: number;
  artifactType: string | null;
  subjectDigest: string | null;
  annotations: Record<string, string> | null;
}

export interface NewManifest {
  repository: string;
  digest: string;
  mediaType: string;
  size: number;
  artifactType: string | undefined;
  subjectDigest: string | undefined;
  annotations: Record<string, string> | undefined;
  references: readonly { digest: string; kind: 'blob' | 'manifest' }[];
  tags: readonly string[];
}

interface ManifestRow {
  digest: string;
  media_type: string;
  size: number;
  artifact_type: string | null;
  subject_digest: string | null;
  annotations: Record<string, string> | null;
}

const COLUMNS = 'm.digest, m.media_type, m.size, m.artifact_type, m.subject_digest, m.annotations';

/**
 * The `manifest`, `manifest_reference` and `tag` tables. Writes store the events they
 * raise in the same transaction (the outbox), so an acknowledged change always has its event.
 */
export class PgManifestRepository {
  readonly #pool: Pool;
  readonly #outbox: PgEventOutbox;

  constructor(deps: { pool: Pool; outbox: PgEventOutbox }) {
    this.#pool = deps.pool;
    this.#outbox = deps.outbox;
  }

  async repositoryExists(repository: string): Promise<boolean> {
    return (await findRepositoryId(this.#pool, repository)) !== undefined;
  }

  async findByDigest(repository: string, digest: string): Promise<ManifestRecord | undefined> {
    // Named: prepared once per connection, as every manifest pull by digest asks it.
    const result = await this.#pool.query<ManifestRow>({
      name: 'manifest-by-digest',
      text: `SELECT ${COLUMNS} FROM manifest m JOIN repository r ON r.id = m.repository_id WHERE r.name = $1 AND m.digest = $2`,
      values: [repository, digest],
    });
    return result.rows[0] ? toRecord(result.rows[0]) : undefined;
  }

  async findByTag(repository: string, tag: string): Promise<ManifestRecord | undefined> {
    // Named: prepared once per connection, as every manifest pull by tag asks it.
    const result = await this.#pool.query<ManifestRow>({
      name: 'manifest-by-tag',
      text: `SELECT ${COLUMNS} FROM tag t
         JOIN repository r ON r.id = t.repository_id
         JOIN manifest m ON m.repository_id = t.repository_id AND m.digest = t.manifest_digest
       WHERE r.name = $1 AND t.name = $2`,
      values: [repository, tag],
    });
    return result.rows[0] ? toRecord(result.rows[0]) : undefined;
  }

  /** Those of `digests` that are manifests of the repository, with their media types. */
  async findMany(repository: string, digests: readonly string[]): Promise<Map<string, ManifestRecord>> {
    if (digests.length === 0) return new Map();
    const result = await this.#pool.query<ManifestRow>(
      `SELECT ${COLUMNS} FROM manifest m JOIN repository r ON r.id = m.repository_id
       WHERE r.name = $1 AND m.digest = ANY($2::text[])`,
      [repository, [...new Set(digests)]],
    );
    return new Map(result.rows.map((row) => [row.digest, toRecord(row)]));
  }

  /** Records the manifest's content, stores the manifest, its references and tags (moving tags that pointed elsewhere), and its events. */
  async save(manifest: NewManifest, events: readonly RegistryEvent[]): Promise<void> {
    await withTransaction(this.#pool, async (tx) => {
      const repositoryId = await ensureRepositoryId(tx, manifest.repository);
      // The manifest's bytes are a blob of the store (written before this transaction).
      await tx.query('INSERT INTO blob (digest, size) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING', [manifest.digest, manifest.size]);
      await tx.query(
        `INSERT INTO manifest (repository_id, digest, media_type, size, artifact_type, subject_digest, annotations)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (repository_id, digest) DO NOTHING`,
        [
          repositoryId,
          manifest.digest,
          manifest.mediaType,
          manifest.size,
          manifest.artifactType ?? null,
          manifest.subjectDigest ?? null,
          manifest.annotations ? JSON.stringify(manifest.annotations) : null,
        ],
      );
      if (manifest.references.length > 0) {
        await tx.query(
          `INSERT INTO manifest_reference (repository_id, manifest_digest, child_digest, child_kind)
           SELECT $1, $2, r.digest, r.kind FROM jsonb_to_recordset($3::jsonb) AS r(digest text, kind text)
           ON CONFLICT DO NOTHING`,
          [repositoryId, manifest.digest, JSON.stringify(manifest.references)],
        );
      }
      if (manifest.tags.length > 0) {
        await tx.query(
          `INSERT INTO tag (repository_id, name, manifest_digest)
           SELECT $1, t, $2 FROM unnest($3::text[]) AS t
           ON CONFLICT (repository_id, name) DO UPDATE SET manifest_digest = EXCLUDED.manifest_digest, updated_at = now()`,
          [repositoryId, manifest.digest, manifest.tags],
        );
      }
      await this.#outbox.add(events, tx);
    });
  }

  /** Deletes a manifest and the tags that point to it; undefined when there was none. */
  async deleteByDigest(
    repository: string,
    digest: string,
    events: (deleted: ManifestRecord) => readonly RegistryEvent[],
  ): Promise<ManifestRecord | undefined> {
    return withTransaction(this.#pool, async (tx) => {
      const result = await tx.query<ManifestRow>(
        `DELETE FROM manifest m USING repository r
         WHERE m.repository_id = r.id AND r.name = $1 AND m.digest = $2
         RETURNING ${COLUMNS}`,
        [repository, digest],
      );
      const row = result.rows[0];
      if (!row) return undefined;
      const record = toRecord(row);
      await this.#outbox.add(events(record), tx);
      return record;
    });
  }

  /** Removes one tag; the manifest stays. Undefined when there was no such tag. */
  async deleteTag(
    repository: string,
    tag: string,
    events: (untagged: ManifestRecord) => readonly RegistryEvent[],
  ): Promise<ManifestRecord | undefined> {
    return withTransaction(this.#pool, async (tx) => {
      const result = await tx.query<{ manifest_digest: string }>(
        `DELETE FROM tag t USING repository r
         WHERE t.repository_id = r.id AND r.name = $1 AND t.name = $2
         RETURNING t.manifest_digest`,
        [repository, tag],
      );
      const digest = result.rows[0]?.manifest_digest;
      if (!digest) return undefined;
      const manifest = await tx.query<ManifestRow>(
        `SELECT ${COLUMNS} FROM manifest m JOIN repository r ON r.id = m.repository_id WHERE r.name = $1 AND m.digest = $2`,
        [repository, digest],
      );
      const record = toRecord(manifest.rows[0]!);
      await this.#outbox.add(events(record), tx);
      return record;
    });
  }
}

function toRecord(row: ManifestRow): ManifestRecord {
  return {
    digest: row.digest,
    mediaType: row.media_type,
    size: row.size,
    artifactType: row.artifact_type,
    subjectDigest: row.subject_digest,
    annotations: row.annotations,
  };
}
