import { withTransaction, type Pool } from '@wharf/db';
import type { ListQuery } from '../listing/list-query.js';
import { pageClause, toSql, type Column } from '../listing/list-sql.js';
import { isStorableText } from '../listing/db-range.js';

export interface UserRecord {
  id: number;
  username: string;
  email: string;
  realname: string;
  comment: string;
  passwordHash: string;
  passwordVersion: number;
  sysadmin: boolean;
  creationTime: Date;
  updateTime: Date;
}

interface UserRow {
  user_id: number;
  username: string;
  email: string;
  realname: string;
  comment: string;
  password_hash: string;
  password_version: number;
  sysadmin_flag: boolean;
  creation_time: Date;
  update_time: Date;
}

const toRecord = (row: UserRow): UserRecord => ({
  id: row.user_id,
  username: row.username,
  email: row.email,
  realname: row.realname,
  comment: row.comment,
  passwordHash: row.password_hash,
  passwordVersion: row.password_version,
  sysadmin: row.sysadmin_flag,
  creationTime: row.creation_time,
  updateTime: row.update_time,
});

const columns: Record<string, Column> = {
  username: { sql: 'username', type: 'text' },
  email: { sql: 'email', type: 'text' },
  realname: { sql: 'realname', type: 'text' },
  user_id: { sql: 'user_id', type: 'int' },
  sysadmin_flag: { sql: 'sysadmin_flag', type: 'bool' },
  creation_time: { sql: 'creation_time', type: 'time' },
  update_time: { sql: 'update_time', type: 'time' },
};

export type UserFields = { username: string; email: string; realname: string; comment: string; passwordHash: string; sysadmin: boolean };

/** The store of users (database authentication mode). */
export interface UserStore {
  findById(id: number): Promise<UserRecord | undefined>;
  findByUsername(username: string): Promise<UserRecord | undefined>;
  /** Whether another user (not `exceptUserId`) has the email, case-insensitively. */
  emailTaken(email: string, exceptUserId?: number): Promise<boolean>;
  /** Creates the user unless the name is taken; undefined when it was. */
  create(user: UserFields): Promise<UserRecord | undefined>;
  list(query: ListQuery): Promise<{ items: UserRecord[]; total: number }>;
  /** Users whose name contains `username`, by name. */
  search(username: string, limit: number, offset: number): Promise<{ items: UserRecord[]; total: number }>;
  updateProfile(id: number, profile: { email: string; realname: string; comment: string }): Promise<boolean>;
  /** Sets the password and bumps its version, which ends refresh tokens issued before. */
  setPassword(id: number, passwordHash: string): Promise<boolean>;
  setSysadmin(id: number, sysadmin: boolean): Promise<boolean>;
  /** Deletes the user and their memberships. */
  delete(id: number): Promise<boolean>;
}

export class PgUserStore implements UserStore {
  readonly #pool: Pool;

  constructor(deps: { pool: Pool }) {
    this.#pool = deps.pool;
  }

  async findById(id: number): Promise<UserRecord | undefined> {
    const result = await this.#pool.query<UserRow>('SELECT * FROM harbor_user WHERE user_id = $1', [id]);
    return result.rows[0] ? toRecord(result.rows[0]) : undefined;
  }

  async findByUsername(username: string): Promise<UserRecord | undefined> {
    // A name no column can hold (credentials may carry any text) names no user.
    if (!isStorableText(username)) return undefined;
    const result = await this.#pool.query<UserRow>('SELECT * FROM harbor_user WHERE username = $1', [username]);
    return result.rows[0] ? toRecord(result.rows[0]) : undefined;
  }

  async emailTaken(email: string, exceptUserId?: number): Promise<boolean> {
    const result = await this.#pool.query('SELECT 1 FROM harbor_user WHERE lower(email) = lower($1) AND user_id <> $2', [email, exceptUserId ?? 0]);
    return (result.rowCount ?? 0) > 0;
  }

  /** Creates the user unless the name is taken; undefined when it was. */
  async create(user: UserFields): Promise<UserRecord | undefined> {
    const result = await this.#pool.query<UserRow>(
      `INSERT INTO harbor_user (username, email, realname, comment, password_hash, sysadmin_flag)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (username) DO NOTHING RETURNING *`,
      [user.username, user.email, user.realname, user.comment, user.passwordHash, user.sysadmin],
    );
    return result.rows[0] ? toRecord(result.rows[0]) : undefined;
  }

  async list(query: ListQuery): Promise<{ items: UserRecord[]; total: number }> {
    const sql = toSql(query, columns, [{ key: 'user_id', descending: false }]);
    const where = sql.where.length > 0 ? `WHERE ${sql.where.join(' AND ')}` : '';
    const page = pageClause(sql, sql.values);
    const [items, total] = await Promise.all([
      this.#pool.query<UserRow>(`SELECT * FROM harbor_user ${where} ORDER BY ${sql.orderBy} ${page.text}`, page.values),
      this.#pool.query<{ count: number }>(`SELECT count(*)::bigint AS count FROM harbor_user ${where}`, sql.values),
    ]);
    return { items: items.rows.map(toRecord), total: total.rows[0]?.count ?? 0 };
  }

  async search(username: string, limit: number, offset: number): Promise<{ items: UserRecord[]; total: number }> {
    const pattern = `%${username.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const [items, total] = await Promise.all([
      this.#pool.query<UserRow>('SELECT * FROM harbor_user WHERE username ILIKE $1 ORDER BY username LIMIT $2 OFFSET $3', [pattern, limit, offset]),
      this.#pool.query<{ count: number }>('SELECT count(*)::bigint AS count FROM harbor_user WHERE username ILIKE $1', [pattern]),
    ]);
    return { items: items.rows.map(toRecord), total: total.rows[0]?.count ?? 0 };
  }

  async updateProfile(id: number, profile: { email: string; realname: string; comment: string }): Promise<boolean> {
    const result = await this.#pool.query(
      'UPDATE harbor_user SET email = $2, realname = $3, comment = $4, update_time = now() WHERE user_id = $1',
      [id, profile.email, profile.realname, profile.comment],
    );
    return (result.rowCount ?? 0) > 0;
  }

  /** Sets the password and bumps its version, which ends refresh tokens issued before. */
  async setPassword(id: number, passwordHash: string): Promise<boolean> {
    const result = await this.#pool.query(
      'UPDATE harbor_user SET password_hash = $2, password_version = password_version + 1, update_time = now() WHERE user_id = $1',
      [id, passwordHash],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async setSysadmin(id: number, sysadmin: boolean): Promise<boolean> {
    const result = await this.#pool.query('UPDATE harbor_user SET sysadmin_flag = $2, update_time = now() WHERE user_id = $1', [id, sysadmin]);
    return (result.rowCount ?? 0) > 0;
  }

  /** Deletes the user and their memberships. */
  async delete(id: number): Promise<boolean> {
    return withTransaction(this.#pool, async (tx) => {
      await tx.query("DELETE FROM project_member WHERE entity_type = 'u' AND entity_id = $1", [id]);
      const result = await tx.query('DELETE FROM harbor_user WHERE user_id = $1', [id]);
      return (result.rowCount ?? 0) > 0;
    });
  }
}
