import { withTransaction, type Pool, type PoolClient } from '@wharf/db';
import type { ListQuery } from '../listing/list-query.js';
import { pageClause, toSql, type Column } from '../listing/list-sql.js';

export interface TagRecord {
  id: number;
  repositoryId: number;
  artifactId: number;
  name: string;
  pushTime: Date;
  pullTime: Date | null;
}

export interface ReferenceRecord {
  parentId: number;
  childId: number | null;
  childDigest: string;
  platform: Record<string, unknown> | null;
  annotations: Record<string, string> | null;
  urls: string[] | null;
}

export interface ArtifactRecord {
  id: number;
  projectId: number;
  repositoryId: number;
  repositoryName: string;
  digest: string;
  type: string;
  mediaType: string;
  manifestMediaType: string;
  artifactType: string | null;
  size: number;
  subjectDigest: string | null;
  pushTime: Date;
  pullTime: Date | null;
  extraAttrs: Record<string, unknown>;
  annotations: Record<string, string>;
  tags: TagRecord[];
  references: ReferenceRecord[];
}

/** What the registry says an artifact is (the projection's input). */
export interface ArtifactFacts {
  digest: string;
  type: string;
  mediaType: string;
  manifestMediaType: string;
  artifactType: string | null;
  size: number;
  subjectDigest: string | null;
  extraAttrs: Record<string, unknown>;
  annotations: Record<string, string>;
  references: Omit<ReferenceRecord, 'parentId' | 'childId'>[];
}

interface ArtifactRow {
  id: number;
  project_id: number;
  repository_id: number;
  repository_name: string;
  digest: string;
  type: string;
  media_type: string;
  manifest_media_type: string;
  artifact_type: string | null;
  size: number;
  subject_digest: string | null;
  push_time: Date;
  pull_time: Date | null;
  extra_attrs: Record<string, unknown>;
  annotations: Record<string, string>;
  tags: { id: number; repository_id: number; artifact_id: number; name: string; push_time: string; pull_time: string | null }[] | null;
  refs: { parent_id: number; child_id: number | null; child_digest: string; platform: Record<string, unknown> | null; annotations: Record<string, string> | null; urls: string[] | null }[] | null;
}

const SELECT = `
  SELECT a.*,
    (SELECT jsonb_agg(jsonb_build_object('id', t.id, 'repository_id', t.repository_id, 'artifact_id', t.artifact_id, 'name', t.name,
                                         'push_time', t.push_time, 'pull_time', t.pull_time) ORDER BY t.name)
     FROM tag t WHERE t.artifact_id = a.id) AS tags,
    (SELECT jsonb_agg(jsonb_build_object('parent_id', r.parent_id, 'child_id', r.child_id, 'child_digest', r.child_digest,
                                         'platform', r.platform, 'annotations', r.annotations, 'urls', r.urls) ORDER BY r.id)
     FROM artifact_reference r WHERE r.parent_id = a.id) AS refs
  FROM artifact a`;

const toRecord = (row: ArtifactRow): ArtifactRecord => ({
  id: row.id,
  projectId: row.project_id,
  repositoryId: row.repository_id,
  repositoryName: row.repository_name,
  digest: row.digest,
  type: row.type,
  mediaType: row.media_type,
  manifestMediaType: row.manifest_media_type,
  artifactType: row.artifact_type,
  size: row.size,
  subjectDigest: row.subject_digest,
  pushTime: row.push_time,
  pullTime: row.pull_time,
  extraAttrs: row.extra_attrs,
  annotations: row.annotations,
  tags: (row.tags ?? []).map((t) => ({
    id: t.id,
    repositoryId: t.repository_id,
    artifactId: t.artifact_id,
    name: t.name,
    pushTime: new Date(t.push_time),
    pullTime: t.pull_time ? new Date(t.pull_time) : null,
  })),
  references: (row.refs ?? []).map((r) => ({
    parentId: r.parent_id,
    childId: r.child_id,
    childDigest: r.child_digest,
    platform: r.platform,
    annotations: r.annotations,
    urls: r.urls,
  })),
});

const columns: Record<string, Column> = {
  digest: { sql: 'a.digest', type: 'text' },
  type: { sql: 'a.type', type: 'text' },
  media_type: { sql: 'a.media_type', type: 'text' },
  push_time: { sql: 'a.push_time', type: 'time' },
  pull_time: { sql: 'a.pull_time', type: 'time' },
  size: { sql: 'a.size', type: 'bigint' },
  tags: { sql: '(SELECT string_agg(t.name, \',\') FROM tag t WHERE t.artifact_id = a.id)', type: 'text' },
  id: { sql: 'a.id', type: 'bigint' },
};

/** The projection of the registry: artifacts, their tags and references. */
export interface ArtifactStore {
  findByDigest(repository: string, digest: string): Promise<ArtifactRecord | undefined>;
  findByTag(repository: string, tag: string): Promise<ArtifactRecord | undefined>;
  /** One page of the repository's artifacts, newest push first by default. */
  list(repository: string, query: ListQuery): Promise<{ items: ArtifactRecord[]; total: number }>;
  /**
   * Records the artifact as the registry describes it (creating its repository when new)
   * and points `tags` at it. Re-applying the same facts changes nothing.
   */
  upsert(projectId: number, repository: string, facts: ArtifactFacts, tags: readonly string[]): Promise<number>;
  /** Removes the artifact (and its tags); false when it was not there. */
  remove(repository: string, digest: string): Promise<boolean>;
  removeTag(repository: string, tag: string): Promise<boolean>;
  /** The repository's tag names, sorted. */
  tagNames(repository: string): Promise<string[]>;
  digests(repository: string): Promise<string[]>;
}

/** The artifact, tag and artifact_reference tables (the projection of the registry). */
export class PgArtifactStore implements ArtifactStore {
  readonly #pool: Pool;

  constructor(deps: { pool: Pool }) {
    this.#pool = deps.pool;
  }

  async findByDigest(repository: string, digest: string): Promise<ArtifactRecord | undefined> {
    const result = await this.#pool.query<ArtifactRow>(`${SELECT} WHERE a.repository_name = $1 AND a.digest = $2`, [repository, digest]);
    return result.rows[0] ? toRecord(result.rows[0]) : undefined;
  }

  async findByTag(repository: string, tag: string): Promise<ArtifactRecord | undefined> {
    const result = await this.#pool.query<ArtifactRow>(
      `${SELECT} WHERE a.id = (SELECT t.artifact_id FROM tag t JOIN repository r ON r.repository_id = t.repository_id WHERE r.name = $1 AND t.name = $2)`,
      [repository, tag],
    );
    return result.rows[0] ? toRecord(result.rows[0]) : undefined;
  }

  async list(repository: string, query: ListQuery): Promise<{ items: ArtifactRecord[]; total: number }> {
    const sql = toSql(query, columns, [{ key: 'push_time', descending: true }, { key: 'id', descending: true }], 1);
    const where = ['a.repository_name = $1', ...sql.where].join(' AND ');
    const values = [repository, ...sql.values];
    const page = pageClause(sql, values);
    const [items, total] = await Promise.all([
      this.#pool.query<ArtifactRow>(`${SELECT} WHERE ${where} ORDER BY ${sql.orderBy} ${page.text}`, page.values),
      this.#pool.query<{ count: number }>(`SELECT count(*)::bigint AS count FROM artifact a WHERE ${where}`, values),
    ]);
    return { items: items.rows.map(toRecord), total: total.rows[0]?.count ?? 0 };
  }

  /**
   * Records the artifact as the registry describes it (creating its repository row when
   * new) and points `tags` at it. Re-applying the same facts changes nothing.
   */
  async upsert(projectId: number, repository: string, facts: ArtifactFacts, tags: readonly string[]): Promise<number> {
    return withTransaction(this.#pool, async (tx) => {
      const repositoryId = await this.#repositoryId(tx, projectId, repository);
      const inserted = await tx.query<{ id: number }>(
        `INSERT INTO artifact (project_id, repository_id, repository_name, digest, type, media_type, manifest_media_type, artifact_type, size,
                               subject_digest, extra_attrs, annotations)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (repository_id, digest) DO UPDATE SET type = EXCLUDED.type, media_type = EXCLUDED.media_type,
           manifest_media_type = EXCLUDED.manifest_media_type, artifact_type = EXCLUDED.artifact_type, size = EXCLUDED.size,
           subject_digest = EXCLUDED.subject_digest, extra_attrs = EXCLUDED.extra_attrs, annotations = EXCLUDED.annotations
         RETURNING id`,
        [projectId, repositoryId, repository, facts.digest, facts.type, facts.mediaType, facts.manifestMediaType, facts.artifactType, facts.size,
          facts.subjectDigest, JSON.stringify(facts.extraAttrs), JSON.stringify(facts.annotations)],
      );
      const id = inserted.rows[0]!.id;
      for (const reference of facts.references) {
        await tx.query(
          `INSERT INTO artifact_reference (parent_id, child_id, child_digest, platform, annotations, urls)
           VALUES ($1, (SELECT id FROM artifact WHERE repository_id = $2 AND digest = $3), $3, $4, $5, $6)
           ON CONFLICT (parent_id, child_digest) DO UPDATE SET child_id = EXCLUDED.child_id, platform = EXCLUDED.platform`,
          [id, repositoryId, reference.childDigest, reference.platform ? JSON.stringify(reference.platform) : null,
            reference.annotations ? JSON.stringify(reference.annotations) : null, reference.urls ? JSON.stringify(reference.urls) : null],
        );
      }
      for (const tag of tags) {
        await tx.query(
          `INSERT INTO tag (repository_id, artifact_id, name) VALUES ($1, $2, $3)
           ON CONFLICT (repository_id, name) DO UPDATE SET artifact_id = EXCLUDED.artifact_id,
             push_time = CASE WHEN tag.artifact_id = EXCLUDED.artifact_id THEN tag.push_time ELSE now() END`,
          [repositoryId, id, tag],
        );
      }
      await tx.query('UPDATE repository SET update_time = now() WHERE repository_id = $1', [repositoryId]);
      return id;
    });
  }

  /** Removes the artifact (and its tags) from the projection; false when it was not there. */
  async remove(repository: string, digest: string): Promise<boolean> {
    const result = await this.#pool.query('DELETE FROM artifact WHERE repository_name = $1 AND digest = $2', [repository, digest]);
    return (result.rowCount ?? 0) > 0;
  }

  async removeTag(repository: string, tag: string): Promise<boolean> {
    const result = await this.#pool.query(
      'DELETE FROM tag t USING repository r WHERE t.repository_id = r.repository_id AND r.name = $1 AND t.name = $2',
      [repository, tag],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async tagNames(repository: string): Promise<string[]> {
    const result = await this.#pool.query<{ name: string }>(
      'SELECT t.name FROM tag t JOIN repository r ON r.repository_id = t.repository_id WHERE r.name = $1 ORDER BY t.name',
      [repository],
    );
    return result.rows.map((row) => row.name);
  }

  async digests(repository: string): Promise<string[]> {
    const result = await this.#pool.query<{ digest: string }>('SELECT digest FROM artifact WHERE repository_name = $1', [repository]);
    return result.rows.map((row) => row.digest);
  }

  async #repositoryId(tx: PoolClient, projectId: number, name: string): Promise<number> {
    const existing = await tx.query<{ repository_id: number }>('SELECT repository_id FROM repository WHERE name = $1', [name]);
    if (existing.rows[0]) return existing.rows[0].repository_id;
    const inserted = await tx.query<{ repository_id: number }>(
      'INSERT INTO repository (name, project_id) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING repository_id',
      [name, projectId],
    );
    if (inserted.rows[0]) return inserted.rows[0].repository_id;
    const created = await tx.query<{ repository_id: number }>('SELECT repository_id FROM repository WHERE name = $1', [name]);
    return created.rows[0]!.repository_id;
  }
}
