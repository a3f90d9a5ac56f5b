import type { Pool } from '@wharf/db';
import type { ListQuery } from '../listing/list-query.js';
import { pageClause, toSql, type Column } from '../listing/list-sql.js';
import type { CredentialType } from './registry.schemas.js';

/** A registry row: its credential sealed by the service's cipher. */
export interface StoredRegistry {
  id: number;
  name: string;
  type: string;
  url: string;
  description: string;
  credentialType: CredentialType | null;
  credentialSealed: string | null;
  insecure: boolean;
  caCertificate: string | null;
  status: string;
  creationTime: Date;
  updateTime: Date;
}

export type RegistryFields = Omit<StoredRegistry, 'id' | 'status' | 'creationTime' | 'updateTime'>;

export interface RegistryEndpointStore {
  /** Undefined when the name is taken. */
  create(fields: RegistryFields): Promise<StoredRegistry | undefined>;
  findById(id: number): Promise<StoredRegistry | undefined>;
  list(query: ListQuery, name?: string): Promise<{ items: StoredRegistry[]; total: number }>;
  /** 'missing' when there is no such registry, 'name_taken' when another one has the name. */
  update(id: number, fields: RegistryFields): Promise<StoredRegistry | 'missing' | 'name_taken'>;
  /** 'in_use' when a policy refers to it. */
  delete(id: number): Promise<'deleted' | 'missing' | 'in_use'>;
  setStatus(id: number, status: string): Promise<void>;
}

interface RegistryRow {
  id: number;
  name: string;
  type: string;
  url: string;
  description: string;
  credential_type: CredentialType | null;
  credential_enc: string | null;
  insecure: boolean;
  ca_certificate: string | null;
  status: string;
  creation_time: Date;
  update_time: Date;
}

const toStored = (row: RegistryRow): StoredRegistry => ({
  id: row.id,
  name: row.name,
  type: row.type,
  url: row.url,
  description: row.description,
  credentialType: row.credential_type,
  credentialSealed: row.credential_enc,
  insecure: row.insecure,
  caCertificate: row.ca_certificate,
  status: row.status,
  creationTime: row.creation_time,
  updateTime: row.update_time,
});

const columns: Record<string, Column> = {
  id: { sql: 'id', type: 'int' },
  name: { sql: 'name', type: 'text' },
  type: { sql: 'type', type: 'text' },
  url: { sql: 'url', type: 'text' },
  description: { sql: 'description', type: 'text' },
  status: { sql: 'status', type: 'text' },
  creation_time: { sql: 'creation_time', type: 'time' },
  update_time: { sql: 'update_time', type: 'time' },
};

const isPgError = (error: unknown, code: string) => (error as { code?: unknown } | undefined)?.code === code;

export class PgRegistryEndpointStore implements RegistryEndpointStore {
  readonly #pool: Pool;

  constructor(deps: { pool: Pool }) {
    this.#pool = deps.pool;
  }

  async create(fields: RegistryFields): Promise<StoredRegistry | undefined> {
    const result = await this.#pool.query<RegistryRow>(
      `INSERT INTO registry (name, type, url, description, credential_type, credential_enc, insecure, ca_certificate)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (name) DO NOTHING RETURNING *`,
      [fields.name, fields.type, fields.url, fields.description, fields.credentialType, fields.credentialSealed, fields.insecure, fields.caCertificate],
    );
    const row = result.rows[0];
    return row ? toStored(row) : undefined;
  }

  async findById(id: number): Promise<StoredRegistry | undefined> {
    const result = await this.#pool.query<RegistryRow>('SELECT * FROM registry WHERE id = $1', [id]);
    const row = result.rows[0];
    return row ? toStored(row) : undefined;
  }

  async list(query: ListQuery, name?: string): Promise<{ items: StoredRegistry[]; total: number }> {
    const scope: string[] = [];
    const values: unknown[] = [];
    if (name) {
      values.push(`%${name.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      scope.push(`name ILIKE $${values.length}`);
    }
    const sql = toSql(query, columns, [{ key: 'id', descending: false }], values.length);
    const where = [...scope, ...sql.where].join(' AND ') || 'true';
    const all = [...values, ...sql.values];
    const page = pageClause(sql, all);
    const [items, total] = await Promise.all([
      this.#pool.query<RegistryRow>(`SELECT * FROM registry WHERE ${where} ORDER BY ${sql.orderBy} ${page.text}`, page.values),
      this.#pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM registry WHERE ${where}`, all),
    ]);
    return { items: items.rows.map(toStored), total: total.rows[0]?.n ?? 0 };
  }

  async update(id: number, fields: RegistryFields): Promise<StoredRegistry | 'missing' | 'name_taken'> {
    try {
      const result = await this.#pool.query<RegistryRow>(
        `UPDATE registry SET name = $2, type = $3, url = $4, description = $5, credential_type = $6, credential_enc = $7, insecure = $8,
                ca_certificate = $9, update_time = now()
          WHERE id = $1 RETURNING *`,
        [id, fields.name, fields.type, fields.url, fields.description, fields.credentialType, fields.credentialSealed, fields.insecure, fields.caCertificate],
      );
      const row = result.rows[0];
      return row ? toStored(row) : 'missing';
    } catch (error) {
      if (isPgError(error, '23505')) return 'name_taken';
      throw error;
    }
  }

  async delete(id: number): Promise<'deleted' | 'missing' | 'in_use'> {
    try {
      const result = await this.#pool.query('DELETE FROM registry WHERE id = $1', [id]);
      return (result.rowCount ?? 0) > 0 ? 'deleted' : 'missing';
    } catch (error) {
      if (isPgError(error, '23503')) return 'in_use';
      throw error;
    }
  }

  async setStatus(id: number, status: string): Promise<void> {
    await this.#pool.query('UPDATE registry SET status = $2 WHERE id = $1', [id, status]);
  }
}
