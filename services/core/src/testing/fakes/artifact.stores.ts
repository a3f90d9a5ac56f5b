import type { ArtifactFacts, ArtifactRecord, ArtifactStore } from '../../artifacts/artifact.store.js';
import type { ListQuery } from '../../listing/list-query.js';
import type { RepositoryRecord, RepositoryScope, RepositoryStore } from '../../repositories/repository.store.js';
import type { ArtifactRow, InMemoryDb, RepositoryRow } from './db.js';
import { listInMemory, type Field } from './list.js';

export class InMemoryArtifactStore implements ArtifactStore {
  readonly #db: InMemoryDb;

  constructor(deps: { db: InMemoryDb }) {
    this.#db = deps.db;
  }

  async findByDigest(repository: string, digest: string): Promise<ArtifactRecord | undefined> {
    const row = [...this.#db.artifacts.values()].find((a) => a.repositoryName === repository && a.digest === digest);
    return row && this.#record(row);
  }

  async findByTag(repository: string, tag: string): Promise<ArtifactRecord | undefined> {
    const repo = this.#db.repositoryByName(repository);
    const found = repo && [...this.#db.tags.values()].find((t) => t.repositoryId === repo.id && t.name === tag);
    const row = found && this.#db.artifacts.get(found.artifactId);
    return row && this.#record(row);
  }

  async list(repository: string, query: ListQuery): Promise<{ items: ArtifactRecord[]; total: number }> {
    const records = [...this.#db.artifacts.values()].filter((a) => a.repositoryName === repository).map((a) => this.#record(a));
    const fields: Record<string, Field<ArtifactRecord>> = {
      digest: { get: (a) => a.digest, type: 'text' },
      type: { get: (a) => a.type, type: 'text' },
      media_type: { get: (a) => a.mediaType, type: 'text' },
      push_time: { get: (a) => a.pushTime, type: 'time' },
      pull_time: { get: (a) => a.pullTime, type: 'time' },
      size: { get: (a) => a.size, type: 'bigint' },
      tags: { get: (a) => a.tags.map((t) => t.name).join(','), type: 'text' },
      id: { get: (a) => a.id, type: 'bigint' },
    };
    return listInMemory(records, query, fields, [{ key: 'push_time', descending: true }, { key: 'id', descending: true }]);
  }

  async upsert(projectId: number, repository: string, facts: ArtifactFacts, tags: readonly string[]): Promise<number> {
    const repo = this.#db.repositoryByName(repository) ?? this.#createRepository(projectId, repository);
    const now = this.#db.now();
    const existing = [...this.#db.artifacts.values()].find((a) => a.repositoryId === repo.id && a.digest === facts.digest);
    const id = existing?.id ?? this.#db.nextId('artifact');
    const childId = (digest: string) => [...this.#db.artifacts.values()].find((a) => a.repositoryId === repo.id && a.digest === digest)?.id ?? null;
    const row: ArtifactRow = {
      id,
      projectId,
      repositoryId: repo.id,
      repositoryName: repository,
      digest: facts.digest,
      type: facts.type,
      mediaType: facts.mediaType,
      manifestMediaType: facts.manifestMediaType,
      artifactType: facts.artifactType,
      size: facts.size,
      subjectDigest: facts.subjectDigest,
      pushTime: existing?.pushTime ?? now,
      pullTime: existing?.pullTime ?? null,
      extraAttrs: structuredClone(facts.extraAttrs),
      annotations: { ...facts.annotations },
      references: facts.references.map((r) => ({ ...structuredClone(r), parentId: id, childId: childId(r.childDigest) })),
    };
    this.#db.artifacts.set(id, row);
    for (const name of tags) {
      const tag = [...this.#db.tags.values()].find((t) => t.repositoryId === repo.id && t.name === name);
      if (!tag) {
        const tagId = this.#db.nextId('tag');
        this.#db.tags.set(tagId, { id: tagId, repositoryId: repo.id, artifactId: id, name, pushTime: now, pullTime: null });
      } else if (tag.artifactId !== id) {
        Object.assign(tag, { artifactId: id, pushTime: now });
      }
    }
    repo.updateTime = now;
    return id;
  }

  async remove(repository: string, digest: string): Promise<boolean> {
    const row = [...this.#db.artifacts.values()].find((a) => a.repositoryName === repository && a.digest === digest);
    if (!row) return false;
    this.#db.deleteArtifact(row.id);
    return true;
  }

  async removeTag(repository: string, tag: string): Promise<boolean> {
    const repo = this.#db.repositoryByName(repository);
    const found = repo && [...this.#db.tags.values()].find((t) => t.repositoryId === repo.id && t.name === tag);
    return found !== undefined && this.#db.tags.delete(found.id);
  }

  async tagNames(repository: string): Promise<string[]> {
    const repo = this.#db.repositoryByName(repository);
    return [...this.#db.tags.values()].filter((t) => t.repositoryId === repo?.id).map((t) => t.name).sort();
  }

  async digests(repository: string): Promise<string[]> {
    return [...this.#db.artifacts.values()].filter((a) => a.repositoryName === repository).map((a) => a.digest);
  }

  #createRepository(projectId: number, name: string): RepositoryRow {
    const now = this.#db.now();
    const row: RepositoryRow = { id: this.#db.nextId('repository'), projectId, name, description: '', pullCount: 0, creationTime: now, updateTime: now };
    this.#db.repositories.set(row.id, row);
    return row;
  }

  #record(row: ArtifactRow): ArtifactRecord {
    const tags = [...this.#db.tags.values()]
      .filter((t) => t.artifactId === row.id)
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((t) => ({ ...t }));
    return { ...structuredClone(row), tags };
  }
}

const repositoryFields: Record<string, Field<RepositoryRecord>> = {
  name: { get: (r) => r.name, type: 'text' },
  id: { get: (r) => r.id, type: 'int' },
  project_id: { get: (r) => r.projectId, type: 'int' },
  pull_count: { get: (r) => r.pullCount, type: 'bigint' },
  creation_time: { get: (r) => r.creationTime, type: 'time' },
  update_time: { get: (r) => r.updateTime, type: 'time' },
};

export class InMemoryRepositoryStore implements RepositoryStore {
  readonly #db: InMemoryDb;

  constructor(deps: { db: InMemoryDb }) {
    this.#db = deps.db;
  }

  async find(name: string): Promise<RepositoryRecord | undefined> {
    const row = this.#db.repositoryByName(name);
    return row && this.#record(row);
  }

  async list(scope: RepositoryScope, query: ListQuery, projectId?: number): Promise<{ items: RepositoryRecord[]; total: number }> {
    const rows = this.#inScope(scope).filter((r) => projectId === undefined || r.projectId === projectId);
    return listInMemory(rows.map((r) => this.#record(r)), query, repositoryFields, [{ key: 'creation_time', descending: true }, { key: 'id', descending: true }]);
  }

  async names(scope: RepositoryScope, limit: number, last: string | undefined): Promise<string[]> {
    return this.#inScope(scope)
      .map((r) => r.name)
      .filter((name) => last === undefined || Buffer.compare(Buffer.from(name), Buffer.from(last)) > 0)
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      .slice(0, limit);
  }

  async updateDescription(name: string, description: string): Promise<boolean> {
    const row = this.#db.repositoryByName(name);
    if (!row) return false;
    Object.assign(row, { description, updateTime: this.#db.now() });
    return true;
  }

  async delete(name: string): Promise<boolean> {
    const row = this.#db.repositoryByName(name);
    if (!row) return false;
    this.#db.deleteRepository(row.id);
    return true;
  }

  async memberProjects(userId: number): Promise<number[]> {
    return [...this.#db.members.values()].filter((m) => m.entityType === 'u' && m.entityId === userId).map((m) => m.projectId);
  }

  async projectIdsByName(names: readonly string[]): Promise<number[]> {
    return [...this.#db.projects.values()].filter((p) => names.includes(p.name)).map((p) => p.id);
  }

  async statistics(scope: RepositoryScope): Promise<{ publicRepos: number; privateRepos: number; storage: number }> {
    const rows = this.#inScope(scope);
    const publicRepos = rows.filter((r) => this.#db.isPublic(r.projectId)).length;
    const storage = [...this.#db.artifacts.values()].filter((a) => rows.some((r) => r.id === a.repositoryId)).reduce((sum, a) => sum + a.size, 0);
    return { publicRepos, privateRepos: rows.length - publicRepos, storage };
  }

  #inScope(scope: RepositoryScope): RepositoryRow[] {
    const rows = [...this.#db.repositories.values()];
    if (scope.kind === 'all') return rows;
    return rows.filter((r) => scope.projectIds.includes(r.projectId) || (scope.includePublic && this.#db.isPublic(r.projectId)));
  }

  #record(row: RepositoryRow): RepositoryRecord {
    const project = this.#db.projects.get(row.projectId);
    return {
      ...row,
      projectName: project?.name ?? '',
      projectPublic: this.#db.isPublic(row.projectId),
      artifactCount: [...this.#db.artifacts.values()].filter((a) => a.repositoryId === row.id).length,
    };
  }
}
