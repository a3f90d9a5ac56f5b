/**
 * The deployment artifacts, checked as far as this machine can (no Docker engine, no
 * Kubernetes cluster, no helm):
 *
 * - docker-compose.yml: Debian's docker-compose validates and renders it with
 *   deploy/compose.env.example; the rendered file is checked for one published port,
 *   health checks, health-gated start order, and each service's environment is run through
 *   that service's own configuration schema.
 * - deploy/docker/*.Dockerfile: their instructions are checked against the workspace
 *   (pnpm version, service entry, node options, port, user), and their `pnpm deploy`
 *   command is run for real: the production copies it makes start as a suite (proxy, core,
 *   registry-facade on this machine's Postgres and Redis) and answer a registry login.
 * - deploy/helm/wharf: tools/chart-render (helm's template engine built from Debian's Go
 *   packages) renders it with the default values and with values-s3-external.yaml; every
 *   manifest is validated against the Kubernetes schemas (kubernetes-models: JSON schemas,
 *   and the API types for unknown fields), and the services' environments against their
 *   configuration schemas.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { signingKeyFromPem } from '@wharf/auth-token';
import { loadConfig } from '@wharf/config';
import { serviceNodeOptions, startServiceProcess, type ServiceProcess } from '@wharf/launcher';
import { createTestDatabase, createTestRedisNamespace, freePort, type TestDatabase, type TestRedisNamespace } from '@wharf/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { configSchema as coreSchema } from '../../services/core/src/config.js';
import { configSchema as proxySchema } from '../../services/proxy/src/config.js';
import { configSchema as registrySchema } from '../../services/registry-facade/src/config.js';
import { configSchema as jobserviceSchema } from '../../services/jobservice/src/config.js';
import { configSchema as adapterSchema } from '../../services/adapter/src/config.js';
import { buildChartRenderer, renderChart, renderChartError, type KubernetesObject, type RenderedChart, type RenderedManifest } from '../src/chart-render.js';
import { schemaErrors, strictFieldErrors } from '../src/kubernetes-schemas.js';
import { run } from '../src/run.js';
import { ROOT_DIR } from '../src/stack.js';
import { createTempDir, type TempDir } from '../src/temp-dir.js';

type NodeService = 'proxy' | 'core' | 'registry-facade' | 'jobservice' | 'adapter';
const NODE_SERVICES: readonly NodeService[] = ['proxy', 'core', 'registry-facade', 'jobservice', 'adapter'];

/** Each service's port, the prefix of its variables, and its configuration schema. */
const SERVICES: Record<NodeService, { port: number; prefix: string; check: (env: Record<string, string>) => unknown }> = {
  proxy: { port: 8080, prefix: 'PROXY', check: (env) => loadConfig(proxySchema, env) },
  core: { port: 8081, prefix: 'CORE', check: (env) => loadConfig(coreSchema, env) },
  'registry-facade': { port: 5000, prefix: 'REGISTRY', check: (env) => loadConfig(registrySchema, env) },
  jobservice: { port: 8082, prefix: 'JOBSERVICE', check: (env) => loadConfig(jobserviceSchema, env) },
  adapter: { port: 8083, prefix: 'ADAPTER', check: (env) => loadConfig(adapterSchema, env) },
};

const COMPOSE_FILE = join(ROOT_DIR, 'docker-compose.yml');
const ENV_EXAMPLE = join(ROOT_DIR, 'deploy/compose.env.example');
const CHART_DIR = join(ROOT_DIR, 'deploy/helm/wharf');
const S3_VALUES = join(CHART_DIR, 'values-s3-external.yaml');
const REQUIRED_COMPOSE_VARIABLES = ['WHARF_ADMIN_PASSWORD', 'WHARF_SECRET', 'WHARF_ENCRYPTION_KEY', 'WHARF_POSTGRES_PASSWORD', 'WHARF_REDIS_PASSWORD', 'WHARF_RABBITMQ_PASSWORD'];

/** This process's WHARF_* variables would override the env file: leave them out. */
const withoutWharfVariables: NodeJS.ProcessEnv = Object.fromEntries(
  Object.keys(process.env)
    .filter((name) => name.startsWith('WHARF_'))
    .map((name) => [name, undefined]),
);

function stringRecord(value: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries((value ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

// ---------------------------------------------------------------------------------------
// docker-compose.yml

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string | number | null>;
  ports?: ({ published: number | string; target: number | string } | string)[];
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }> | string[];
  volumes?: (string | { source: string; target: string; read_only?: boolean })[];
}

interface ComposeConfig {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

function composeConfig(envFile: string, allowFailure = false) {
  return run('docker-compose', ['-f', COMPOSE_FILE, '--env-file', envFile, 'config'], { cwd: ROOT_DIR, env: withoutWharfVariables, allowFailure });
}

describe('docker-compose.yml', () => {
  let config: ComposeConfig;
  let temp: TempDir;

  beforeAll(async () => {
    temp = await createTempDir('deploy-compose');
    config = parseYaml((await composeConfig(ENV_EXAMPLE)).stdout) as ComposeConfig;
  });
  afterAll(async () => {
    await temp?.remove();
  });

  it('runs the suite and its infrastructure', () => {
    expect(Object.keys(config.services).sort()).toEqual(['adapter', 'core', 'jobservice', 'postgres', 'proxy', 'rabbitmq', 'redis', 'registry-facade']);
    expect(config.services.postgres!.image).toBe('postgres:17');
    expect(config.services.redis!.image).toBe('redis:7');
    expect(config.services.rabbitmq!.image).toMatch(/^rabbitmq:4(-management)?$/);
  });

  it("publishes exactly one port: the proxy's 8080", () => {
    const published = Object.entries(config.services).flatMap(([name, service]) =>
      (service.ports ?? []).map((port) => (typeof port === 'string' ? { name, port } : { name, target: Number(port.target), published: Number(port.published) })),
    );
    expect(published).toEqual([{ name: 'proxy', target: 8080, published: 8080 }]);
  });

  it('gives every service a health check; the Node services check /readyz on their own port', () => {
    for (const [name, service] of Object.entries(config.services)) {
      expect(service.healthcheck?.test, name).toBeDefined();
    }
    for (const name of NODE_SERVICES) {
      const test = config.services[name]!.healthcheck!.test;
      expect(Array.isArray(test) ? test.slice(0, 3) : test).toEqual(['CMD', 'node', '-e']);
      expect((test as string[])[3]).toContain(`http://127.0.0.1:${SERVICES[name].port}/readyz`);
      const env = stringRecord(config.services[name]!.environment);
      expect(env[`${SERVICES[name].prefix}_HTTP_PORT`]).toBe(String(SERVICES[name].port));
      expect(env[`${SERVICES[name].prefix}_HTTP_HOST`]).toBe('0.0.0.0');
    }
  });

  it('starts each service only when the services it depends on are healthy', () => {
    const edges: string[] = [];
    for (const [name, service] of Object.entries(config.services)) {
      expect(Array.isArray(service.depends_on), `${name}: depends_on needs conditions`).toBe(false);
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(condition, `${name} → ${dependency}`).toBe('service_healthy');
        expect(config.services[dependency]?.healthcheck, `${dependency} has a health check`).toBeDefined();
        edges.push(`${name}→${dependency}`);
      }
    }
    expect(edges.sort()).toEqual(['core→postgres', 'core→redis', 'core→registry-facade', 'jobservice→rabbitmq', 'jobservice→redis', 'proxy→core', 'proxy→registry-facade', 'registry-facade→postgres']);
  });

  it('builds the Node services from deploy/docker/<service>.Dockerfile with the repository as context', () => {
    for (const name of NODE_SERVICES) {
      const build = config.services[name]!.build!;
      expect(build.context).toBe(ROOT_DIR);
      expect(build.dockerfile).toBe(`deploy/docker/${name}.Dockerfile`);
      expect(existsSync(join(ROOT_DIR, build.dockerfile))).toBe(true);
    }
  });

  it("gives each Node service an environment that the service's own configuration schema accepts", () => {
    for (const name of NODE_SERVICES) {
      expect(() => SERVICES[name].check(stringRecord(config.services[name]!.environment)), name).not.toThrow();
    }
  });

  it('wires the services to each other and to the public address', () => {
    const proxy = stringRecord(config.services.proxy!.environment);
    const core = stringRecord(config.services.core!.environment);
    const registry = stringRecord(config.services['registry-facade']!.environment);
    expect(core.CORE_EXTERNAL_URL).toBe(proxy.PROXY_EXTERNAL_URL);
    expect(registry.REGISTRY_AUTH_TOKEN_REALM).toBe(`${proxy.PROXY_EXTERNAL_URL}/service/token`);
    expect(proxy.PROXY_CORE_URL).toBe('http://core:8081');
    expect(proxy.PROXY_REGISTRY_URL).toBe('http://registry-facade:5000');
    expect(core.CORE_REGISTRY_URL).toBe('http://registry-facade:5000');
    expect(registry.REGISTRY_AUTH_MODE).toBe('token');
    expect(registry.REGISTRY_AUTH_TOKEN_JWKS_URL).toBe('http://core:8081/service/keys');
    expect(registry.REGISTRY_NOTIFICATIONS_URL).toBe('http://core:8081/service/notifications');
    expect(registry.REGISTRY_NOTIFICATIONS_SECRET).toBe(core.CORE_SECRET);
    expect(core.DATABASE_URL).toBe(registry.DATABASE_URL);
    expect(new URL(core.DATABASE_URL!).host).toBe('postgres:5432');
    expect(new URL(core.REDIS_URL!).host).toBe('redis:6379');
    const jobservice = stringRecord(config.services.jobservice!.environment);
    expect(core.CORE_JOBSERVICE_URL).toBe('http://jobservice:8082');
    expect(core.CORE_INTERNAL_URL).toBe('http://core:8081');
    expect(jobservice.JOBSERVICE_SECRET).toBe(core.CORE_SECRET);
    expect(jobservice.JOBSERVICE_REGISTRY_URL).toBe('http://registry-facade:5000');
    const adapter = stringRecord(config.services.adapter!.environment);
    expect(core.CORE_ADAPTER_URL).toBe('http://adapter:8083');
    expect(jobservice.JOBSERVICE_ADAPTER_URL).toBe('http://adapter:8083');
    expect(adapter.ADAPTER_SECRET).toBe(core.CORE_SECRET);
    expect(new URL(jobservice.AMQP_URL!).host).toBe('rabbitmq:5672');
    expect(new URL(jobservice.REDIS_URL!).host).toBe('redis:6379');
    expect(proxy.PROXY_BLOB_FILES_ROOT).toBe(registry.REGISTRY_STORAGE_FILESYSTEM_ROOT);
  });

  it('keeps state in named volumes', () => {
    expect(Object.keys(config.volumes ?? {}).sort()).toEqual(['core-secrets', 'jobservice-logs', 'postgres-data', 'rabbitmq-data', 'redis-data', 'registry-data']);
    const mounts = Object.fromEntries(
      Object.entries(config.services).map(([name, service]) => [name, (service.volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':').slice(0, 2).join(':') : `${v.source}:${v.target}`))]),
    );
    expect(mounts['registry-facade']).toEqual(['registry-data:/var/lib/wharf/registry']);
    expect(stringRecord(config.services['registry-facade']!.environment).REGISTRY_STORAGE_FILESYSTEM_ROOT).toBe('/var/lib/wharf/registry');
    expect(mounts.core).toEqual(['core-secrets:/var/lib/wharf/secrets']);
    expect(mounts.proxy).toEqual(['registry-data:/var/lib/wharf/registry']);
    expect(config.services.proxy!.volumes!.every((v) => (typeof v === 'string' ? v.endsWith(':ro') : v.read_only === true))).toBe(true);
    expect(mounts.jobservice).toEqual(['jobservice-logs:/var/lib/wharf/jobservice/logs']);
    expect(stringRecord(config.services.jobservice!.environment).JOBSERVICE_LOG_DIR).toBe('/var/lib/wharf/jobservice/logs');
    expect(stringRecord(config.services.core!.environment).CORE_TOKEN_PRIVATE_KEY_FILE).toMatch(/^\/var\/lib\/wharf\/secrets\//);
    expect(mounts.postgres).toEqual(['postgres-data:/var/lib/postgresql/data']);
    expect(mounts.redis).toEqual(['redis-data:/data']);
    expect(mounts.rabbitmq).toEqual(['rabbitmq-data:/var/lib/rabbitmq']);
  });

  it('refuses to render without each required secret, naming it', async () => {
    const text = readFileSync(COMPOSE_FILE, 'utf8');
    const required = new Set([...text.matchAll(/\$\{(\w+):\?/g)].map((m) => m[1]));
    expect([...required].sort()).toEqual([...REQUIRED_COMPOSE_VARIABLES].sort());
    const example = readFileSync(ENV_EXAMPLE, 'utf8');
    for (const name of REQUIRED_COMPOSE_VARIABLES) {
      expect(example, `${name} is documented in the example`).toMatch(new RegExp(`^${name}=.+$`, 'm'));
      const envFile = join(temp.path, `without-${name}.env`);
      await writeFile(envFile, example.replace(new RegExp(`^${name}=.*$`, 'm'), ''));
      const result = await composeConfig(envFile, true);
      expect(result.code, name).not.toBe(0);
      expect(result.stderr).toContain(`set ${name} in .env`);
    }
  });
});

// ---------------------------------------------------------------------------------------
// deploy/docker/*.Dockerfile

interface Instruction {
  keyword: string;
  args: string;
}

/** A Dockerfile's instructions: continuation lines joined, comments and blank lines dropped. */
function parseDockerfile(file: string): Instruction[] {
  const logical = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return logical
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
    });
}

/** The instructions of each stage, by stage name. */
function stages(instructions: readonly Instruction[]): Map<string, Instruction[]> {
  const result = new Map<string, Instruction[]>();
  let current: Instruction[] | undefined;
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const name = /\bAS\s+(\S+)/i.exec(instruction.args)?.[1] ?? `stage${result.size}`;
      current = [instruction];
      result.set(name, current);
    } else {
      current?.push(instruction);
    }
  }
  return result;
}

function dockerfileOf(service: NodeService): string {
  return join(ROOT_DIR, 'deploy/docker', `${service}.Dockerfile`);
}

/** The `pnpm … deploy …` command of a Dockerfile, as an argument list writing to `out`. */
function deployCommand(service: NodeService, out: string): string[] {
  const run = parseDockerfile(dockerfileOf(service)).find((i) => i.keyword === 'RUN' && / deploy /.test(i.args));
  if (!run) throw new Error(`${service}.Dockerfile has no pnpm deploy step`);
  const command = run.args.split('&&')[0]!.trim().split(/\s+/);
  return command.map((arg) => (arg === '/out' ? out : arg));
}

describe('deploy/docker/*.Dockerfile', () => {
  const rootManifest = JSON.parse(readFileSync(join(ROOT_DIR, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };

  it('ignore what an image must not contain (.dockerignore)', () => {
    const ignored = readFileSync(join(ROOT_DIR, '.dockerignore'), 'utf8').split('\n');
    for (const pattern of ['.git', '**/node_modules', '**/dist', 'data', '**/.env']) expect(ignored).toContain(pattern);
  });

  for (const service of NODE_SERVICES) {
    it(`${service}: builds with the workspace's pnpm and runs the service as node, with its port, health check and node options`, () => {
      const instructions = parseDockerfile(dockerfileOf(service));
      expect(instructions).toContainEqual({ keyword: 'ARG', args: 'NODE_IMAGE=node:24-bookworm-slim' });
      const byStage = stages(instructions);
      expect([...byStage.keys()]).toEqual(['build', 'runtime']);
      for (const stage of byStage.values()) expect(stage[0]!.args).toMatch(/^\$\{NODE_IMAGE\} AS /);

      const build = byStage.get('build')!;
      expect(build).toContainEqual({ keyword: 'ARG', args: `PNPM_VERSION=${rootManifest.devDependencies.pnpm}` });
      const runs = build.filter((i) => i.keyword === 'RUN').map((i) => i.args);
      expect(runs.some((r) => r.includes('pnpm@${PNPM_VERSION}'))).toBe(true);
      expect(runs.some((r) => r.startsWith('pnpm install --frozen-lockfile'))).toBe(true);
      expect(runs).toContain(`node node_modules/typescript/bin/tsc -b services/${service}`);
      expect(deployCommand(service, '/x').slice(0, 6)).toEqual(['pnpm', '--filter', `@wharf/${service}`, 'deploy', '--prod', '--prefer-offline']);

      const runtime = byStage.get('runtime')!;
      const keywords = runtime.map((i) => i.keyword);
      expect(runtime.filter((i) => i.keyword === 'COPY').map((i) => i.args)).toEqual(['--from=build /out/ /app/']);
      expect(runtime.find((i) => i.keyword === 'USER')?.args).toBe('node');
      expect(keywords.indexOf('USER')).toBeLessThan(keywords.indexOf('CMD'));
      expect(runtime.find((i) => i.keyword === 'WORKDIR')?.args).toBe('/app');
      const { port, prefix } = SERVICES[service];
      expect(runtime.find((i) => i.keyword === 'EXPOSE')?.args.split(/\s+/)).toContain(String(port));
      const env = runtime.filter((i) => i.keyword === 'ENV').map((i) => i.args).join(' ');
      expect(env).toContain(`${prefix}_HTTP_HOST=0.0.0.0`);
      expect(env).toContain(`${prefix}_HTTP_PORT=${port}`);
      const healthcheck = runtime.find((i) => i.keyword === 'HEALTHCHECK')!.args;
      expect(healthcheck).toContain('/readyz');
      expect(JSON.parse(runtime.find((i) => i.keyword === 'CMD')!.args)).toEqual(['node', ...(serviceNodeOptions[service] ?? []), 'dist/main.js']);
    });
  }
});

describe('the production copy of each service (the Dockerfiles’ pnpm deploy), started as a suite', () => {
  let temp: TempDir;
  let database: TestDatabase | undefined;
  let redis: TestRedisNamespace | undefined;
  const running: ServiceProcess[] = [];
  const copies = {} as Record<NodeService, string>;

  beforeAll(async () => {
    temp = await createTempDir('deploy-copies');
    for (const service of NODE_SERVICES) {
      copies[service] = join(temp.path, service);
      const [, ...args] = deployCommand(service, copies[service]);
      await run(join(ROOT_DIR, 'node_modules/.bin/pnpm'), args, { cwd: ROOT_DIR, timeoutMs: 180_000 });
    }
  });
  afterAll(async () => {
    await Promise.allSettled(running.map((service) => service.stop()));
    await database?.drop();
    await redis?.cleanup();
    await temp?.remove();
  });

  it('holds the compiled service and its packages, without sources or tests', () => {
    for (const service of NODE_SERVICES) {
      const copy = copies[service];
      expect(existsSync(join(copy, 'dist/main.js')), service).toBe(true);
      expect(existsSync(join(copy, 'migrations')), `${service} migrations`).toBe(service === 'core' || service === 'registry-facade');
      expect(existsSync(join(copy, 'src')), `${service} src`).toBe(false);
      expect(existsSync(join(copy, 'test')), `${service} test`).toBe(false);
      const manifest = JSON.parse(readFileSync(join(copy, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
      const workspacePackages = Object.keys(manifest.dependencies).filter((name) => name.startsWith('@wharf/'));
      expect(workspacePackages.length, service).toBeGreaterThan(0);
      for (const name of workspacePackages) {
        const dir = join(copy, 'node_modules', name);
        expect(existsSync(join(dir, 'dist/index.js')), `${service}: ${name}/dist`).toBe(true);
        expect(readdirSync(dir).filter((entry) => entry === 'src' || entry === 'test'), `${service}: ${name}`).toEqual([]);
      }
      expect(existsSync(join(copy, 'node_modules/@wharf/testing')), `${service}: no test support`).toBe(false);
      expect(existsSync(join(copy, 'node_modules/typescript')), `${service}: no dev tools`).toBe(false);
    }
  });

  it('starts with the images’ settings (their ENV and CMD) and answers a registry login through the proxy', async () => {
    database = await createTestDatabase('deploy_copies');
    redis = await createTestRedisNamespace('deploy-copies');
    const ports = { proxy: await freePort(), core: await freePort(), 'registry-facade': await freePort(), jobservice: await freePort(), adapter: await freePort() };
    const url = (service: NodeService) => `http://127.0.0.1:${ports[service]}`;
    const secret = 'deploy-check-secret-0123456789abcdef';
    const adminPassword = 'Deploy-Check-Password-1';
    const settings: Record<NodeService, Record<string, string>> = {
      'registry-facade': {
        DATABASE_URL: database.url,
        REGISTRY_STORAGE_FILESYSTEM_ROOT: join(temp.path, 'blobs'),
        REGISTRY_AUTH_MODE: 'token',
        REGISTRY_AUTH_TOKEN_REALM: `${url('proxy')}/service/token`,
        REGISTRY_AUTH_TOKEN_JWKS_URL: `${url('core')}/service/keys`,
        REGISTRY_NOTIFICATIONS_URL: `${url('core')}/service/notifications`,
        REGISTRY_NOTIFICATIONS_SECRET: secret,
      },
      core: {
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        CORE_REDIS_PREFIX: redis.prefix,
        CORE_EXTERNAL_URL: url('proxy'),
        CORE_REGISTRY_URL: url('registry-facade'),
        CORE_INTERNAL_URL: url('core'),
        CORE_JOBSERVICE_URL: url('jobservice'),
        CORE_ADAPTER_URL: url('adapter'),
        CORE_ENCRYPTION_KEY: 'deploy-check-encryption-key-0123456789abcdef',
        WHARF_ADMIN_PASSWORD: adminPassword,
        CORE_SECRET: secret,
        CORE_TOKEN_PRIVATE_KEY_FILE: join(temp.path, 'secrets/token.key'),
        CORE_TOKEN_KEY_GENERATE: 'true',
      },
      jobservice: {
        REDIS_URL: redis.url,
        JOBSERVICE_REDIS_PREFIX: `${redis.prefix}jobservice:`,
        JOBSERVICE_QUEUE_PREFIX: redis.prefix,
        JOBSERVICE_SECRET: secret,
        JOBSERVICE_LOG_DIR: join(temp.path, 'job-logs'),
        JOBSERVICE_REGISTRY_URL: url('registry-facade'),
        JOBSERVICE_ADAPTER_URL: url('adapter'),
      },
      adapter: { ADAPTER_SECRET: secret },
      proxy: { PROXY_EXTERNAL_URL: url('proxy'), PROXY_CORE_URL: url('core'), PROXY_REGISTRY_URL: url('registry-facade'), PROXY_CORE_SECRET: secret },
    };
    for (const service of ['registry-facade', 'core', 'adapter', 'jobservice', 'proxy'] as const) {
      const runtime = stages(parseDockerfile(dockerfileOf(service))).get('runtime')!;
      const imageEnv = Object.fromEntries(
        runtime
          .filter((i) => i.keyword === 'ENV')
          .flatMap((i) => i.args.split(/\s+/))
          .map((pair) => pair.split('=') as [string, string]),
      );
      const cmd = JSON.parse(runtime.find((i) => i.keyword === 'CMD')!.args) as string[];
      const { prefix } = SERVICES[service];
      running.push(
        await startServiceProcess({
          name: service,
          entry: join(copies[service], cmd.at(-1)!),
          nodeArgs: cmd.slice(1, -1),
          env: {
            ...imageEnv,
            ...settings[service],
            [`${prefix}_HTTP_HOST`]: '127.0.0.1',
            [`${prefix}_HTTP_PORT`]: String(ports[service]),
            LOG_LEVEL: 'warn',
          },
          readyUrl: `${url(service)}/readyz`,
          logFile: join(temp.path, 'logs', `${service}.log`),
        }),
      );
    }

    const challenge = await fetch(`${url('proxy')}/v2/`);
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get('www-authenticate')).toContain(`realm="${url('proxy')}/service/token"`);
    const token = await fetch(`${url('proxy')}/service/token?service=harbor-registry&scope=repository:library/x:pull`, {
      headers: { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` },
    });
    expect(token.status).toBe(200);
    const { token: jwt } = (await token.json()) as { token: string };
    const catalog = await fetch(`${url('proxy')}/v2/`, { headers: { authorization: `Bearer ${jwt}` } });
    expect(catalog.status).toBe(200);
    const stats = await fetch(`${url('jobservice')}/api/v1/stats`);
    expect(stats.status).toBe(200);
    const adapters = await fetch(`${url('adapter')}/api/v1/adapters`, { headers: { authorization: `Harbor-Secret ${secret}` } });
    expect(adapters.status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------
// deploy/helm/wharf

/** The parts of the rendered objects these checks read (the schemas check the rest). */
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
}
interface Container {
  image: string;
  ports: { name: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  securityContext: Record<string, unknown>;
  resources: { requests?: Record<string, string> };
  volumeMounts: { name: string; mountPath: string }[];
}
interface Volume {
  name: string;
  secret?: { secretName: string; items?: { key: string }[] };
  persistentVolumeClaim?: { claimName: string };
}
interface DeploymentObject extends KubernetesObject {
  spec: {
    replicas: number;
    strategy?: { type: string };
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: { securityContext: Record<string, unknown>; containers: Container[]; volumes: Volume[] } };
  };
}
interface ServiceObject extends KubernetesObject {
  spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string }[] };
}
interface IngressObject extends KubernetesObject {
  spec: { tls?: unknown[]; rules: { host: string; http: { paths: { backend: { service: { name: string; port: { name: string } } } }[] } }[] };
}
interface DataObject extends KubernetesObject {
  data?: Record<string, string>;
}
interface ClaimObject extends KubernetesObject {
  spec: { accessModes: string[] };
}

const COMPONENT = 'app.kubernetes.io/component';

function objectsOf<T extends KubernetesObject>(chart: RenderedChart, kind: string): T[] {
  return chart.manifests.filter((m) => m.object.kind === kind).map((m) => m.object as T);
}

function named<T extends KubernetesObject>(chart: RenderedChart, kind: string, name: string): T | undefined {
  return objectsOf<T>(chart, kind).find((o) => o.metadata.name === name);
}

function deploymentOf(chart: RenderedChart, component: NodeService): DeploymentObject {
  const deployment = objectsOf<DeploymentObject>(chart, 'Deployment').find((d) => d.spec.selector.matchLabels[COMPONENT] === component);
  if (!deployment) throw new Error(`no Deployment for ${component}`);
  return deployment;
}

function containerOf(deployment: DeploymentObject): Container {
  return deployment.spec.template.spec.containers[0]!;
}

/** A value standing in for one held by a Secret the chart does not manage (long enough for any minimum). */
const EXTERNAL_SECRET_VALUE = 'value-of-an-existing-secret-0123456789';

function secretData(chart: RenderedChart, name: string): Record<string, string> | undefined {
  const secret = named<DataObject>(chart, 'Secret', name);
  if (!secret) return undefined;
  return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/**
 * The environment a container sees: envFrom, then env in order, `$(VAR)` expanded from the
 * variables before it (as the kubelet does), Secret values decoded.
 */
function containerEnvironment(chart: RenderedChart, container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, named<DataObject>(chart, 'ConfigMap', source.configMapRef.name)?.data);
    if (source.secretRef) Object.assign(env, secretData(chart, source.secretRef.name));
  }
  for (const variable of container.env ?? []) {
    if (typeof variable.value === 'string') {
      env[variable.name] = variable.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole: string, name: string) => env[name] ?? whole);
    } else if (variable.valueFrom?.secretKeyRef) {
      const { name, key } = variable.valueFrom.secretKeyRef;
      const data = secretData(chart, name);
      if (data) {
        expect(data[key], `${variable.name}: Secret ${name} has ${key}`).toBeDefined();
        env[variable.name] = data[key]!;
      } else {
        env[variable.name] = EXTERNAL_SECRET_VALUE;
      }
    } else if (variable.valueFrom?.configMapKeyRef) {
      const { name, key } = variable.valueFrom.configMapKeyRef;
      env[variable.name] = String(named<DataObject>(chart, 'ConfigMap', name)?.data?.[key]);
    }
  }
  return env;
}

describe('the Helm chart (deploy/helm/wharf)', () => {
  let temp: TempDir;
  let renderer: string;
  const charts = new Map<string, RenderedChart>();
  const cases = [
    { name: 'default values', valueFiles: [] as string[], externalSecrets: [] as string[] },
    { name: 'values-s3-external.yaml', valueFiles: [S3_VALUES], externalSecrets: ['wharf-suite', 'wharf-postgres', 'wharf-redis', 'wharf-rabbitmq', 'wharf-s3', 'wharf-tls'] },
    { name: 'ci/proxy-tls-values.yaml', valueFiles: [join(CHART_DIR, 'ci/proxy-tls-values.yaml')], externalSecrets: ['wharf-proxy-tls'] },
    { name: 'ci/proxy-blob-files-values.yaml', valueFiles: [join(CHART_DIR, 'ci/proxy-blob-files-values.yaml')], externalSecrets: [] as string[] },
  ];

  beforeAll(async () => {
    temp = await createTempDir('deploy-chart');
    renderer = await buildChartRenderer(temp.path);
    for (const { name, valueFiles } of cases) charts.set(name, await renderChart(renderer, CHART_DIR, { valueFiles }));
  });
  afterAll(async () => {
    await temp?.remove();
  });

  for (const { name, externalSecrets } of cases) {
    describe(name, () => {
      const chart = (): RenderedChart => charts.get(name)!;

      it('renders every template, and every manifest passes the Kubernetes schemas, unknown fields included', () => {
        const templates = readdirSync(join(CHART_DIR, 'templates')).filter((file) => !file.startsWith('_') && file !== 'NOTES.txt');
        const rendered = new Set(chart().manifests.map((m) => m.source.replace('wharf/templates/', '')));
        const expectedEmpty = name === 'values-s3-external.yaml' ? ['pvc.yaml', 'secret.yaml'] : [];
        expect([...rendered].sort()).toEqual(templates.filter((t) => !expectedEmpty.includes(t)).sort());
        expect(schemaErrors(chart().manifests)).toEqual([]);
        expect(strictFieldErrors(chart().manifests)).toEqual([]);
        expect(chart().notes).toContain('docker login');
      });

      it('runs one Deployment and one Service per service, non-root, with /healthz and /readyz probes', () => {
        const deployments = objectsOf<DeploymentObject>(chart(), 'Deployment');
        expect(deployments.map((d) => d.spec.selector.matchLabels[COMPONENT]).sort()).toEqual([...NODE_SERVICES].sort());
        expect(objectsOf(chart(), 'Service').map((s) => s.metadata.labels?.[COMPONENT]).sort()).toEqual([...NODE_SERVICES].sort());
        for (const component of NODE_SERVICES) {
          const deployment = deploymentOf(chart(), component);
          const { spec } = deployment.spec.template;
          expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
          expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
          expect(spec.containers).toHaveLength(1);
          const container = containerOf(deployment);
          expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
          expect(container.livenessProbe.httpGet.path).toBe('/healthz');
          expect(container.readinessProbe.httpGet.path).toBe('/readyz');
          expect(container.resources.requests).toBeDefined();
          expect(container.image).toMatch(new RegExp(`/${component}:[\\w.-]+$`));
          expect(container.ports.map((p) => p.name)).toContain(container.readinessProbe.httpGet.port);
          const env = containerEnvironment(chart(), container);
          expect(container.ports.find((p) => p.name === 'http')?.containerPort).toBe(Number(env[`${SERVICES[component].prefix}_HTTP_PORT`]));
        }
      });

      it("gives each service an environment that the service's own configuration schema accepts", () => {
        for (const component of NODE_SERVICES) {
          const env = containerEnvironment(chart(), containerOf(deploymentOf(chart(), component)));
          expect(() => SERVICES[component].check(env), component).not.toThrow();
          expect(Object.values(env).join('\n'), `${component}: every $(VAR) expands`).not.toMatch(/\$\(/);
        }
      });

      it('connects its objects: Services select pods, the Ingress reaches the proxy, volumes and Secrets exist', () => {
        const deployments = objectsOf<DeploymentObject>(chart(), 'Deployment');
        for (const service of objectsOf<ServiceObject>(chart(), 'Service')) {
          const target = deployments.find((d) => Object.entries(service.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v));
          expect(target, service.metadata.name).toBeDefined();
          const portNames = containerOf(target!).ports.map((p) => p.name);
          for (const port of service.spec.ports) expect(portNames).toContain(port.targetPort);
        }
        const [ingress] = objectsOf<IngressObject>(chart(), 'Ingress');
        const rule = ingress!.spec.rules[0]!;
        const backend = rule.http.paths[0]!.backend.service;
        const proxyService = named<ServiceObject>(chart(), 'Service', backend.name)!;
        expect(proxyService.metadata.labels?.[COMPONENT]).toBe('proxy');
        expect(proxyService.spec.ports.map((p) => p.name)).toContain(backend.port.name);
        const proxyEnv = containerEnvironment(chart(), containerOf(deploymentOf(chart(), 'proxy')));
        const proxyTls = proxyEnv.PROXY_TLS_CERT_FILE !== undefined;
        expect(backend.port.name).toBe(proxyTls ? 'https' : 'http');
        expect(proxyEnv.PROXY_EXTERNAL_URL).toBe(`${ingress!.spec.tls || proxyTls ? 'https' : 'http'}://${rule.host}`);

        for (const deployment of deployments) {
          const { spec } = deployment.spec.template;
          const volumes = new Map(spec.volumes.map((v) => [v.name, v]));
          for (const mount of containerOf(deployment).volumeMounts) expect(volumes.has(mount.name), mount.name).toBe(true);
          for (const volume of volumes.values()) {
            if (volume.secret && !externalSecrets.includes(volume.secret.secretName)) {
              const data = secretData(chart(), volume.secret.secretName);
              expect(data, volume.secret.secretName).toBeDefined();
              for (const item of volume.secret.items ?? []) expect(Object.keys(data!)).toContain(item.key);
            }
            if (volume.persistentVolumeClaim) expect(named(chart(), 'PersistentVolumeClaim', volume.persistentVolumeClaim.claimName)).toBeDefined();
          }
          for (const variable of containerOf(deployment).env ?? []) {
            const ref = variable.valueFrom?.secretKeyRef;
            if (ref && !externalSecrets.includes(ref.name)) expect(named(chart(), 'Secret', ref.name), `${variable.name}: ${ref.name}`).toBeDefined();
          }
        }
        const core = containerOf(deploymentOf(chart(), 'core'));
        const keyFile = containerEnvironment(chart(), core).CORE_TOKEN_PRIVATE_KEY_FILE!;
        expect(
          core.volumeMounts.some((m) => keyFile.startsWith(`${m.mountPath}/`)),
          'the token key file is on a mounted volume',
        ).toBe(true);
        // core reaches jobservice through its Service; jobservice shares core's secret and reaches RabbitMQ.
        const coreEnv = containerEnvironment(chart(), core);
        const jobservice = containerOf(deploymentOf(chart(), 'jobservice'));
        const jobserviceEnv = containerEnvironment(chart(), jobservice);
        const jobserviceService = named<ServiceObject>(chart(), 'Service', new URL(coreEnv.CORE_JOBSERVICE_URL!).hostname)!;
        expect(jobserviceService.metadata.labels?.[COMPONENT]).toBe('jobservice');
        expect(jobserviceEnv.JOBSERVICE_SECRET).toBe(coreEnv.CORE_SECRET);
        expect(new URL(jobserviceEnv.AMQP_URL!).protocol).toBe('amqp:');
        expect(jobservice.volumeMounts.map((m) => m.mountPath)).toContain(jobserviceEnv.JOBSERVICE_LOG_DIR);
        const adapterEnv = containerEnvironment(chart(), containerOf(deploymentOf(chart(), 'adapter')));
        expect(named<ServiceObject>(chart(), 'Service', new URL(coreEnv.CORE_ADAPTER_URL!).hostname)?.metadata.labels?.[COMPONENT]).toBe('adapter');
        expect(jobserviceEnv.JOBSERVICE_ADAPTER_URL).toBe(coreEnv.CORE_ADAPTER_URL);
        expect(adapterEnv.ADAPTER_SECRET).toBe(coreEnv.CORE_SECRET);
        expect(coreEnv.CORE_ENCRYPTION_KEY!.length).toBeGreaterThanOrEqual(32);
      });
    });
  }

  it('has validators that catch broken manifests (a misspelt field, a wrong type, a missing field, an unknown kind)', () => {
    const chart = charts.get('default values')!;
    const source = chart.manifests.find((m) => m.object.kind === 'Deployment')!;
    const broken = (change: (object: DeploymentObject) => void): RenderedManifest => {
      const object = structuredClone(source.object) as DeploymentObject;
      change(object);
      return { ...source, object };
    };
    const misspelt = broken((o) => {
      const container = containerOf(o) as unknown as Record<string, unknown>;
      container.readinesProbe = container.readinessProbe;
      delete container.readinessProbe;
    });
    expect(strictFieldErrors([misspelt]).join('\n')).toMatch(/readinesProbe\W+ does not exist in type 'IContainer'/);
    const wrongType = broken((o) => {
      (o.spec as { replicas: unknown }).replicas = 'two';
    });
    expect(schemaErrors([wrongType]).join('\n')).toMatch(/replicas/);
    const missing = broken((o) => {
      delete (o.spec as Partial<DeploymentObject['spec']>).selector;
    });
    expect(schemaErrors([missing]).join('\n')).toMatch(/selector/);
    const unknownKind = broken((o) => {
      o.kind = 'Deploymnet';
    });
    expect(schemaErrors([unknownKind]).join('\n')).toContain('no schema for this kind');
  });

  it('default values: makes the suite secrets, with a token key core can sign with', async () => {
    const chart = charts.get('default values')!;
    const [secret] = objectsOf(chart, 'Secret');
    const data = secretData(chart, secret!.metadata.name)!;
    expect(data['admin-password']!.length).toBeGreaterThanOrEqual(8);
    expect(data.secret!.length).toBeGreaterThanOrEqual(16);
    const key = await signingKeyFromPem(data['token.key']!);
    expect(key.algorithm).toBe('ES256');
    const [claim] = objectsOf<ClaimObject>(chart, 'PersistentVolumeClaim');
    expect(claim!.spec.accessModes).toEqual(['ReadWriteOnce']);
    const registry = deploymentOf(chart, 'registry-facade');
    expect(registry.spec.strategy).toEqual({ type: 'Recreate' });
    expect(registry.spec.template.spec.volumes.map((v) => v.name)).toContain('blobs');
  });

  it('values-s3-external.yaml: blobs in S3, credentials and passwords from existing Secrets', () => {
    const chart = charts.get('values-s3-external.yaml')!;
    expect(objectsOf(chart, 'PersistentVolumeClaim')).toEqual([]);
    const registry = deploymentOf(chart, 'registry-facade');
    const container = containerOf(registry);
    const env = containerEnvironment(chart, container);
    expect(env).toMatchObject({ REGISTRY_STORAGE_DRIVER: 's3', REGISTRY_STORAGE_S3_BUCKET: 'wharf-blobs', REGISTRY_STORAGE_S3_FORCE_PATH_STYLE: 'true' });
    expect(registry.spec.replicas).toBe(3);
    const refs = (container.env ?? []).filter((v) => v.valueFrom?.secretKeyRef).map((v) => `${v.name}=${v.valueFrom!.secretKeyRef!.name}`);
    expect(refs.sort()).toEqual(
      ['REGISTRY_NOTIFICATIONS_SECRET=wharf-suite', 'WHARF_DATABASE_PASSWORD=wharf-postgres', 'REGISTRY_STORAGE_S3_ACCESS_KEY=wharf-s3', 'REGISTRY_STORAGE_S3_SECRET_KEY=wharf-s3'].sort(),
    );
    expect(env.DATABASE_URL).toBe(`postgres://wharf:${EXTERNAL_SECRET_VALUE}@postgres.db.example.com:5432/wharf?sslmode=require`);
  });

  it('refuses values it cannot deploy, saying why', async () => {
    const refusals: [string, string][] = [
      ['storage:\n  type: nfs\n', 'storage.type must be filesystem or s3'],
      ['storage:\n  type: s3\n', 'storage.s3.bucket is required'],
      ['registryFacade:\n  replicas: 2\n', 'registryFacade.replicas > 1 needs'],
      ['ingress:\n  enabled: false\n', 'set externalURL'],
      ['admin:\n  password: short\n', 'admin.password must have 8 characters or more'],
      ['proxy:\n  registryRoute: elsewhere\n', 'proxy.registryRoute must be core or registry'],
      ['proxy:\n  blobFilesFromClaim: true\n', 'proxy.blobFilesFromClaim needs storage.filesystem.accessMode=ReadWriteMany'],
      ['storage:\n  type: s3\n  s3:\n    bucket: b\n    region: r\nproxy:\n  blobFilesFromClaim: true\n', 'proxy.blobFilesFromClaim needs storage.type=filesystem'],
    ];
    for (const [values, message] of refusals) {
      const file = join(temp.path, 'refused.yaml');
      await writeFile(file, values);
      expect(await renderChartError(renderer, CHART_DIR, [file]), values).toContain(message);
    }
  });

  it('coalesces values files as helm does: later files win, maps merge, null deletes a key', async () => {
    const first = join(temp.path, 'first.yaml');
    const second = join(temp.path, 'second.yaml');
    await writeFile(first, 'core:\n  replicas: 4\nproxy:\n  podAnnotations:\n    a: "1"\n');
    await writeFile(second, 'core:\n  replicas: 5\ningress:\n  annotations: null\n');
    const chart = await renderChart(renderer, CHART_DIR, { valueFiles: [first, second] });
    expect(deploymentOf(chart, 'core').spec.replicas).toBe(5);
    expect(deploymentOf(chart, 'proxy').spec.template.metadata.annotations?.a).toBe('1');
    expect(deploymentOf(chart, 'proxy').spec.replicas).toBe(2);
    expect(objectsOf(chart, 'Ingress')[0]!.metadata.annotations).toBeUndefined();
  });
});
