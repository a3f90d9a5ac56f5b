export { describeExampleConfigs } from './example-configs.js';
