import { MediaType, parseDigest, type Descriptor } from '@wharf/oci';
import type { PgReferrerRepository } from './referrer.repository.js';

/** Descriptors per referrers page; the index stays far below the 4 MiB manifest limit. */
export const REFERRERS_PAGE = 1000;

export interface ReferrersPage {
  index: { schemaVersion: 2; mediaType: string; manifests: Descriptor[] };
  filtered: boolean;
  next: string | undefined;
}

export class ReferrerService {
  readonly #referrers: PgReferrerRepository;

  constructor(deps: { referrers: PgReferrerRepository }) {
    this.#referrers = deps.referrers;
  }

  /**
   * The referrers of `subject` as an OCI image index, optionally only those of one
   * artifact type. An unknown subject or repository has an empty list, never a 404.
   */
  async list(repository: string, subject: string, artifactType: string | undefined, last: string | undefined): Promise<ReferrersPage> {
    const digest = parseDigest(subject).value;
    const rows = await this.#referrers.list(repository, digest, artifactType, REFERRERS_PAGE + 1, last);
    const manifests = rows.slice(0, REFERRERS_PAGE);
    return {
      index: { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests },
      filtered: artifactType !== undefined,
      next: rows.length > REFERRERS_PAGE ? manifests[manifests.length - 1]!.digest : undefined,
    };
  }
}
