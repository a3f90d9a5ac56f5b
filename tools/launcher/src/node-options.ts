/**
 * V8 options each service runs with, wherever it is started (the launcher, the tests, the
 * benchmark; container images use the same).
 *
 * registry-facade: a 2 MiB young-generation semi-space. Streaming allocates one short-lived
 * buffer per socket read; a smaller nursery collects them sooner, which keeps the peak
 * RSS of a 1 GiB transfer near 140 MB instead of near 190 MB, at no measured throughput
 * cost (bench/registry-facade.bench.ts).
 */
export const serviceNodeOptions: Readonly<Record<string, readonly string[]>> = {
  'registry-facade': ['--max-semi-space-size=2'],
};
