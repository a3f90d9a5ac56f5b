import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@wharf/logging';
import type { PullEvent } from '../events/event.repository.js';
import { PullRecorder } from './pull-recorder.js';

const logger = createLogger({ service: 'test', stream: new PassThrough().resume() });
const pull = (n: number) => ({ repository: 'lib/app', digest: `sha256:${n}`, tag: 'latest', resource: 'lib/app:latest', username: 'dev' });

describe('PullRecorder', () => {
  it('writes the pulls that arrive during a write together, each once, and answers each after its write', async () => {
    const batches: PullEvent[][] = [];
    let release: (() => void) | undefined;
    const recorder = new PullRecorder({
      logger,
      apply: async (pulls) => {
        batches.push([...pulls]);
        if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
        return pulls.length;
      },
    });
    const first = recorder.record(pull(0));
    const rest = [1, 2, 3].map((n) => recorder.record(pull(n)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches.map((b) => b.length)).toEqual([1]);
    release!();
    await Promise.all([first, ...rest]);
    expect(batches.map((b) => b.length)).toEqual([1, 3]);
    expect(new Set(batches.flat().map((p) => p.id)).size).toBe(4);
  });

  it('answers the pull even when it cannot be written', async () => {
    const recorder = new PullRecorder({ logger, apply: async () => Promise.reject(new Error('Connection terminated unexpectedly')) });
    await expect(recorder.record(pull(1))).resolves.toBeUndefined();
  });
});
