export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

/**
 * A small client of Wharf's Harbor API (and token service) for tests. Every call returns
 * the raw status, headers and parsed body; nothing is retried or hidden.
 */
export class HarborClient {
  readonly baseUrl: string;
  readonly #authorization: string | undefined;
  readonly #headers: Record<string, string>;

  constructor(baseUrl: string, options: { username?: string; password?: string; headers?: Record<string, string> } = {}) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.#authorization =
      options.username !== undefined ? `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}` : undefined;
    this.#headers = options.headers ?? {};
  }

  /** The same client signed in as someone else (Basic auth). */
  as(username: string, password: string): HarborClient {
    return new HarborClient(this.baseUrl, { username, password });
  }

  anonymous(): HarborClient {
    return new HarborClient(this.baseUrl);
  }

  async request<T = unknown>(method: string, path: string, options: { json?: unknown; form?: Record<string, string | string[]>; headers?: Record<string, string> } = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...this.#headers, ...options.headers };
    if (this.#authorization && !headers.Authorization) headers.Authorization = this.#authorization;
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(options.form)) for (const item of Array.isArray(value) ? value : [value]) params.append(key, item);
      body = params.toString();
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body, redirect: 'manual' });
    const text = await response.text();
    let parsed: unknown = text;
    if (text && (response.headers.get('content-type') ?? '').includes('json')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: response.status, headers: response.headers, text, body: parsed as T };
  }

  get<T = unknown>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', `/api/v2.0${path}`, { headers });
  }

  post<T = unknown>(path: string, json?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', `/api/v2.0${path}`, { json, headers });
  }

  put<T = unknown>(path: string, json?: unknown) {
    return this.request<T>('PUT', `/api/v2.0${path}`, { json });
  }

  patch<T = unknown>(path: string, json?: unknown) {
    return this.request<T>('PATCH', `/api/v2.0${path}`, { json });
  }

  delete<T = unknown>(path: string) {
    return this.request<T>('DELETE', `/api/v2.0${path}`);
  }

  /** Creates a user (as a system admin) and returns its id. */
  async createUser(username: string, password: string, extra: { email?: string; realname?: string } = {}): Promise<number> {
    const created = await this.post('/users', { username, password, email: extra.email ?? `${username}@example.com`, realname: extra.realname ?? username });
    if (created.status !== 201) throw new Error(`creating user ${username} answered ${created.status}: ${created.text}`);
    return Number(created.headers.get('location')!.split('/').pop());
  }

  /** Creates a project and returns its id. */
  async createProject(name: string, options: { public?: boolean; metadata?: Record<string, string> } = {}): Promise<number> {
    const created = await this.post('/projects', { project_name: name, metadata: { public: String(options.public ?? false), ...options.metadata } });
    if (created.status !== 201) throw new Error(`creating project ${name} answered ${created.status}: ${created.text}`);
    return Number(created.headers.get('location')!.split('/').pop());
  }

  async addMember(project: string, username: string, roleId: number): Promise<void> {
    const added = await this.post(`/projects/${project}/members`, { role_id: roleId, member_user: { username } });
    if (added.status !== 201) throw new Error(`adding ${username} to ${project} answered ${added.status}: ${added.text}`);
  }

  /** Creates a robot account and returns its full name and secret. */
  async createRobot(body: Record<string, unknown>): Promise<{ id: number; name: string; secret: string }> {
    const created = await this.post<{ id: number; name: string; secret: string }>('/robots', body);
    if (created.status !== 201) throw new Error(`creating robot answered ${created.status}: ${created.text}`);
    return created.body;
  }

  /** A registry token from the Docker token service for these scopes (as this client's identity). */
  async token(scopes: readonly string[], options: { offline?: boolean; service?: string } = {}): Promise<ApiResponse<{ token: string; access_token: string; refresh_token?: string; expires_in: number }>> {
    const query = new URLSearchParams({ service: options.service ?? 'harbor-registry' });
    for (const scope of scopes) query.append('scope', scope);
    if (options.offline) query.set('offline_token', 'true');
    return this.request('GET', `/service/token?${query.toString()}`);
  }
}
