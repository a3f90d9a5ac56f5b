import type { Pool } from '@wharf/db';
import type { MemberRoleReader } from '../rbac/rbac.service.js';
import type { RoleId } from '../rbac/roles.js';
import { pageClause } from '../listing/list-sql.js';

export interface MemberRecord {
  id: number;
  projectId: number;
  entityId: number;
  entityType: 'u' | 'g';
  entityName: string;
  role: RoleId;
}

interface MemberRow {
  id: number;
  project_id: number;
  entity_id: number;
  entity_type: 'u' | 'g';
  entity_name: string | null;
  role: RoleId;
}

const SELECT = `SELECT m.id, m.project_id, m.entity_id, m.entity_type, m.role, u.username AS entity_name
  FROM project_member m LEFT JOIN harbor_user u ON m.entity_type = 'u' AND u.user_id = m.entity_id`;

const toRecord = (row: MemberRow): MemberRecord => ({
  id: row.id,
  projectId: row.project_id,
  entityId: row.entity_id,
  entityType: row.entity_type,
  entityName: row.entity_name ?? '',
  role: row.role,
});

/** The store of project members (users only, for now) and their roles. */
export interface MemberStore extends MemberRoleReader {
  /** One page of the project's members, by id; `entityName` matches part of the name. */
  list(projectId: number, entityName: string | undefined, limit: number, offset: number): Promise<{ items: MemberRecord[]; total: number }>;
  find(projectId: number, id: number): Promise<MemberRecord | undefined>;
  /** Adds a user member; undefined when the user already is one. */
  addUser(projectId: number, userId: number, role: RoleId): Promise<number | undefined>;
  /** False when there is no such member. */
  updateRole(projectId: number, id: number, role: RoleId): Promise<boolean>;
  /** False when there is no such member. */
  delete(projectId: number, id: number): Promise<boolean>;
}

export class PgMemberStore implements MemberStore {
  readonly #pool: Pool;

  constructor(deps: { pool: Pool }) {
    this.#pool = deps.pool;
  }

  async roleOf(projectId: number, userId: number): Promise<RoleId | undefined> {
    const result = await this.#pool.query<{ role: RoleId }>(
      "SELECT role FROM project_member WHERE project_id = $1 AND entity_type = 'u' AND entity_id = $2",
      [projectId, userId],
    );
    return result.rows[0]?.role;
  }

  async list(projectId: number, entityName: string | undefined, limit: number, offset: number): Promise<{ items: MemberRecord[]; total: number }> {
    const filter = entityName ? 'AND u.username ILIKE $2' : '';
    const values: unknown[] = [projectId];
    if (entityName) values.push(`%${entityName.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    const page = pageClause({ limit, offset }, values);
    const [items, total] = await Promise.all([
      this.#pool.query<MemberRow>(`${SELECT} WHERE m.project_id = $1 ${filter} ORDER BY m.id ${page.text}`, page.values),
      this.#pool.query<{ count: number }>(
        `SELECT count(*)::bigint AS count FROM project_member m LEFT JOIN harbor_user u ON m.entity_type = 'u' AND u.user_id = m.entity_id WHERE m.project_id = $1 ${filter}`,
        values,
      ),
    ]);
    return { items: items.rows.map(toRecord), total: total.rows[0]?.count ?? 0 };
  }

  async find(projectId: number, id: number): Promise<MemberRecord | undefined> {
    const result = await this.#pool.query<MemberRow>(`${SELECT} WHERE m.project_id = $1 AND m.id = $2`, [projectId, id]);
    return result.rows[0] ? toRecord(result.rows[0]) : undefined;
  }

  /** Adds a user member; undefined when the user already is one. */
  async addUser(projectId: number, userId: number, role: RoleId): Promise<number | undefined> {
    const result = await this.#pool.query<{ id: number }>(
      `INSERT INTO project_member (project_id, entity_id, entity_type, role) VALUES ($1, $2, 'u', $3)
       ON CONFLICT (project_id, entity_type, entity_id) DO NOTHING RETURNING id`,
      [projectId, userId, role],
    );
    return result.rows[0]?.id;
  }

  async updateRole(projectId: number, id: number, role: RoleId): Promise<boolean> {
    const result = await this.#pool.query('UPDATE project_member SET role = $3, update_time = now() WHERE project_id = $1 AND id = $2', [projectId, id, role]);
    return (result.rowCount ?? 0) > 0;
  }

  async delete(projectId: number, id: number): Promise<boolean> {
    const result = await this.#pool.query('DELETE FROM project_member WHERE project_id = $1 AND id = $2', [projectId, id]);
    return (result.rowCount ?? 0) > 0;
  }
}
