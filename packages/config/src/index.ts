export { loadConfig, ConfigError, type RawEnv, type LoadConfigOptions } from './load-config.js';
export { Secret, isSecret } from './secret.js';
export { port, url, duration, byteSize, bool, secret, logLevel } from './fragments.js';
