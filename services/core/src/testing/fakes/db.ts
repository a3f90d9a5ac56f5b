import type { ArtifactRecord, TagRecord } from '../../artifacts/artifact.store.js';
import type { AuditEntry } from '../../audit/audit.store.js';
import type { RoleId } from '../../rbac/roles.js';
import type { StoredRegistry } from '../../registries/registry-endpoint.store.js';
import type { ReplicationPolicy } from '../../replication/policy.schemas.js';
import type { PolicySchedule } from '../../replication/schedule.store.js';
import type { RobotRecord } from '../../robots/robot.store.js';
import type { Execution, Task } from '../../tasks/tasks.schemas.js';
import type { UserRecord } from '../../users/user.store.js';

export interface ProjectRow {
  id: number;
  name: string;
  ownerId: number | null;
  metadata: Record<string, string>;
  cveAllowlist: { items: { cve_id: string }[]; expiresAt: number | null };
  creationTime: Date;
  updateTime: Date;
}

export interface MemberRow {
  id: number;
  projectId: number;
  entityId: number;
  entityType: 'u' | 'g';
  role: RoleId;
}

export interface RepositoryRow {
  id: number;
  projectId: number;
  name: string;
  description: string;
  pullCount: number;
  creationTime: Date;
  updateTime: Date;
}

/** An artifact as stored: its tags live in their own table. */
export type ArtifactRow = Omit<ArtifactRecord, 'tags'>;

/** A tag as stored, as the Pg store reads it. */
export type TagRow = TagRecord;

export interface AuditRow extends Required<Omit<AuditEntry, 'dedupeKey'>> {
  id: number;
  dedupeKey: string | null;
}

export interface TaskRow extends Task {
  jobSpecSealed: string | null;
  jobMissingSince: Date | null;
  jobCheckedAt: Date | null;
}

/**
 * One in-memory database shared by the fake stores, as the Pg stores share Postgres: a
 * project counts the repositories the artifact store created, deleting a user ends their
 * memberships, deleting a project takes its members, repositories and robots with it (the
 * schema's foreign keys). Times come from a clock that moves one second per write, so
 * orders by time are deterministic.
 */
export class InMemoryDb {
  readonly users = new Map<number, UserRecord>();
  readonly projects = new Map<number, ProjectRow>();
  readonly members = new Map<number, MemberRow>();
  readonly robots = new Map<number, RobotRecord>();
  readonly repositories = new Map<number, RepositoryRow>();
  readonly artifacts = new Map<number, ArtifactRow>();
  readonly tags = new Map<number, TagRow>();
  readonly scanSummaries = new Map<string, string>();
  readonly audit = new Map<number, AuditRow>();
  readonly registries = new Map<number, StoredRegistry>();
  readonly policies = new Map<number, ReplicationPolicy>();
  readonly schedules = new Map<number, PolicySchedule>();
  readonly scheduleFires = new Map<string, { policyId: number; executionId: number | null }>();
  readonly executions = new Map<number, Execution>();
  readonly tasks = new Map<number, TaskRow>();
  /** Job ids a task had before it was resubmitted → the task. */
  readonly replacedJobs = new Map<string, number>();
  readonly #sequences = new Map<string, number>();
  #time: number;

  constructor(options: { start?: Date } = {}) {
    this.#time = (options.start ?? new Date('2026-01-01T00:00:00Z')).getTime();
  }

  /** The next id of a table's sequence (1, 2, …). */
  nextId(table: string): number {
    const next = (this.#sequences.get(table) ?? 0) + 1;
    this.#sequences.set(table, next);
    return next;
  }

  /** Now, one second after the last `now()`. */
  now(): Date {
    this.#time += 1000;
    return new Date(this.#time);
  }

  /** Moves the clock on (for tests of staleness). */
  advance(ms: number): void {
    this.#time += ms;
  }

  deleteUser(id: number): boolean {
    for (const [key, member] of this.members) if (member.entityType === 'u' && member.entityId === id) this.members.delete(key);
    for (const project of this.projects.values()) if (project.ownerId === id) project.ownerId = null;
    return this.users.delete(id);
  }

  deleteProject(id: number): void {
    for (const [key, member] of this.members) if (member.projectId === id) this.members.delete(key);
    for (const [key, robot] of this.robots) if (robot.projectId === id) this.robots.delete(key);
    for (const repository of [...this.repositories.values()]) if (repository.projectId === id) this.deleteRepository(repository.id);
    this.projects.delete(id);
  }

  deleteRepository(id: number): void {
    for (const artifact of [...this.artifacts.values()]) if (artifact.repositoryId === id) this.deleteArtifact(artifact.id);
    this.repositories.delete(id);
  }

  deleteArtifact(id: number): void {
    for (const [key, tag] of this.tags) if (tag.artifactId === id) this.tags.delete(key);
    for (const artifact of this.artifacts.values()) {
      for (const reference of artifact.references) if (reference.childId === id) reference.childId = null;
    }
    this.artifacts.delete(id);
  }

  isPublic(projectId: number): boolean {
    return this.projects.get(projectId)?.metadata.public === 'true';
  }

  repositoryByName(name: string): RepositoryRow | undefined {
    return [...this.repositories.values()].find((repository) => repository.name === name);
  }
}
