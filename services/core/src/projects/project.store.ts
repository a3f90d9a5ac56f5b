import { withTransaction, type Pool } from '@wharf/db';
import type { ListQuery } from '../listing/list-query.js';
import { pageClause, toSql, type Column } from '../listing/list-sql.js';
import { Role } from '../rbac/roles.js';
import { isRowId } from '../listing/db-range.js';

export interface ProjectRecord {
  id: number;
  name: string;
  ownerId: number | null;
  ownerName: string;
  metadata: Record<string, string>;
  cveAllowlist: { items: { cve_id: string }[]; expiresAt: number | null };
  repoCount: number;
  creationTime: Date;
  updateTime: Date;
}

/** What the registry gate needs of a project: that it exists, since when, and its policies. */
export type ProjectGateInfo = Pick<ProjectRecord, 'id' | 'name' | 'metadata' | 'creationTime'>;

/** Which projects a caller may see in lists. */
export type Visibility =
  | { kind: 'all' }
  | { kind: 'public' }
  | { kind: 'member'; userId: number }
  | { kind: 'named'; names: readonly string[]; includePublic: boolean };

interface ProjectRow {
  project_id: number;
  name: string;
  owner_id: number | null;
  owner_name: string | null;
  metadata: Record<string, string> | null;
  cve_allowlist_items: { cve_id: string }[];
  cve_allowlist_expires_at: number | null;
  repo_count: number;
  creation_time: Date;
  update_time: Date;
}

const SELECT = `
  SELECT p.project_id, p.name, p.owner_id, u.username AS owner_name, p.cve_allowlist_items, p.cve_allowlist_expires_at,
         p.creation_time, p.update_time,
         (SELECT jsonb_object_agg(m.name, m.value) FROM project_metadata m WHERE m.project_id = p.project_id) AS metadata,
         (SELECT count(*)::bigint FROM repository r WHERE r.project_id = p.project_id) AS repo_count
  FROM project p LEFT JOIN harbor_user u ON u.user_id = p.owner_id`;

const PUBLIC = `EXISTS (SELECT 1 FROM project_metadata pm WHERE pm.project_id = p.project_id AND pm.name = 'public' AND pm.value = 'true')`;

const toRecord = (row: ProjectRow): ProjectRecord => ({
  id: row.project_id,
  name: row.name,
  ownerId: row.owner_id,
  ownerName: row.owner_name ?? '',
  metadata: row.metadata ?? {},
  cveAllowlist: { items: row.cve_allowlist_items, expiresAt: row.cve_allowlist_expires_at },
  repoCount: row.repo_count,
  creationTime: row.creation_time,
  updateTime: row.update_time,
});

const columns: Record<string, Column> = {
  name: { sql: 'p.name', type: 'text' },
  project_id: { sql: 'p.project_id', type: 'int' },
  owner_id: { sql: 'p.owner_id', type: 'int' },
  creation_time: { sql: 'p.creation_time', type: 'time' },
  update_time: { sql: 'p.update_time', type: 'time' },
};

export interface ProjectFilter {
  visibility: Visibility;
  name?: string;
  public?: boolean;
  owner?: string;
}

export type NewProject = { name: string; ownerId: number | null; metadata: Record<string, string>; cveAllowlist: { items: { cve_id: string }[]; expiresAt: number | null } };
export type ProjectChange = { metadata: Record<string, string>; cveAllowlist?: { items: { cve_id: string }[]; expiresAt: number | null } | undefined };

/** The store of projects, their metadata and what summaries count of them. */
export interface ProjectStore {
  findById(id: number): Promise<ProjectRecord | undefined>;
  findByName(name: string): Promise<ProjectRecord | undefined>;
  /** The gate's view of a project. */
  findGateInfo(name: string): Promise<ProjectGateInfo | undefined>;
  exists(name: string): Promise<boolean>;
  list(filter: ProjectFilter, query: ListQuery): Promise<{ items: ProjectRecord[]; total: number }>;
  /** Creates the project with its metadata and its creator as project admin; undefined when the name is taken. */
  create(project: NewProject): Promise<number | undefined>;
  /** Adds or replaces metadata keys (and the CVE allowlist when given). */
  update(id: number, change: ProjectChange): Promise<void>;
  /** Deletes the project if it holds no repository; returns the repository count otherwise. */
  deleteIfEmpty(id: number): Promise<{ deleted: boolean; repositories: number }>;
  /** Members by role id. */
  memberCounts(id: number): Promise<Record<number, number>>;
  /** Bytes of the project's artifacts. */
  storageUsed(id: number): Promise<number>;
}

export class PgProjectStore implements ProjectStore {
  readonly #pool: Pool;

  constructor(deps: { pool: Pool }) {
    this.#pool = deps.pool;
  }

  async findById(id: number): Promise<ProjectRecord | undefined> {
    // `/projects/{id}` takes any int64, as Harbor's does; past the id column there is no project.
    if (!isRowId(id)) return undefined;
    const result = await this.#pool.query<ProjectRow>({ name: 'project-by-id', text: `${SELECT} WHERE p.project_id = $1`, values: [id] });
    return result.rows[0] ? toRecord(result.rows[0]) : undefined;
  }

  async findByName(name: string): Promise<ProjectRecord | undefined> {
    // Named (prepared once per connection): the /v2 gate asks it on every registry request.
    const result = await this.#pool.query<ProjectRow>({ name: 'project-by-name', text: `${SELECT} WHERE p.name = $1`, values: [name] });
    return result.rows[0] ? toRecord(result.rows[0]) : undefined;
  }

  /** The gate's view of a project: one lean prepared query, asked on every registry request. */
  async findGateInfo(name: string): Promise<ProjectGateInfo | undefined> {
    const result = await this.#pool.query<{ project_id: number; name: string; creation_time: Date; metadata: Record<string, string> | null }>({
      name: 'project-gate-info',
      text: `SELECT p.project_id, p.name, p.creation_time,
                    (SELECT jsonb_object_agg(m.name, m.value) FROM project_metadata m WHERE m.project_id = p.project_id) AS metadata
             FROM project p WHERE p.name = $1`,
      values: [name],
    });
    const row = result.rows[0];
    return row ? { id: row.project_id, name: row.name, creationTime: row.creation_time, metadata: row.metadata ?? {} } : undefined;
  }

  async exists(name: string): Promise<boolean> {
    const result = await this.#pool.query('SELECT 1 FROM project WHERE name = $1', [name]);
    return (result.rowCount ?? 0) > 0;
  }

  async list(filter: ProjectFilter, query: ListQuery): Promise<{ items: ProjectRecord[]; total: number }> {
    const sql = toSql(query, columns, [{ key: 'creation_time', descending: false }, { key: 'project_id', descending: false }]);
    const where = [...sql.where];
    const values = [...sql.values];
    const add = (clause: (placeholder: string) => string, value: unknown) => {
      values.push(value);
      where.push(clause(`$${values.length}`));
    };
    const visibility = filter.visibility;
    if (visibility.kind === 'public') where.push(PUBLIC);
    if (visibility.kind === 'member') {
      add((p) => `(${PUBLIC} OR p.project_id IN (SELECT project_id FROM project_member WHERE entity_type = 'u' AND entity_id = ${p}))`, visibility.userId);
    }
    if (visibility.kind === 'named') {
      add((p) => `(p.name = ANY(${p})${visibility.includePublic ? ` OR ${PUBLIC}` : ''})`, visibility.names);
    }
    if (filter.name) add((p) => `p.name ILIKE ${p}`, `%${filter.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    if (filter.public !== undefined) where.push(filter.public ? PUBLIC : `NOT ${PUBLIC}`);
    if (filter.owner) add((p) => `u.username = ${p}`, filter.owner);
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const page = pageClause(sql, values);
    const [items, total] = await Promise.all([
      this.#pool.query<ProjectRow>(`${SELECT} ${clause} ORDER BY ${sql.orderBy} ${page.text}`, page.values),
      this.#pool.query<{ count: number }>(`SELECT count(*)::bigint AS count FROM project p LEFT JOIN harbor_user u ON u.user_id = p.owner_id ${clause}`, values),
    ]);
    return { items: items.rows.map(toRecord), total: total.rows[0]?.count ?? 0 };
  }

  /** Creates the project with its metadata and its creator as project admin; undefined when the name is taken. */
  async create(project: NewProject): Promise<number | undefined> {
    return withTransaction(this.#pool, async (tx) => {
      const inserted = await tx.query<{ project_id: number }>(
        `INSERT INTO project (name, owner_id, cve_allowlist_items, cve_allowlist_expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO NOTHING RETURNING project_id`,
        [project.name, project.ownerId, JSON.stringify(project.cveAllowlist.items), project.cveAllowlist.expiresAt],
      );
      const id = inserted.rows[0]?.project_id;
      if (id === undefined) return undefined;
      await tx.query(
        `INSERT INTO project_metadata (project_id, name, value) SELECT $1, k, v FROM jsonb_each_text($2::jsonb) AS e(k, v)`,
        [id, JSON.stringify(project.metadata)],
      );
      if (project.ownerId !== null) {
        await tx.query("INSERT INTO project_member (project_id, entity_id, entity_type, role) VALUES ($1, $2, 'u', $3)", [id, project.ownerId, Role.ProjectAdmin]);
      }
      return id;
    });
  }

  async update(id: number, change: ProjectChange): Promise<void> {
    await withTransaction(this.#pool, async (tx) => {
      await tx.query(
        `INSERT INTO project_metadata (project_id, name, value) SELECT $1, k, v FROM jsonb_each_text($2::jsonb) AS e(k, v)
         ON CONFLICT (project_id, name) DO UPDATE SET value = EXCLUDED.value`,
        [id, JSON.stringify(change.metadata)],
      );
      if (change.cveAllowlist) {
        await tx.query('UPDATE project SET cve_allowlist_items = $2, cve_allowlist_expires_at = $3 WHERE project_id = $1', [
          id,
          JSON.stringify(change.cveAllowlist.items),
          change.cveAllowlist.expiresAt,
        ]);
      }
      await tx.query('UPDATE project SET update_time = now() WHERE project_id = $1', [id]);
    });
  }

  /** Deletes the project if it holds no repository (checked under a row lock); returns the repository count otherwise. */
  async deleteIfEmpty(id: number): Promise<{ deleted: boolean; repositories: number }> {
    return withTransaction(this.#pool, async (tx) => {
      const locked = await tx.query('SELECT 1 FROM project WHERE project_id = $1 FOR UPDATE', [id]);
      if (!locked.rowCount) return { deleted: false, repositories: 0 };
      const repositories = await tx.query<{ count: number }>('SELECT count(*)::bigint AS count FROM repository WHERE project_id = $1', [id]);
      const count = repositories.rows[0]?.count ?? 0;
      if (count > 0) return { deleted: false, repositories: count };
      await tx.query('DELETE FROM project WHERE project_id = $1', [id]);
      return { deleted: true, repositories: 0 };
    });
  }

  async memberCounts(id: number): Promise<Record<number, number>> {
    const result = await this.#pool.query<{ role: number; count: number }>(
      'SELECT role, count(*)::bigint AS count FROM project_member WHERE project_id = $1 GROUP BY role',
      [id],
    );
    return Object.fromEntries(result.rows.map((row) => [row.role, row.count]));
  }

  async storageUsed(id: number): Promise<number> {
    const result = await this.#pool.query<{ used: number }>('SELECT COALESCE(sum(size), 0)::bigint AS used FROM artifact WHERE project_id = $1', [id]);
    return result.rows[0]?.used ?? 0;
  }
}
