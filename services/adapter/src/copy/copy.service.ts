import type { Logger } from '@wharf/logging';
import { isImageManifestMediaType, isIndexMediaType, isNonDistributable, parseManifest, type Descriptor } from '@wharf/oci';
import type { ArtifactSink, ArtifactSource, ManifestContent, RegistryAdapter } from '../adapters/registry-adapter.js';
import { BlobCopier, type BlobCopierDeps, type BlobEndpoint, type BlobOutcome } from './blob-copier.js';
import { UnsupportedManifestError } from './copy.errors.js';
import { createSpeedLimiter } from './speed-limiter.js';

/** One artifact to copy: read by `reference` (a tag or digest), written under `tags` (or by digest when none). */
export interface CopyItem {
  reference: string;
  tags: string[];
}

export interface CopyRequest {
  source: BlobEndpoint<RegistryAdapter & ArtifactSource>;
  destination: BlobEndpoint<RegistryAdapter & ArtifactSink>;
  items: readonly CopyItem[];
  override: boolean;
  /** KiB/s for the whole task; ≤ 0 or undefined = unlimited. */
  speed?: number | undefined;
  copyByChunk: boolean;
  signal: AbortSignal;
  onProgress?: (progress: CopyProgress) => void;
}

export interface CopyProgress {
  /** Bytes sent so far. */
  bytes: number;
  /** Bytes this task expects to send (shrinks when blobs are found or mounted at the destination). */
  total: number;
}

export interface CopiedEntry {
  repository: string;
  reference: string;
  digest: string;
}

export interface SkippedEntry extends CopiedEntry {
  reason: 'exists' | 'override-disabled';
}

export interface CopyResult {
  copied: CopiedEntry[];
  skipped: SkippedEntry[];
  bytes: number;
  blobs: Record<BlobOutcome | 'foreign', number>;
}

interface ManifestNode {
  content: ManifestContent;
  children: ManifestNode[];
  blobs: Descriptor[];
}

/**
 * Harbor's image transfer (transfer/image/transfer.go), and further: per artifact, tags
 * already at the same digest are skipped, tags at another digest are skipped unless
 * `override`; the rest are copied blobs first (concurrently, paced by `speed`), index
 * children before their index, manifests last, then the tags.
 */
export class CopyService {
  readonly #deps: BlobCopierDeps & { blobConcurrency: number };
  readonly #blobs: BlobCopier;

  constructor(deps: BlobCopierDeps & { blobConcurrency: number }) {
    this.#deps = deps;
    this.#blobs = new BlobCopier(deps);
  }

  async copy(request: CopyRequest): Promise<CopyResult> {
    const { source, destination, signal } = request;
    const logger: Logger = this.#deps.logger;
    const result: CopyResult = { copied: [], skipped: [], bytes: 0, blobs: { existing: 0, mounted: 0, copied: 0, foreign: 0 } };

    // Plan: resolve every artifact and decide which tags to write, before any byte moves.
    const plans: { item: CopyItem; root: ManifestNode; tags: string[]; byDigest: boolean }[] = [];
    for (const item of request.items) {
      const content = await source.adapter.pullManifest(source.repository, item.reference, { signal });
      const targets = item.tags.length > 0 ? item.tags : [content.digest];
      const write: string[] = [];
      for (const target of targets) {
        const existing = await destination.adapter.headManifest(destination.repository, target, { signal });
        const entry = { repository: destination.repository, reference: target, digest: content.digest };
        if (existing?.digest === content.digest) result.skipped.push({ ...entry, reason: 'exists' });
        else if (existing && !request.override) {
          logger.warn('destination tag differs and override is off, skipped', { repository: destination.repository, reference: target, source: content.digest, destination: existing.digest });
          result.skipped.push({ ...entry, reason: 'override-disabled' });
        } else write.push(target);
      }
      if (write.length === 0) continue;
      plans.push({ item, root: await this.#resolve(source, content, signal), tags: write, byDigest: item.tags.length === 0 });
    }

    const blobs = new Map<string, Descriptor>();
    const collect = (node: ManifestNode) => {
      for (const child of node.children) collect(child);
      for (const blob of node.blobs) blobs.set(blob.digest, blob);
    };
    plans.forEach((plan) => collect(plan.root));
    let total = [...blobs.values()].reduce((sum, blob) => sum + blob.size, 0);
    const report = () => request.onProgress?.({ bytes: result.bytes, total: Math.max(total, result.bytes) });
    report();

    const limiter = createSpeedLimiter(request.speed);
    let lastReport = 0;
    const blobContext = {
      source,
      destination,
      copyByChunk: request.copyByChunk,
      limiter,
      signal,
      onBytes: (count: number) => {
        result.bytes += count;
        const now = Date.now();
        if (now - lastReport >= 250) {
          lastReport = now;
          report();
        }
      },
      onSpared: (size: number) => {
        total -= size;
        report();
      },
    };
    const done = new Map<string, Promise<void>>();
    const copyBlob = (blob: Descriptor): Promise<void> => {
      let pending = done.get(blob.digest);
      if (!pending) {
        pending = this.#blobs.copy(blob, blobContext).then((outcome) => {
          result.blobs[outcome]++;
        });
        done.set(blob.digest, pending);
      }
      return pending;
    };

    for (const plan of plans) {
      await this.#pushTree(plan.root, { copyBlob, destination, signal, result });
      for (const tag of plan.tags) {
        await destination.adapter.pushManifest(destination.repository, tag, plan.root.content, { signal });
        result.copied.push({ repository: destination.repository, reference: plan.byDigest ? plan.root.content.digest : tag, digest: plan.root.content.digest });
      }
      logger.info('artifact copied', { from: source.repository, reference: plan.item.reference, to: destination.repository, tags: plan.tags, digest: plan.root.content.digest });
    }
    report();
    return result;
  }

  /** The manifest with its children (for an index) and the blobs to copy (foreign layers left out). */
  async #resolve(source: CopyRequest['source'], content: ManifestContent, signal: AbortSignal): Promise<ManifestNode> {
    const reference = `${source.repository}@${content.digest}`;
    if (!isIndexMediaType(content.mediaType) && !isImageManifestMediaType(content.mediaType)) throw new UnsupportedManifestError(reference, content.mediaType);
    const manifest = parseManifest(content.bytes, content.mediaType);
    if (manifest.kind === 'index') {
      const children: ManifestNode[] = [];
      for (const descriptor of manifest.manifests) {
        const child = await source.adapter.pullManifest(source.repository, descriptor.digest, { signal });
        children.push(await this.#resolve(source, child, signal));
      }
      return { content, children, blobs: [] };
    }
    const blobs = [manifest.config, ...manifest.layers].filter((d) => !isNonDistributable(d.mediaType) && !(d.urls && d.urls.length > 0));
    return { content, children: [], blobs };
  }

  /** Children (by digest) and blobs first, so every manifest lands after what it references. */
  async #pushTree(
    node: ManifestNode,
    ctx: { copyBlob: (blob: Descriptor) => Promise<void>; destination: CopyRequest['destination']; signal: AbortSignal; result: CopyResult },
  ): Promise<void> {
    for (const child of node.children) {
      await this.#pushTree(child, ctx);
      await ctx.destination.adapter.pushManifest(ctx.destination.repository, child.content.digest, child.content, { signal: ctx.signal });
    }
    const foreign = parseForeignCount(node);
    ctx.result.blobs.foreign += foreign;
    // Blobs another copy is moving into this registry right now last: by then they can be mounted.
    const busy = (blob: Descriptor) => this.#blobs.busy(ctx.destination.registryKey, blob.digest);
    await runLimited(node.blobs, this.#deps.blobConcurrency, ctx.copyBlob, busy);
  }
}

function parseForeignCount(node: ManifestNode): number {
  if (node.children.length > 0 || isIndexMediaType(node.content.mediaType)) return 0;
  const manifest = parseManifest(node.content.bytes, node.content.mediaType);
  return manifest.kind === 'image' ? manifest.layers.length + 1 - node.blobs.length : 0;
}

/**
 * Runs `work` on every item, `limit` at a time, each worker taking the first item left that
 * is not `deferred` (else the first left); the first failure stops new work and is thrown.
 */
async function runLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>, deferred: (item: T) => boolean = () => false): Promise<void> {
  const left = [...items];
  let failed = false;
  const worker = async () => {
    while (!failed && left.length > 0) {
      const index = Math.max(0, left.findIndex((candidate) => !deferred(candidate)));
      const item = left.splice(index, 1)[0]!;
      try {
        await work(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const outcomes = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (rejected) throw rejected.reason;
}
