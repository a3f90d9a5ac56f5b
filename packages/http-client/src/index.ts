export { backoffCeiling, backoffDelay, type BackoffPolicy } from './backoff.js';
export { isConnectionRefused, readBody, serviceCallError, ServiceCallError, ServiceUnavailableError } from './service-errors.js';
export { ServiceClient, type CallOptions, type JsonCallOptions, type RetryPolicy, type ServiceClientOptions } from './service-client.js';
export { CoreClient, coreClient, type HookAnswer } from './clients/core.client.js';
export { RegistryFacadeClient, registryClient, type RegistryCallOptions } from './clients/registry.client.js';
export { JobserviceClient, jobserviceClient, jobServiceError, type JobLaunch } from './clients/jobservice.client.js';
export { AdapterClient, adapterClient, adapterError } from './clients/adapter.client.js';
