import type { Principal } from '../rbac/principal.js';
import { requireSysadmin } from '../registries/registry.service.js';
import type { PolicyService } from './policy.service.js';
import type { ReplicationService } from './replication.service.js';

/** How many destination repositories the dry run looks up at once. */
const LOOKUPS = 4;

export interface DryRunArtifact {
  digest: string;
  tags: string[];
  size?: number;
  present_at_destination: boolean;
}

export interface DryRun {
  policy_id: number;
  repositories: { src: string; dst: string; artifacts: DryRunArtifact[] }[];
  totals: { repositories: number; artifacts: number; tags: number; bytes_to_copy: number | null; bytes_present: number | null };
}

/**
 * `POST /replication/policies/{id}/dry-run` (beyond Harbor): the plan a run would make
 * (the same fetch, filters and rewrite), with what the destination already holds and
 * the bytes left to copy. Sizes come from the adapter when it can tell them; bytes are
 * null as soon as one artifact's size is unknown.
 */
export class DryRunService {
  readonly #deps: { policies: PolicyService; replication: ReplicationService };

  constructor(deps: { policies: PolicyService; replication: ReplicationService }) {
    this.#deps = deps;
  }

  async run(principal: Principal, policyId: number): Promise<DryRun> {
    requireSysadmin(principal, 'dry-run replication policies');
    const policy = await this.#deps.policies.require(policyId);
    const plan = await this.#deps.replication.plan(policy, { withSizes: true });
    const present: Set<string>[] = new Array<Set<string>>(plan.items.length);
    for (let start = 0; start < plan.items.length; start += LOOKUPS) {
      await Promise.all(
        plan.items.slice(start, start + LOOKUPS).map(async (item, offset) => {
          const found = await this.#deps.replication.destinationResources(plan.dest, item.dst);
          present[start + offset] = new Set(found?.metadata.artifacts.map((a) => a.digest) ?? []);
        }),
      );
    }
    let toCopy: number | null = 0;
    let there: number | null = 0;
    let artifactCount = 0;
    let tagCount = 0;
    const repositories = plan.items.map((item, index) => ({
      src: item.src,
      dst: item.dst,
      artifacts: item.artifacts.map((artifact) => {
        const atDestination = present[index]?.has(artifact.digest) ?? false;
        artifactCount += 1;
        tagCount += artifact.tags.length;
        if (atDestination) there = there === null || artifact.size === undefined ? null : there + artifact.size;
        else toCopy = toCopy === null || artifact.size === undefined ? null : toCopy + artifact.size;
        return { digest: artifact.digest, tags: artifact.tags, ...(artifact.size !== undefined ? { size: artifact.size } : {}), present_at_destination: atDestination };
      }),
    }));
    return { policy_id: policy.id, repositories, totals: { repositories: repositories.length, artifacts: artifactCount, tags: tagCount, bytes_to_copy: toCopy, bytes_present: there } };
  }
}
