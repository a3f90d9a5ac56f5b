export { errorCodes, isErrorCode, type ErrorCode } from './codes.js';
export { ApiError, apiError, type ApiErrorOptions, type ErrorBody } from './api-error.js';
export { toEnvelope, parseEnvelope, type ErrorEnvelope } from './envelope.js';
