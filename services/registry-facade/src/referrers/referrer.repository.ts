import type { Pool } from '@wharf/db';
import type { Descriptor } from '@wharf/oci';

/** Reads of manifests by their `subject`. */
export class PgReferrerRepository {
  readonly #pool: Pool;

  constructor(deps: { pool: Pool }) {
    this.#pool = deps.pool;
  }

  /** Descriptors of the repository's manifests whose subject is `subject`, by digest after `last`. */
  async list(repository: string, subject: string, artifactType: string | undefined, limit: number, last: string | undefined): Promise<Descriptor[]> {
    const result = await this.#pool.query<{
      digest: string;
      media_type: string;
      size: number;
      artifact_type: string | null;
      annotations: Record<string, string> | null;
    }>(
      `SELECT m.digest, m.media_type, m.size, m.artifact_type, m.annotations
       FROM manifest m JOIN repository r ON r.id = m.repository_id
       WHERE r.name = $1 AND m.subject_digest = $2
         AND ($3::text IS NULL OR m.artifact_type = $3)
         AND ($4::text IS NULL OR m.digest > $4)
       ORDER BY m.digest LIMIT $5`,
      [repository, subject, artifactType ?? null, last ?? null, limit],
    );
    return result.rows.map((row) => {
      const descriptor: Descriptor = { mediaType: row.media_type, digest: row.digest, size: row.size };
      if (row.artifact_type) descriptor.artifactType = row.artifact_type;
      if (row.annotations && Object.keys(row.annotations).length > 0) descriptor.annotations = row.annotations;
      return descriptor;
    });
  }
}
