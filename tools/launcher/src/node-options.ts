/**
 * V8 options each service runs with, wherever it is started (the launcher, the tests, the
 * benchmark; container images use the same).
 *
 * registry-facade: a 2 MiB young-generation semi-space. Streaming allocates one short-lived
 * buffer per socket read; a smaller nursery collects them sooner, which keeps the peak
 * RSS of a 1 GiB transfer near 140 MB instead of near 190 MB, at no measured throughput
 * cost (bench/registry-facade.bench.ts).
 *
 * registry-facade and proxy: external memory (the buffers of streamed bodies) counted in
 * V8's global heap limit instead of its own 64 MiB step. Each socket read allocates a fresh
 * buffer, and by default every 64 MiB of them set off a full collection of the whole heap;
 * counted with the heap, collections come less often. On a chunked push this took
 * registry-facade from 3.8–4.2 to 3.2–3.6 CPU s/GiB (bench/wrk.bench.ts, chunked-push), with
 * its peak RSS on a 1 GiB push at 157 MB.
 */
export const serviceNodeOptions: Readonly<Record<string, readonly string[]>> = {
  'registry-facade': ['--max-semi-space-size=2', '--external-memory-accounted-in-global-limit'],
  proxy: ['--external-memory-accounted-in-global-limit'],
};
