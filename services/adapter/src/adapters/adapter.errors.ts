/** A foreign registry answered with an error status; `path` carries no query string (no presigned URLs). */
export class RemoteRegistryError extends Error {
  readonly status: number;
  readonly method: string;
  readonly path: string;
  readonly code: string | undefined;

  constructor(options: { status: number; method: string; path: string; code?: string; message?: string }) {
    super(options.message ?? `${options.method} ${options.path} answered ${options.status}${options.code ? ` (${options.code})` : ''}`);
    this.name = 'RemoteRegistryError';
    this.status = options.status;
    this.method = options.method;
    this.path = options.path;
    this.code = options.code;
  }

  get notFound(): boolean {
    return this.status === 404;
  }

  get denied(): boolean {
    return this.status === 401 || this.status === 403;
  }

  /** Worth another attempt: throttling, server trouble, a timeout. */
  get transient(): boolean {
    return this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

/** The registry could not be reached at all (connection refused, DNS, TLS, timeout). */
export class RegistryUnreachableError extends Error {
  readonly url: string;
  constructor(url: string, cause: unknown) {
    super(`cannot reach ${url}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'RegistryUnreachableError';
    this.url = url;
  }
}

/** No adapter is registered for this registry type. */
export class UnknownAdapterTypeError extends Error {
  readonly type: string;
  constructor(type: string) {
    super(`no adapter for registry type ${JSON.stringify(type)}`);
    this.name = 'UnknownAdapterTypeError';
    this.type = type;
  }
}

/** The adapter lacks a capability the operation needs (a source that cannot list, a sink that cannot push). */
export class CapabilityMissingError extends Error {
  readonly type: string;
  readonly capability: string;
  constructor(type: string, capability: string) {
    super(`registry type ${type} cannot act as ${capability}`);
    this.name = 'CapabilityMissingError';
    this.type = type;
    this.capability = capability;
  }
}

/** The registry answered something that is not the protocol (a manifest without a digest, a bad challenge). */
export class RegistryProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryProtocolError';
  }
}

/** The registry refuses an operation it does not implement (distribution 2.x deleting a manifest by tag); retrying will not help. */
export class OperationUnsupportedError extends Error {
  readonly type: string;
  readonly operation: string;
  constructor(type: string, operation: string, cause?: unknown) {
    super(`${operation} is not supported by this ${type} registry`, { cause });
    this.name = 'OperationUnsupportedError';
    this.type = type;
    this.operation = operation;
  }
}
