export { KeyedMutex, type AcquireOptions } from './keyed-mutex.js';
