export { isConnectionRefused, readBody, ServiceClient, ServiceUnavailableError, type RetryPolicy, type ServiceClientOptions } from './service-client.js';
