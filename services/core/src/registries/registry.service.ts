import type { AdapterPatternV1, RegistryInfoV1, RegistryEndpointV1Input } from '@wharf/contracts';
import type { Secret } from '@wharf/config';
import type { Logger } from '@wharf/logging';
import type { ListQuery } from '../listing/list-query.js';
import { ForbiddenError, UnauthenticatedError } from '../rbac/access.errors.js';
import { isSysadmin, type Principal } from '../rbac/principal.js';
import type { AdapterClient } from '../replication/adapter.client.js';
import type { CredentialCipher } from './credential-cipher.js';
import { RegistryExistsError, RegistryInUseError, RegistryInvalidError, RegistryNotFoundError, RegistryUnhealthyError } from './registry.errors.js';
import type { RegistryFields, RegistryEndpointStore, StoredRegistry } from './registry-endpoint.store.js';
import { MASK, type Registry, type RegistryCreate, type RegistryCredential, type RegistryPing, type RegistryUpdate } from './registry.schemas.js';

export interface RegistryServiceDeps {
  registries: RegistryEndpointStore;
  cipher: CredentialCipher;
  adapter: AdapterClient;
  /** The local Wharf as a replication side: core's internal URL (or CORE_LOCAL_REGISTRY_URL). */
  localUrl: string;
  /**
   * Where the local side's blobs are read and written: registry-facade, which verifies the
   * tokens core issues itself; manifests still go through core's /v2 gate at `localUrl`.
   */
  localBlobUrl?: string;
  /** The suite secret, the local side's credential (Harbor's `secret` credential type). */
  secret: Secret;
  logger: Logger;
}

/** Only system admins manage registries and replication, as in Harbor. */
export function requireSysadmin(principal: Principal, what: string): void {
  if (isSysadmin(principal)) return;
  throw principal.kind === 'anonymous' ? new UnauthenticatedError() : new ForbiddenError(`only system admins may ${what}`);
}

/** Harbor's URL rule: https:// unless a scheme is given, no trailing slash. */
export function normaliseRegistryUrl(raw: string): string {
  const trimmed = raw.trim().replace(/\/+$/, '');
  const withScheme = /^https?:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw new RegistryInvalidError(`invalid url ${JSON.stringify(raw)}`);
  }
  if (!parsed.hostname) throw new RegistryInvalidError(`invalid url ${JSON.stringify(raw)}`);
  if (parsed.username || parsed.password) throw new RegistryInvalidError('put credentials in the credential, not in the url');
  return withScheme;
}

function credentialOf(type: string | null | undefined, accessKey: string | null | undefined, accessSecret: string | null | undefined): RegistryCredential | null {
  if (type === 'oauth') throw new RegistryInvalidError('the oauth credential type is not supported; use basic or secret');
  if (!accessKey && !accessSecret) return null;
  return { type: type === 'secret' ? 'secret' : 'basic', accessKey: accessKey ?? '', accessSecret: accessSecret ?? '' };
}

/** Registry endpoints (Harbor's registry controller): stored with their credential encrypted, reached through the adapter service. */
export class RegistryService {
  readonly #deps: RegistryServiceDeps;

  constructor(deps: RegistryServiceDeps) {
    this.#deps = deps;
  }

  /** Harbor's registry id 0: this Wharf, reached by the adapter's `harbor` type with the suite secret. */
  local(): Registry {
    return {
      id: 0,
      name: 'Local',
      type: 'harbor',
      url: this.#deps.localUrl,
      description: '',
      credential: { type: 'secret', accessKey: '', accessSecret: this.#deps.secret.reveal() },
      insecure: true,
      caCertificate: null,
      status: 'healthy',
      creationTime: new Date(0),
      updateTime: new Date(0),
    };
  }

  /** The registry as the adapter service and the job receive it, credential decrypted. */
  wire(registry: Registry): RegistryEndpointV1Input {
    return {
      type: registry.type,
      url: registry.url,
      ...(registry.credential ? { credential: { type: registry.credential.type, access_key: registry.credential.accessKey, access_secret: registry.credential.accessSecret } } : {}),
      insecure: registry.insecure,
      ...(registry.caCertificate ? { ca_certificate: registry.caCertificate } : {}),
      ...(registry.id === 0 && this.#deps.localBlobUrl ? { blob_url: this.#deps.localBlobUrl } : {}),
    };
  }

  async list(principal: Principal, query: ListQuery, name?: string): Promise<{ items: Registry[]; total: number }> {
    requireSysadmin(principal, 'list registries');
    const page = await this.#deps.registries.list(query, name);
    return { items: page.items.map((stored) => this.#open(stored)), total: page.total };
  }

  async get(principal: Principal, id: number): Promise<Registry> {
    requireSysadmin(principal, 'see registries');
    return this.require(id);
  }

  /** A registry by id for the replication code (no access check); 0 is the local Wharf. */
  async require(id: number): Promise<Registry> {
    if (id === 0) return this.local();
    const stored = await this.#deps.registries.findById(id);
    if (!stored) throw new RegistryNotFoundError(id);
    return this.#open(stored);
  }

  async create(principal: Principal, input: RegistryCreate): Promise<Registry> {
    requireSysadmin(principal, 'create registries');
    const url = normaliseRegistryUrl(input.url);
    await this.#checkType(input.type);
    const credential = credentialOf(input.credential?.type, input.credential?.access_key, input.credential?.access_secret);
    const created = await this.#deps.registries.create(
      this.#fields({ name: input.name, type: input.type, url, description: input.description ?? '', credential, insecure: input.insecure ?? false, caCertificate: input.ca_certificate ?? null }),
    );
    if (!created) throw new RegistryExistsError(input.name);
    this.#deps.logger.info('registry created', { registryId: created.id, name: created.name, type: created.type });
    return this.#open(created);
  }

  async update(principal: Principal, id: number, input: RegistryUpdate): Promise<Registry> {
    requireSysadmin(principal, 'change registries');
    const current = await this.require(id);
    if (id === 0) throw new RegistryNotFoundError(id);
    const next = this.#merged(current, input);
    const updated = await this.#deps.registries.update(id, this.#fields({ ...next, name: input.name ?? current.name, description: input.description ?? current.description }));
    if (updated === 'missing') throw new RegistryNotFoundError(id);
    if (updated === 'name_taken') throw new RegistryExistsError(input.name ?? current.name);
    this.#deps.logger.info('registry updated', { registryId: id });
    return this.#open(updated);
  }

  async delete(principal: Principal, id: number): Promise<void> {
    requireSysadmin(principal, 'delete registries');
    const outcome = await this.#deps.registries.delete(id);
    if (outcome === 'missing') throw new RegistryNotFoundError(id);
    if (outcome === 'in_use') throw new RegistryInUseError(id);
    this.#deps.logger.info('registry deleted', { registryId: id });
  }

  /** `POST /registries/ping`: healthy or RegistryUnhealthyError; an existing registry's settings overridden by the body's. */
  async ping(principal: Principal, input: RegistryPing): Promise<void> {
    requireSysadmin(principal, 'ping registries');
    let registry: Registry;
    if (input.id !== undefined && input.id !== null) {
      registry = this.#merged(await this.require(input.id), input);
    } else {
      if (!input.type) throw new RegistryInvalidError('type is required');
      if (!input.url) throw new RegistryInvalidError('url is required');
      const base = { ...this.local(), id: -1, name: '', type: input.type, credential: null, insecure: false, status: '' };
      registry = this.#merged(base, input);
    }
    const health = await this.#deps.adapter.health(this.wire(registry));
    if (registry.id > 0 && input.url === undefined && input.access_key === undefined && input.access_secret === undefined) {
      await this.#deps.registries.setStatus(registry.id, health.status);
    }
    if (health.status !== 'healthy') throw new RegistryUnhealthyError(health.detail ?? '');
  }

  /** `GET /registries/{id}/info`: the registry's filters and triggers (Harbor's RegistryInfoV1). */
  async info(principal: Principal, id: number): Promise<RegistryInfoV1> {
    requireSysadmin(principal, 'see registries');
    return this.#deps.adapter.info(this.wire(await this.require(id)));
  }

  /** `GET /replication/adapters`: the registry types the adapter service supports. */
  async adapterTypes(principal: Principal): Promise<string[]> {
    requireSysadmin(principal, 'list replication adapters');
    return (await this.#deps.adapter.adapters()).map((a) => a.type).sort();
  }

  /** `GET /replication/adapterinfos`: each type's endpoint and credential pattern. */
  async adapterInfos(principal: Principal): Promise<Record<string, AdapterPatternV1>> {
    requireSysadmin(principal, 'list replication adapters');
    const infos: Record<string, AdapterPatternV1> = {};
    for (const adapter of await this.#deps.adapter.adapters()) if (adapter.pattern) infos[adapter.type] = adapter.pattern;
    return infos;
  }

  async #checkType(type: string): Promise<void> {
    const types = (await this.#deps.adapter.adapters()).map((a) => a.type);
    if (!types.includes(type)) throw new RegistryInvalidError(`unsupported registry type ${JSON.stringify(type)}; supported: ${types.join(', ')}`);
  }

  #merged(current: Registry, input: RegistryPing | RegistryUpdate): Registry {
    const keep = (value: string | null | undefined, existing: string) => (value === undefined || value === null || value === MASK ? existing : value);
    const type = (input as RegistryPing).type ?? current.type;
    const credentialType = input.credential_type ?? current.credential?.type;
    const credential = credentialOf(credentialType, keep(input.access_key, current.credential?.accessKey ?? ''), keep(input.access_secret, current.credential?.accessSecret ?? ''));
    return {
      ...current,
      type,
      url: input.url ? normaliseRegistryUrl(input.url) : current.url,
      credential,
      insecure: input.insecure ?? current.insecure,
      caCertificate: input.ca_certificate === undefined ? current.caCertificate : input.ca_certificate,
    };
  }

  #fields(registry: Pick<Registry, 'name' | 'type' | 'url' | 'description' | 'credential' | 'insecure' | 'caCertificate'>): RegistryFields {
    const { credential } = registry;
    return {
      name: registry.name,
      type: registry.type,
      url: registry.url,
      description: registry.description,
      credentialType: credential?.type ?? null,
      credentialSealed: credential ? this.#deps.cipher.encrypt(JSON.stringify({ access_key: credential.accessKey, access_secret: credential.accessSecret })) : null,
      insecure: registry.insecure,
      caCertificate: registry.caCertificate,
    };
  }

  #open(stored: StoredRegistry): Registry {
    let credential: RegistryCredential | null = null;
    if (stored.credentialType && stored.credentialSealed) {
      const opened = JSON.parse(this.#deps.cipher.decrypt(stored.credentialSealed)) as { access_key?: string; access_secret?: string };
      credential = { type: stored.credentialType, accessKey: opened.access_key ?? '', accessSecret: opened.access_secret ?? '' };
    }
    return {
      id: stored.id,
      name: stored.name,
      type: stored.type,
      url: stored.url,
      description: stored.description,
      credential,
      insecure: stored.insecure,
      caCertificate: stored.caCertificate,
      status: stored.status,
      creationTime: stored.creationTime,
      updateTime: stored.updateTime,
    };
  }
}
