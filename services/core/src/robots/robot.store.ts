import type { Pool } from '@wharf/db';
import type { ListQuery } from '../listing/list-query.js';
import { pageClause, toSql, type Column } from '../listing/list-sql.js';
import type { RobotPermission } from '../rbac/principal.js';
import { isStorableText } from '../listing/db-range.js';

export interface RobotRecord {
  id: number;
  /** Without the prefix: `<name>` or `<project>+<name>`. */
  name: string;
  description: string;
  secretHash: string;
  secretVersion: number;
  level: 'system' | 'project';
  projectId: number | null;
  duration: number;
  /** Epoch seconds; -1 never. */
  expiresAt: number;
  disabled: boolean;
  creatorType: string;
  creatorRef: number;
  permissions: RobotPermission[];
  creationTime: Date;
  updateTime: Date;
}

interface RobotRow {
  id: number;
  name: string;
  description: string;
  secret_hash: string;
  secret_version: number;
  level: 'system' | 'project';
  project_id: number | null;
  duration: number;
  expires_at: number;
  disabled: boolean;
  creator_type: string;
  creator_ref: number;
  permissions: RobotPermission[];
  creation_time: Date;
  update_time: Date;
}

const toRecord = (row: RobotRow): RobotRecord => ({
  id: row.id,
  name: row.name,
  description: row.description,
  secretHash: row.secret_hash,
  secretVersion: row.secret_version,
  level: row.level,
  projectId: row.project_id,
  duration: row.duration,
  expiresAt: row.expires_at,
  disabled: row.disabled,
  creatorType: row.creator_type,
  creatorRef: row.creator_ref,
  permissions: row.permissions,
  creationTime: row.creation_time,
  updateTime: row.update_time,
});

const columns: Record<string, Column> = {
  name: { sql: 'name', type: 'text' },
  Level: { sql: 'level', type: 'text' },
  level: { sql: 'level', type: 'text' },
  ProjectID: { sql: 'project_id', type: 'int' },
  project_id: { sql: 'project_id', type: 'int' },
  id: { sql: 'id', type: 'int' },
  creation_time: { sql: 'creation_time', type: 'time' },
};

export type NewRobot = Omit<RobotRecord, 'id' | 'creationTime' | 'updateTime' | 'secretVersion'>;
export type RobotChange = { description: string; disabled: boolean; duration: number; expiresAt: number; permissions: RobotPermission[] };

/** The store of robot accounts, secrets hashed. */
export interface RobotStore {
  findById(id: number): Promise<RobotRecord | undefined>;
  /** By the stored name (without the prefix). */
  findByName(name: string): Promise<RobotRecord | undefined>;
  list(query: ListQuery): Promise<{ items: RobotRecord[]; total: number }>;
  /** Undefined when the name is taken. */
  create(robot: NewRobot): Promise<RobotRecord | undefined>;
  update(id: number, change: RobotChange): Promise<void>;
  /** Replaces the secret; the version bump ends refresh tokens issued with the old one. */
  setSecret(id: number, secretHash: string): Promise<void>;
  delete(id: number): Promise<boolean>;
}

export class PgRobotStore implements RobotStore {
  readonly #pool: Pool;

  constructor(deps: { pool: Pool }) {
    this.#pool = deps.pool;
  }

  async findById(id: number): Promise<RobotRecord | undefined> {
    const result = await this.#pool.query<RobotRow>('SELECT * FROM robot WHERE id = $1', [id]);
    return result.rows[0] ? toRecord(result.rows[0]) : undefined;
  }

  async findByName(name: string): Promise<RobotRecord | undefined> {
    // A name no column can hold (credentials may carry any text) names no robot.
    if (!isStorableText(name)) return undefined;
    const result = await this.#pool.query<RobotRow>('SELECT * FROM robot WHERE name = $1', [name]);
    return result.rows[0] ? toRecord(result.rows[0]) : undefined;
  }

  async list(query: ListQuery): Promise<{ items: RobotRecord[]; total: number }> {
    const sql = toSql(query, columns, [{ key: 'id', descending: false }]);
    const where = sql.where.length > 0 ? `WHERE ${sql.where.join(' AND ')}` : '';
    const page = pageClause(sql, sql.values);
    const [items, total] = await Promise.all([
      this.#pool.query<RobotRow>(`SELECT * FROM robot ${where} ORDER BY ${sql.orderBy} ${page.text}`, page.values),
      this.#pool.query<{ count: number }>(`SELECT count(*)::bigint AS count FROM robot ${where}`, sql.values),
    ]);
    return { items: items.rows.map(toRecord), total: total.rows[0]?.count ?? 0 };
  }

  /** Undefined when the name is taken. */
  async create(robot: NewRobot): Promise<RobotRecord | undefined> {
    const result = await this.#pool.query<RobotRow>(
      `INSERT INTO robot (name, description, secret_hash, level, project_id, duration, expires_at, disabled, creator_type, creator_ref, permissions)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (name) DO NOTHING RETURNING *`,
      [robot.name, robot.description, robot.secretHash, robot.level, robot.projectId, robot.duration, robot.expiresAt, robot.disabled, robot.creatorType, robot.creatorRef, JSON.stringify(robot.permissions)],
    );
    return result.rows[0] ? toRecord(result.rows[0]) : undefined;
  }

  async update(id: number, change: RobotChange): Promise<void> {
    await this.#pool.query(
      `UPDATE robot SET description = $2, disabled = $3, duration = $4, expires_at = $5, permissions = $6, update_time = now() WHERE id = $1`,
      [id, change.description, change.disabled, change.duration, change.expiresAt, JSON.stringify(change.permissions)],
    );
  }

  /** Replaces the secret; the version bump ends refresh tokens issued with the old one. */
  async setSecret(id: number, secretHash: string): Promise<void> {
    await this.#pool.query('UPDATE robot SET secret_hash = $2, secret_version = secret_version + 1, update_time = now() WHERE id = $1', [id, secretHash]);
  }

  async delete(id: number): Promise<boolean> {
    const result = await this.#pool.query('DELETE FROM robot WHERE id = $1', [id]);
    return (result.rowCount ?? 0) > 0;
  }
}
