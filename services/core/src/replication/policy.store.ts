import type { ReplicationFilterV1 } from '@wharf/contracts';
import type { Pool } from '@wharf/db';
import type { ListQuery } from '../listing/list-query.js';
import { pageClause, toSql, type Column } from '../listing/list-sql.js';
import type { PolicyFields, ReplicationPolicy, TriggerType } from './policy.schemas.js';

export interface PolicyStore {
  /** Undefined when the name is taken. */
  create(fields: PolicyFields): Promise<ReplicationPolicy | undefined>;
  findById(id: number): Promise<ReplicationPolicy | undefined>;
  list(query: ListQuery, name?: string): Promise<{ items: ReplicationPolicy[]; total: number }>;
  /** Enabled event-based policies replicating from this Wharf. */
  listEventBased(): Promise<ReplicationPolicy[]>;
  update(id: number, fields: PolicyFields): Promise<ReplicationPolicy | 'missing' | 'name_taken'>;
  delete(id: number): Promise<boolean>;
}

interface PolicyRow {
  id: number;
  name: string;
  description: string;
  src_registry_id: number | null;
  dest_registry_id: number | null;
  dest_namespace: string;
  dest_namespace_replace_count: number;
  trigger: { type: TriggerType; cron?: string };
  filters: ReplicationFilterV1[];
  replicate_deletion: boolean;
  override: boolean;
  enabled: boolean;
  speed: number;
  copy_by_chunk: boolean;
  single_active_replication: boolean;
  creation_time: Date;
  update_time: Date;
}

const toPolicy = (row: PolicyRow): ReplicationPolicy => ({
  id: row.id,
  name: row.name,
  description: row.description,
  srcRegistryId: row.src_registry_id ?? 0,
  destRegistryId: row.dest_registry_id ?? 0,
  destNamespace: row.dest_namespace,
  destNamespaceReplaceCount: row.dest_namespace_replace_count,
  trigger: { type: row.trigger.type, cron: row.trigger.cron ?? '' },
  filters: row.filters,
  replicateDeletion: row.replicate_deletion,
  override: row.override,
  enabled: row.enabled,
  speed: row.speed,
  copyByChunk: row.copy_by_chunk,
  singleActiveReplication: row.single_active_replication,
  creationTime: row.creation_time,
  updateTime: row.update_time,
});

const columns: Record<string, Column> = {
  id: { sql: 'id', type: 'int' },
  name: { sql: 'name', type: 'text' },
  description: { sql: 'description', type: 'text' },
  enabled: { sql: 'enabled', type: 'bool' },
  src_registry_id: { sql: 'COALESCE(src_registry_id, 0)', type: 'int' },
  dest_registry_id: { sql: 'COALESCE(dest_registry_id, 0)', type: 'int' },
  creation_time: { sql: 'creation_time', type: 'time' },
  update_time: { sql: 'update_time', type: 'time' },
};

const values = (f: PolicyFields): unknown[] => [
  f.name,
  f.description,
  f.srcRegistryId || null,
  f.destRegistryId || null,
  f.destNamespace,
  f.destNamespaceReplaceCount,
  JSON.stringify({ type: f.trigger.type, cron: f.trigger.cron }),
  JSON.stringify(f.filters),
  f.replicateDeletion,
  f.override,
  f.enabled,
  f.speed,
  f.copyByChunk,
  f.singleActiveReplication,
];

export class PgPolicyStore implements PolicyStore {
  readonly #pool: Pool;

  constructor(deps: { pool: Pool }) {
    this.#pool = deps.pool;
  }

  async create(fields: PolicyFields): Promise<ReplicationPolicy | undefined> {
    const result = await this.#pool.query<PolicyRow>(
      `INSERT INTO replication_policy (name, description, src_registry_id, dest_registry_id, dest_namespace, dest_namespace_replace_count, trigger, filters,
                                       replicate_deletion, override, enabled, speed, copy_by_chunk, single_active_replication)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (name) DO NOTHING RETURNING *`,
      values(fields),
    );
    const row = result.rows[0];
    return row ? toPolicy(row) : undefined;
  }

  async findById(id: number): Promise<ReplicationPolicy | undefined> {
    const result = await this.#pool.query<PolicyRow>('SELECT * FROM replication_policy WHERE id = $1', [id]);
    const row = result.rows[0];
    return row ? toPolicy(row) : undefined;
  }

  async list(query: ListQuery, name?: string): Promise<{ items: ReplicationPolicy[]; total: number }> {
    const scope: string[] = [];
    const params: unknown[] = [];
    if (name) {
      params.push(`%${name.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      scope.push(`name ILIKE $${params.length}`);
    }
    const sql = toSql(query, columns, [{ key: 'id', descending: false }], params.length);
    const where = [...scope, ...sql.where].join(' AND ') || 'true';
    const all = [...params, ...sql.values];
    const page = pageClause(sql, all);
    const [items, total] = await Promise.all([
      this.#pool.query<PolicyRow>(`SELECT * FROM replication_policy WHERE ${where} ORDER BY ${sql.orderBy} ${page.text}`, page.values),
      this.#pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM replication_policy WHERE ${where}`, all),
    ]);
    return { items: items.rows.map(toPolicy), total: total.rows[0]?.n ?? 0 };
  }

  async listEventBased(): Promise<ReplicationPolicy[]> {
    const result = await this.#pool.query<PolicyRow>(
      `SELECT * FROM replication_policy WHERE enabled AND src_registry_id IS NULL AND trigger->>'type' = 'event_based' ORDER BY id`,
    );
    return result.rows.map(toPolicy);
  }

  async update(id: number, fields: PolicyFields): Promise<ReplicationPolicy | 'missing' | 'name_taken'> {
    try {
      const result = await this.#pool.query<PolicyRow>(
        `UPDATE replication_policy SET name = $2, description = $3, src_registry_id = $4, dest_registry_id = $5, dest_namespace = $6,
                dest_namespace_replace_count = $7, trigger = $8, filters = $9, replicate_deletion = $10, override = $11, enabled = $12,
                speed = $13, copy_by_chunk = $14, single_active_replication = $15, update_time = now()
          WHERE id = $1 RETURNING *`,
        [id, ...values(fields)],
      );
      const row = result.rows[0];
      return row ? toPolicy(row) : 'missing';
    } catch (error) {
      if ((error as { code?: unknown }).code === '23505') return 'name_taken';
      throw error;
    }
  }

  async delete(id: number): Promise<boolean> {
    const result = await this.#pool.query('DELETE FROM replication_policy WHERE id = $1', [id]);
    return (result.rowCount ?? 0) > 0;
  }
}
