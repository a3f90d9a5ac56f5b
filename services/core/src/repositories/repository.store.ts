import type { Pool } from '@wharf/db';
import type { ListQuery } from '../listing/list-query.js';
import { pageClause, toSql, type Column } from '../listing/list-sql.js';

export interface RepositoryRecord {
  id: number;
  projectId: number;
  projectName: string;
  projectPublic: boolean;
  name: string;
  description: string;
  artifactCount: number;
  pullCount: number;
  creationTime: Date;
  updateTime: Date;
}

/** Which repositories a caller may list: all, those of public projects, or also those of given projects. */
export type RepositoryScope = { kind: 'all' } | { kind: 'projects'; projectIds: readonly number[]; includePublic: boolean };

interface Row {
  repository_id: number;
  project_id: number;
  project_name: string;
  project_public: boolean;
  name: string;
  description: string;
  artifact_count: number;
  pull_count: number;
  creation_time: Date;
  update_time: Date;
}

const SELECT = `
  SELECT r.repository_id, r.project_id, p.name AS project_name, r.name, r.description, r.pull_count, r.creation_time, r.update_time,
    EXISTS (SELECT 1 FROM project_metadata m WHERE m.project_id = p.project_id AND m.name = 'public' AND m.value = 'true') AS project_public,
    (SELECT count(*)::bigint FROM artifact a WHERE a.repository_id = r.repository_id) AS artifact_count
  FROM repository r JOIN project p ON p.project_id = r.project_id`;

const toRecord = (row: Row): RepositoryRecord => ({
  id: row.repository_id,
  projectId: row.project_id,
  projectName: row.project_name,
  projectPublic: row.project_public,
  name: row.name,
  description: row.description,
  artifactCount: row.artifact_count,
  pullCount: row.pull_count,
  creationTime: row.creation_time,
  updateTime: row.update_time,
});

const columns: Record<string, Column> = {
  name: { sql: 'r.name', type: 'text' },
  id: { sql: 'r.repository_id', type: 'int' },
  project_id: { sql: 'r.project_id', type: 'int' },
  pull_count: { sql: 'r.pull_count', type: 'bigint' },
  creation_time: { sql: 'r.creation_time', type: 'time' },
  update_time: { sql: 'r.update_time', type: 'time' },
};

/** The store of (image) repositories, and what listing them by the caller's projects needs. */
export interface RepositoryStore {
  find(name: string): Promise<RepositoryRecord | undefined>;
  /** One page of the repositories in scope (and in the project, when given), newest first by default. */
  list(scope: RepositoryScope, query: ListQuery, projectId?: number): Promise<{ items: RepositoryRecord[]; total: number }>;
  /** Names after `last` in byte order (the /v2 catalog), limited to the scope. */
  names(scope: RepositoryScope, limit: number, last: string | undefined): Promise<string[]>;
  updateDescription(name: string, description: string): Promise<boolean>;
  delete(name: string): Promise<boolean>;
  /** Projects in which the user is a member (for listing). */
  memberProjects(userId: number): Promise<number[]>;
  projectIdsByName(names: readonly string[]): Promise<number[]>;
  statistics(scope: RepositoryScope): Promise<{ publicRepos: number; privateRepos: number; storage: number }>;
}

export class PgRepositoryStore implements RepositoryStore {
  readonly #pool: Pool;

  constructor(deps: { pool: Pool }) {
    this.#pool = deps.pool;
  }

  async find(name: string): Promise<RepositoryRecord | undefined> {
    const result = await this.#pool.query<Row>(`${SELECT} WHERE r.name = $1`, [name]);
    return result.rows[0] ? toRecord(result.rows[0]) : undefined;
  }

  async list(scope: RepositoryScope, query: ListQuery, projectId?: number): Promise<{ items: RepositoryRecord[]; total: number }> {
    const sql = toSql(query, columns, [{ key: 'creation_time', descending: true }, { key: 'id', descending: true }]);
    const where = [...sql.where];
    const values = [...sql.values];
    if (projectId !== undefined) {
      values.push(projectId);
      where.push(`r.project_id = $${values.length}`);
    }
    if (scope.kind === 'projects') {
      values.push(scope.projectIds);
      const publicClause = scope.includePublic
        ? ` OR EXISTS (SELECT 1 FROM project_metadata m WHERE m.project_id = r.project_id AND m.name = 'public' AND m.value = 'true')`
        : '';
      where.push(`(r.project_id = ANY($${values.length})${publicClause})`);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const page = pageClause(sql, values);
    const [items, total] = await Promise.all([
      this.#pool.query<Row>(`${SELECT} ${clause} ORDER BY ${sql.orderBy} ${page.text}`, page.values),
      this.#pool.query<{ count: number }>(`SELECT count(*)::bigint AS count FROM repository r JOIN project p ON p.project_id = r.project_id ${clause}`, values),
    ]);
    return { items: items.rows.map(toRecord), total: total.rows[0]?.count ?? 0 };
  }

  /** Names after `last` in byte order (the /v2 catalog), limited to the scope. */
  async names(scope: RepositoryScope, limit: number, last: string | undefined): Promise<string[]> {
    const values: unknown[] = [last ?? null, limit];
    let filter = '';
    if (scope.kind === 'projects') {
      values.push(scope.projectIds);
      filter = `AND (r.project_id = ANY($3)${scope.includePublic ? ` OR EXISTS (SELECT 1 FROM project_metadata m WHERE m.project_id = r.project_id AND m.name = 'public' AND m.value = 'true')` : ''})`;
    }
    const result = await this.#pool.query<{ name: string }>(
      `SELECT r.name FROM repository r WHERE ($1::text IS NULL OR r.name > $1) ${filter} ORDER BY r.name LIMIT $2`,
      values,
    );
    return result.rows.map((row) => row.name);
  }

  async updateDescription(name: string, description: string): Promise<boolean> {
    const result = await this.#pool.query('UPDATE repository SET description = $2, update_time = now() WHERE name = $1', [name, description]);
    return (result.rowCount ?? 0) > 0;
  }

  async delete(name: string): Promise<boolean> {
    const result = await this.#pool.query('DELETE FROM repository WHERE name = $1', [name]);
    return (result.rowCount ?? 0) > 0;
  }

  /** Projects in which the user is a member (for listing). */
  async memberProjects(userId: number): Promise<number[]> {
    const result = await this.#pool.query<{ project_id: number }>("SELECT project_id FROM project_member WHERE entity_type = 'u' AND entity_id = $1", [userId]);
    return result.rows.map((row) => row.project_id);
  }

  async projectIdsByName(names: readonly string[]): Promise<number[]> {
    const result = await this.#pool.query<{ project_id: number }>('SELECT project_id FROM project WHERE name = ANY($1)', [names]);
    return result.rows.map((row) => row.project_id);
  }

  async statistics(scope: RepositoryScope): Promise<{ publicRepos: number; privateRepos: number; storage: number }> {
    const values: unknown[] = [];
    let filter = '';
    if (scope.kind === 'projects') {
      values.push(scope.projectIds);
      filter = `WHERE r.project_id = ANY($1)${scope.includePublic ? ` OR EXISTS (SELECT 1 FROM project_metadata m WHERE m.project_id = r.project_id AND m.name = 'public' AND m.value = 'true')` : ''}`;
    }
    const result = await this.#pool.query<{ public_repos: number; private_repos: number; storage: number }>(
      `SELECT
         count(*) FILTER (WHERE pub)::bigint AS public_repos,
         count(*) FILTER (WHERE NOT pub)::bigint AS private_repos,
         COALESCE(sum(size), 0)::bigint AS storage
       FROM (
         SELECT r.repository_id,
           EXISTS (SELECT 1 FROM project_metadata m WHERE m.project_id = r.project_id AND m.name = 'public' AND m.value = 'true') AS pub,
           (SELECT COALESCE(sum(a.size), 0) FROM artifact a WHERE a.repository_id = r.repository_id) AS size
         FROM repository r ${filter}
       ) s`,
      values,
    );
    const row = result.rows[0];
    return { publicRepos: row?.public_repos ?? 0, privateRepos: row?.private_repos ?? 0, storage: row?.storage ?? 0 };
  }
}
