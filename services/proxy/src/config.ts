import { duration, logLevel, port, secret, url } from '@wharf/config';
import { z } from 'zod';

/** A comma-separated list of absolute http(s) URLs (the replicas of one upstream). */
const urlList = () =>
  z
    .string()
    .transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean))
    .pipe(z.array(url()).min(1, { message: 'must name at least one URL' }));

/** The proxy's configuration: environment variables (or a YAML file of the same names named by CONFIG_FILE). */
export const configSchema = z
  .object({
    LOG_LEVEL: logLevel().default('info'),
    LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
    PROXY_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
    /** Plain HTTP; with TLS on it only redirects to HTTPS. */
    PROXY_HTTP_PORT: port().default(8080),
    PROXY_HTTPS_PORT: port().default(8443),
    PROXY_TLS_CERT_FILE: z.string().min(1).optional(),
    PROXY_TLS_KEY_FILE: z.string().min(1).optional(),
    /** The address users and clients reach Wharf at. */
    PROXY_EXTERNAL_URL: url().default('http://127.0.0.1:8080'),
    /** core's address (one replica); PROXY_CORE_URLS lists several. */
    PROXY_CORE_URL: url().optional(),
    /** core's replicas, comma-separated: balanced round-robin over the healthy ones. */
    PROXY_CORE_URLS: urlList().optional(),
    PROXY_REGISTRY_URL: url().optional(),
    /** registry-facade's replicas, comma-separated. */
    PROXY_REGISTRY_URLS: urlList().optional(),
    /** How often each replica's /readyz is checked when an upstream has several. */
    PROXY_HEALTH_CHECK_INTERVAL: duration().prefault('1s'),
    /**
     * Where blob traffic goes: straight to `registry`-facade once core's /v2 gate has judged
     * the request line (the bytes cross one Node hop fewer), or through `core`.
     */
    PROXY_REGISTRY_ROUTE: z.enum(['core', 'registry']).default('registry'),
    /** The suite's shared secret, for core's registry access checks (route `registry`). */
    PROXY_CORE_SECRET: secret(16).optional(),
    /**
     * registry-facade's filesystem storage root as this process sees it, when both share the
     * disk (one host, or the same volume): blob downloads are then read from disk here, the
     * facade answering only their head. Unset: the bytes are relayed from the facade.
     */
    PROXY_BLOB_FILES_ROOT: z.string().min(1).optional(),
    PROXY_SHUTDOWN_TIMEOUT: duration().prefault('30s'),
  })
  .superRefine((env, ctx) => {
    for (const name of ['CORE', 'REGISTRY'] as const) {
      if (env[`PROXY_${name}_URL`] && env[`PROXY_${name}_URLS`]) {
        ctx.addIssue({ code: 'custom', path: [`PROXY_${name}_URLS`], message: `set PROXY_${name}_URL (one address) or PROXY_${name}_URLS (a list), not both` });
      }
    }
    if (!env.PROXY_TLS_CERT_FILE !== !env.PROXY_TLS_KEY_FILE) {
      ctx.addIssue({ code: 'custom', path: ['PROXY_TLS_CERT_FILE'], message: 'set both PROXY_TLS_CERT_FILE and PROXY_TLS_KEY_FILE, or neither' });
    }
    if (env.PROXY_REGISTRY_ROUTE === 'registry' && !env.PROXY_CORE_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['PROXY_CORE_SECRET'], message: "required when PROXY_REGISTRY_ROUTE is 'registry' (the default); or set PROXY_REGISTRY_ROUTE=core" });
    }
  })
  .transform((env) => ({
    log: { level: env.LOG_LEVEL, format: env.LOG_FORMAT },
    http: { host: env.PROXY_HTTP_HOST, port: env.PROXY_HTTP_PORT },
    tls: env.PROXY_TLS_CERT_FILE && env.PROXY_TLS_KEY_FILE ? { certFile: env.PROXY_TLS_CERT_FILE, keyFile: env.PROXY_TLS_KEY_FILE, port: env.PROXY_HTTPS_PORT } : undefined,
    externalUrl: env.PROXY_EXTERNAL_URL.replace(/\/+$/, ''),
    upstreams: {
      core: (env.PROXY_CORE_URLS ?? [env.PROXY_CORE_URL ?? 'http://127.0.0.1:8081']).map((value) => value.replace(/\/+$/, '')),
      registry: (env.PROXY_REGISTRY_URLS ?? [env.PROXY_REGISTRY_URL ?? 'http://127.0.0.1:5000']).map((value) => value.replace(/\/+$/, '')),
    },
    healthCheckIntervalMs: env.PROXY_HEALTH_CHECK_INTERVAL,
    registryRoute: env.PROXY_REGISTRY_ROUTE,
    coreSecret: env.PROXY_CORE_SECRET,
    blobFilesRoot: env.PROXY_BLOB_FILES_ROOT,
    shutdownTimeoutMs: env.PROXY_SHUTDOWN_TIMEOUT,
  }));

export type Config = z.output<typeof configSchema>;
