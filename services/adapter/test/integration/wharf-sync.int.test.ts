import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestImage, type TestImage } from '@wharf/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestAt, pushImage } from '../factories/content.js';
import { startDistribution, type Distribution } from '../factories/registries.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '../../dist/cli/wharf-sync.js');

function runSync(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Starts a sync and resolves `printed(text)` once its output shows `text`, so a test can act at that moment. */
function startSync(args: string[]): { printed(text: string): Promise<void>; done: Promise<{ code: number; stdout: string }> } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  const waiting: { text: string; resolve: () => void }[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    for (const wait of waiting.filter((w) => stdout.includes(w.text))) wait.resolve();
  });
  child.stderr.resume();
  const done = new Promise<{ code: number; stdout: string }>((resolve) => child.once('close', (code) => resolve({ code: code ?? 1, stdout })));
  return {
    printed: (text) => (stdout.includes(text) ? Promise.resolve() : new Promise((resolve) => waiting.push({ text, resolve }))),
    done,
  };
}

describe('wharf-sync between two docker-registry instances', () => {
  let dir: string;
  let src: Distribution;
  let dst: Distribution;
  let images: TestImage[];
  let authFile: string;
  const host = (registry: Distribution) => registry.url.replace('http://', '');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-sync-int-'));
    const [srcDir, dstDir] = await Promise.all([mkdtemp(join(dir, 'src-')), mkdtemp(join(dir, 'dst-'))]);
    [src, dst] = await Promise.all([startDistribution(srcDir, { kind: 'token' }), startDistribution(dstDir, { kind: 'basic' })]);
    images = [createTestImage(), createTestImage(), createTestImage({ format: 'docker' })];
    await pushImage(src, 'library/alpine', images[0]!, ['3.19', '3.20']);
    await pushImage(src, 'library/alpine', images[1]!, ['edge']);
    await pushImage(src, 'tools/busybox', images[2]!, ['1.36', 'latest']);
    authFile = join(dir, 'auth.json');
    await writeFile(
      authFile,
      JSON.stringify({
        [host(src)]: { username: src.username, password: src.password, insecure: true },
        [host(dst)]: { username: dst.username, password: dst.password, insecure: true },
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await src?.stop();
    await dst?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('copies a list of images with identical digests, every tag when none is named, to several destinations', async () => {
    const imagesFile = join(dir, 'images-1.json');
    await writeFile(
      imagesFile,
      JSON.stringify({
        [`${host(src)}/library/alpine:3.19,edge`]: `${host(dst)}/mirror/alpine`,
        [`${host(src)}/tools/busybox`]: [`${host(dst)}/mirror/busybox`, `${host(dst)}/backup/busybox`],
      }),
    );
    const run = await runSync(['--auth', authFile, '--images', imagesFile, '--proc', '3']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await digestAt(dst, 'mirror/alpine', '3.19')).toBe(images[0]!.manifest.digest);
    expect(await digestAt(dst, 'mirror/alpine', 'edge')).toBe(images[1]!.manifest.digest);
    expect(await digestAt(dst, 'mirror/alpine', '3.20')).toBeUndefined();
    for (const repository of ['mirror/busybox', 'backup/busybox']) {
      expect(await digestAt(dst, repository, '1.36')).toBe(images[2]!.manifest.digest);
      expect(await digestAt(dst, repository, 'latest')).toBe(images[2]!.manifest.digest);
    }
    expect(run.stdout).toMatch(/6 copied, 0 already in sync, 0 failed/);
    expect(run.stdout + run.stderr).not.toContain(src.password!);

    const again = await runSync(['--auth', authFile, '--images', imagesFile]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/0 copied, 6 already in sync, 0 failed/);
  });

  it('retries what failed while the destination was down', async () => {
    const imagesFile = join(dir, 'images-2.json');
    await writeFile(imagesFile, JSON.stringify({ [`${host(src)}/library/alpine:3.20`]: `${host(dst)}/later/alpine` }));
    await dst.pause();
    const running = startSync(['--auth', authFile, '--images', imagesFile, '--retries', '3', '--retry-delay', '1500']);
    // The destination comes back only once the first round has failed against it.
    await running.printed('  failed ');
    await dst.start();
    const run = await running.done;
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/retry round 1/);
    expect(await digestAt(dst, 'later/alpine', '3.20')).toBe(images[0]!.manifest.digest);
  });

  it('exits non-zero when a source is missing, after its retries', async () => {
    const imagesFile = join(dir, 'images-3.json');
    await writeFile(
      imagesFile,
      JSON.stringify({
        [`${host(src)}/library/absent:1.0`]: `${host(dst)}/mirror/absent`,
        [`${host(src)}/library/nothing`]: `${host(dst)}/mirror/nothing`,
        [`${host(src)}/library/alpine:edge`]: `${host(dst)}/ok/alpine`,
      }),
    );
    const run = await runSync(['--auth', authFile, '--images', imagesFile, '--retries', '1', '--retry-delay', '100']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/1 copied, 0 already in sync, 2 failed/);
    expect(run.stdout).toMatch(/failed: .*library\/absent:1\.0/);
    expect(await digestAt(dst, 'ok/alpine', 'edge')).toBe(images[1]!.manifest.digest);
  });
});
