import type { ReadinessCheck } from '@wharf/http-kit';
import { isSysadmin, type Principal } from '../rbac/principal.js';

export interface SystemServiceDeps {
  externalUrl: string;
  projectCreationRestriction: 'everyone' | 'adminonly';
  selfRegistration: boolean;
  version: string;
  storageProvider: string;
  components: readonly ReadinessCheck[];
  now?: () => Date;
}

/** What Harbor reports about itself: version, general info, component health. */
export class SystemService {
  readonly #deps: SystemServiceDeps;

  constructor(deps: SystemServiceDeps) {
    this.#deps = deps;
  }

  /** Harbor's GeneralInfo; anonymous callers see less (as in Harbor). */
  generalInfo(principal: Principal): Record<string, unknown> {
    const base = {
      banner_message: '',
      auth_mode: 'db_auth',
      primary_auth_mode: false,
      self_registration: this.#deps.selfRegistration,
      harbor_version: this.#deps.version,
      oidc_provider_name: '',
    };
    if (principal.kind === 'anonymous') return base;
    const external = new URL(this.#deps.externalUrl);
    return {
      ...base,
      current_time: (this.#deps.now?.() ?? new Date()).toISOString(),
      registry_url: external.host,
      external_url: this.#deps.externalUrl,
      project_creation_restriction: this.#deps.projectCreationRestriction,
      has_ca_root: false,
      registry_storage_provider_name: isSysadmin(principal) ? this.#deps.storageProvider : '',
      read_only: false,
      notification_enable: false,
    };
  }

  /** Harbor's OverallHealthStatus: each component's state, healthy only when all are. */
  async health(): Promise<{ status: string; components: { name: string; status: string; error?: string }[] }> {
    const components = await Promise.all(
      this.#deps.components.map(async ({ name, check }) => {
        try {
          await Promise.race([check(), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), 3000).unref())]);
          return { name, status: 'healthy' };
        } catch (error) {
          return { name, status: 'unhealthy', error: (error as Error).message };
        }
      }),
    );
    return { status: components.every((c) => c.status === 'healthy') ? 'healthy' : 'unhealthy', components };
  }
}
