export { ensureInfrastructure, endpointOf, isReachable, InfrastructureError, type Endpoint, type InfrastructureName } from './infrastructure.js';
export { ensureDebianTools, MissingToolsError, type DebianTool } from './debian-packages.js';
export { startServiceProcess, ServiceStartError, type ServiceProcess, type ServiceProcessOptions } from './service-process.js';
export { startStack, DEVELOPMENT_ADMIN_PASSWORD, type StackOptions, type RunningStack } from './stack.js';
export { ensureStackSecrets, type StackSecrets } from './secrets.js';
export { testTools } from './test-tools.js';
export { serviceNodeOptions } from './node-options.js';
