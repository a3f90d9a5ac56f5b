import type { Logger } from '@wharf/logging';
import { DockerRegistryAdapter } from '../adapters/docker-registry/docker-registry.adapter.js';
import type { AdapterDeps } from '../adapters/registry-adapter.js';
import type { CopyResult, CopyService } from '../copy/copy.service.js';
import { authFor, type AuthFile, type SyncRule } from './sync-plan.js';

/** One tag (or digest) of one rule: the unit that is copied, retried and reported. */
export interface SyncTask {
  source: { host: string; repository: string; reference: string };
  destination: { host: string; repository: string; tag: string | undefined };
  attempts: number;
  error?: string;
  result?: CopyResult;
}

export interface SyncEvents {
  taskDone(task: SyncTask): void;
  taskFailed(task: SyncTask, willRetry: boolean): void;
  roundStarted(round: number, tasks: number): void;
  progress(bytes: number): void;
}

export interface SyncOptions {
  auth: AuthFile;
  rules: readonly SyncRule[];
  proc: number;
  retries: number;
  retryDelayMs: number;
  copier: CopyService;
  adapterDeps: AdapterDeps;
  logger: Logger;
  events: SyncEvents;
  signal: AbortSignal;
  /** Decides http or https for a host without a scheme. */
  resolveUrl: (host: string, insecure: boolean) => Promise<string>;
}

export interface SyncSummary {
  tasks: SyncTask[];
  failed: SyncTask[];
  bytes: number;
}

/**
 * image-syncer's run: rules expanded into tag tasks (every source tag when a rule names
 * none), copied `proc` at a time through the copy engine, failed tasks retried in up to
 * `retries` further rounds; a rule whose source cannot be listed fails as one task.
 */
export async function runSync(options: SyncOptions): Promise<SyncSummary> {
  const adapters = new Map<string, Promise<DockerRegistryAdapter>>();
  const adapterFor = (host: string): Promise<DockerRegistryAdapter> => {
    let adapter = adapters.get(host);
    if (!adapter) {
      const credentials = authFor(options.auth, host);
      adapter = options.resolveUrl(host, credentials?.insecure ?? false).then(
        (url) =>
          new DockerRegistryAdapter(
            {
              type: 'docker-registry',
              url,
              insecure: credentials?.insecure ?? false,
              credential: credentials?.username ? { type: 'basic', access_key: credentials.username, access_secret: credentials.password ?? '' } : undefined,
            },
            options.adapterDeps,
          ),
      );
      adapters.set(host, adapter);
    }
    return adapter;
  };

  const tasks: SyncTask[] = [];
  let bytes = 0;
  try {
    let pending: (() => Promise<SyncTask[]>)[] = options.rules.map((rule) => async () => expand(rule, adapterFor, options.signal));
    const expanded: SyncTask[] = [];
    // Expanding (listing tags) is retried like a task, as a placeholder task per rule.
    const placeholders = new Map<SyncTask, () => Promise<SyncTask[]>>();
    for (const [i, expandRule] of pending.entries()) {
      const rule = options.rules[i]!;
      const placeholder: SyncTask = { source: { host: rule.source.host, repository: rule.source.repository, reference: '*' }, destination: { host: rule.destination.host, repository: rule.destination.repository, tag: undefined }, attempts: 0 };
      placeholders.set(placeholder, expandRule);
    }
    pending = [];
    let queue: SyncTask[] = [...placeholders.keys()];
    for (let round = 0; queue.length > 0 && round <= options.retries; round++) {
      if (round > 0) await sleep(options.retryDelayMs * 2 ** (round - 1), options.signal);
      options.events.roundStarted(round, queue.length);
      const failed: SyncTask[] = [];
      const work = [...queue];
      const worker = async () => {
        for (let task = work.shift(); task; task = work.shift()) {
          if (options.signal.aborted) return;
          task.attempts++;
          try {
            const expandRule = placeholders.get(task);
            if (expandRule) {
              const children = await expandRule();
              placeholders.delete(task);
              expanded.push(...children);
              work.push(...children);
              continue;
            }
            const [source, destination] = await Promise.all([adapterFor(task.source.host), adapterFor(task.destination.host)]);
            let sent = 0;
            task.result = await options.copier.copy({
              source: { adapter: source, repository: task.source.repository, registryKey: source.registry.url },
              destination: { adapter: destination, repository: task.destination.repository, registryKey: destination.registry.url },
              items: [{ reference: task.source.reference, tags: task.destination.tag ? [task.destination.tag] : [] }],
              override: true,
              copyByChunk: false,
              signal: options.signal,
              onProgress: (progress) => {
                options.events.progress(progress.bytes - sent);
                sent = progress.bytes;
              },
            });
            bytes += task.result.bytes;
            delete task.error;
            tasks.push(task);
            options.events.taskDone(task);
          } catch (error) {
            task.error = (error as Error).message;
            failed.push(task);
            options.events.taskFailed(task, round < options.retries);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, options.proc) }, worker));
      queue = failed;
    }
    const failed = [...queue];
    return { tasks: [...tasks, ...failed], failed, bytes };
  } finally {
    for (const adapter of adapters.values()) await adapter.then((a) => a.close()).catch(() => undefined);
  }
}

async function expand(rule: SyncRule, adapterFor: (host: string) => Promise<DockerRegistryAdapter>, signal: AbortSignal): Promise<SyncTask[]> {
  let references = rule.source.references;
  if (references.length === 0) {
    const source = await adapterFor(rule.source.host);
    references = await source.listTags(rule.source.repository, { signal });
  }
  const explicitTag = rule.destination.references[0];
  return references.map((reference) => ({
    source: { host: rule.source.host, repository: rule.source.repository, reference },
    destination: { host: rule.destination.host, repository: rule.destination.repository, tag: explicitTag ?? (reference.includes(':') ? undefined : reference) },
    attempts: 0,
  }));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
