import { duration, logLevel, port, secret, url } from '@wharf/config';
import { z } from 'zod';

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
    PROXY_CORE_URL: url().default('http://127.0.0.1:8081'),
    PROXY_REGISTRY_URL: url().default('http://127.0.0.1:5000'),
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
    upstreams: { core: env.PROXY_CORE_URL.replace(/\/+$/, ''), registry: env.PROXY_REGISTRY_URL.replace(/\/+$/, '') },
    registryRoute: env.PROXY_REGISTRY_ROUTE,
    coreSecret: env.PROXY_CORE_SECRET,
    blobFilesRoot: env.PROXY_BLOB_FILES_ROOT,
    shutdownTimeoutMs: env.PROXY_SHUTDOWN_TIMEOUT,
  }));

export type Config = z.output<typeof configSchema>;
