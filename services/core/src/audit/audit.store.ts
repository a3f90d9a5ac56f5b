import type { Pool, Queryable } from '@wharf/db';
import type { ListQuery } from '../listing/list-query.js';
import { pageClause, toSql, type Column } from '../listing/list-sql.js';

export interface AuditEntry {
  projectId: number | null;
  operation: string;
  resourceType: string;
  resource: string;
  username: string;
  /** Two paths that record the same operation give the same key; the entry is kept once. */
  dedupeKey?: string;
  opTime?: Date;
}

export interface AuditRecord {
  id: number;
  username: string;
  resource: string;
  resourceType: string;
  operation: string;
  opTime: Date;
}

const columns: Record<string, Column> = {
  operation: { sql: 'operation', type: 'text' },
  resource: { sql: 'resource', type: 'text' },
  resource_type: { sql: 'resource_type', type: 'text' },
  username: { sql: 'username', type: 'text' },
  op_time: { sql: 'op_time', type: 'time' },
  id: { sql: 'id', type: 'bigint' },
};

/** The audit log. */
export interface AuditStore {
  /** Records the entry; one with a dedupe key already present is not recorded again. */
  add(entry: AuditEntry): Promise<void>;
  /** Entries of the given projects (all when undefined), newest first by default. */
  list(projectIds: readonly number[] | undefined, query: ListQuery): Promise<{ items: AuditRecord[]; total: number }>;
  /** Projects in which the user's role may list the audit log. */
  projectsWithLogAccess(userId: number): Promise<number[]>;
}

export class PgAuditStore implements AuditStore {
  readonly #pool: Pool;

  constructor(deps: { pool: Pool }) {
    this.#pool = deps.pool;
  }

  /** Records the entry; one with a dedupe key already present is not recorded again. */
  async add(entry: AuditEntry, db: Queryable = this.#pool): Promise<void> {
    await db.query(
      `INSERT INTO audit_log (project_id, operation, resource_type, resource, username, op_time, dedupe_key)
       VALUES ($1, $2, $3, $4, $5, COALESCE($6, now()), $7) ON CONFLICT (dedupe_key) DO NOTHING`,
      [entry.projectId, entry.operation, entry.resourceType, entry.resource, entry.username, entry.opTime ?? null, entry.dedupeKey ?? null],
    );
  }

  /** Entries of the given projects (all when undefined), newest first by default. */
  async list(projectIds: readonly number[] | undefined, query: ListQuery): Promise<{ items: AuditRecord[]; total: number }> {
    const sql = toSql(query, columns, [{ key: 'op_time', descending: true }, { key: 'id', descending: true }]);
    const where = [...sql.where];
    const values = [...sql.values];
    if (projectIds) {
      values.push(projectIds);
      where.push(`project_id = ANY($${values.length})`);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const page = pageClause(sql, values);
    const [items, total] = await Promise.all([
      this.#pool.query<{ id: number; username: string; resource: string; resource_type: string; operation: string; op_time: Date }>(
        `SELECT id, username, resource, resource_type, operation, op_time FROM audit_log ${clause} ORDER BY ${sql.orderBy} ${page.text}`,
        page.values,
      ),
      this.#pool.query<{ count: number }>(`SELECT count(*)::bigint AS count FROM audit_log ${clause}`, values),
    ]);
    return {
      items: items.rows.map((row) => ({ id: row.id, username: row.username, resource: row.resource, resourceType: row.resource_type, operation: row.operation, opTime: row.op_time })),
      total: total.rows[0]?.count ?? 0,
    };
  }

  /** Projects in which the user's role may list the audit log. */
  async projectsWithLogAccess(userId: number): Promise<number[]> {
    const result = await this.#pool.query<{ project_id: number }>(
      "SELECT project_id FROM project_member WHERE entity_type = 'u' AND entity_id = $1 AND role = 1",
      [userId],
    );
    return result.rows.map((row) => row.project_id);
  }
}
