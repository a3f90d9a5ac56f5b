export { ensureInfrastructure, endpointOf, isReachable, InfrastructureError, type Endpoint, type InfrastructureName } from './infrastructure.js';
export { ensureDebianTools, MissingToolsError, type DebianTool } from './debian-packages.js';
export { startServiceProcess, ServiceStartError, type ServiceProcess, type ServiceProcessOptions } from './service-process.js';
export { startStack, type StackOptions, type RunningStack } from './stack.js';
export { testTools } from './test-tools.js';
export { serviceNodeOptions } from './node-options.js';
