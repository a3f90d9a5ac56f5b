import { describe, expect, it } from 'vitest';
import { ApiError } from './api-error.js';
import { parseEnvelope, toEnvelope } from './envelope.js';

describe('error envelope', () => {
  it('serialises an ApiError with its registered status and message', () => {
    const error = new ApiError('BLOB_UNKNOWN').withDetail({ digest: 'sha256:abc' });
    expect(error.status).toBe(404);
    expect(toEnvelope(error)).toEqual({
      errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry', detail: { digest: 'sha256:abc' } }],
    });
  });

  it('omits detail when there is none', () => {
    expect(toEnvelope([new ApiError('NAME_INVALID')]).errors[0]).toEqual({
      code: 'NAME_INVALID',
      message: 'invalid repository name',
    });
  });

  it('parses another service error answer back into the same code and status', () => {
    const parsed = parseEnvelope(404, { errors: [{ code: 'NOT_FOUND', message: 'project x not found' }] });
    expect(parsed.code).toBe('NOT_FOUND');
    expect(parsed.status).toBe(404);
    expect(parsed.message).toBe('project x not found');
  });

  it('turns a body that is not an envelope into UNKNOWN keeping the status', () => {
    const parsed = parseEnvelope(502, '<html>bad gateway</html>');
    expect(parsed.code).toBe('UNKNOWN');
    expect(parsed.status).toBe(502);
  });

  it('keeps a status override set by a service error table', () => {
    const error = new ApiError('MANIFEST_INVALID', { status: 413, message: 'manifest too large' });
    expect(error.status).toBe(413);
    expect(error.withDetail({ limit: 1 }).status).toBe(413);
  });
});
