import { join } from 'node:path';
import { run } from './run.js';
import { ROOT_DIR } from './stack.js';

/** One YAML document of a rendered template, and that document as Kubernetes decodes it. */
export interface RenderedManifest {
  source: string;
  yaml: string;
  object: KubernetesObject;
}

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface RenderedChart {
  manifests: RenderedManifest[];
  notes: string;
}

/**
 * Builds tools/chart-render (helm's template engine: Go's text/template with sprig, from
 * Debian's Go packages in GOPATH mode, no downloads) into `outDir` and returns its path.
 */
export async function buildChartRenderer(outDir: string): Promise<string> {
  const binary = join(outDir, 'chart-render');
  await run('go', ['build', '-o', binary, './tools/chart-render'], {
    cwd: ROOT_DIR,
    env: { GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOFLAGS: '', CGO_ENABLED: '0' },
    timeoutMs: 240_000,
  });
  return binary;
}

export interface RenderOptions {
  valueFiles?: readonly string[];
  releaseName?: string;
  namespace?: string;
}

/** `helm template` for the chart: every manifest, decoded, and NOTES.txt. */
export async function renderChart(binary: string, chartDir: string, options: RenderOptions = {}): Promise<RenderedChart> {
  const args = [
    ...(options.valueFiles ?? []).flatMap((file) => ['-f', file]),
    '-name',
    options.releaseName ?? 'wharf',
    '-namespace',
    options.namespace ?? 'registry',
    chartDir,
  ];
  const result = await run(binary, args);
  return JSON.parse(result.stdout) as RenderedChart;
}

/** The renderer's error for values that the chart must refuse. */
export async function renderChartError(binary: string, chartDir: string, valueFiles: readonly string[]): Promise<string> {
  const result = await run(binary, [...valueFiles.flatMap((file) => ['-f', file]), chartDir], { allowFailure: true });
  if (result.code === 0) throw new Error(`the chart rendered with ${valueFiles.join(', ')}, but should have refused`);
  return result.stderr;
}
