import { describe, expect, it } from 'vitest';
import { Secret } from '@wharf/config';
import { AesGcmCredentialCipher, CredentialUnreadableError } from './credential-cipher.js';
import { registryView, type Registry } from './registry.schemas.js';

const cipher = new AesGcmCredentialCipher({ key: new Secret('a-key-of-at-least-thirty-two-characters') });

describe('registry credentials at rest', () => {
  it('round-trips a value, with a fresh IV each time and no plaintext in the sealed form', () => {
    const sealed = cipher.encrypt('{"access_key":"alice","access_secret":"hunter2"}');
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('hunter2');
    expect(cipher.encrypt('same')).not.toBe(cipher.encrypt('same'));
    expect(cipher.decrypt(sealed)).toBe('{"access_key":"alice","access_secret":"hunter2"}');
  });

  it('refuses a value sealed with another key, tampered with, or for another purpose', () => {
    const sealed = cipher.encrypt('secret');
    expect(() => new AesGcmCredentialCipher({ key: new Secret('another-key-of-at-least-thirty-two-chars') }).decrypt(sealed)).toThrow(CredentialUnreadableError);
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[3]!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => cipher.decrypt([parts[0], parts[1], parts[2], flipped.toString('base64url')].join('.'))).toThrow(CredentialUnreadableError);
    expect(() => new AesGcmCredentialCipher({ key: new Secret('a-key-of-at-least-thirty-two-characters'), purpose: 'other' }).decrypt(sealed)).toThrow(CredentialUnreadableError);
    expect(() => cipher.decrypt('plaintext')).toThrow(CredentialUnreadableError);
  });
});

describe('the registry view', () => {
  const registry: Registry = {
    id: 3,
    name: 'hub',
    type: 'docker-hub',
    url: 'https://hub.docker.com',
    description: '',
    credential: { type: 'basic', accessKey: 'alice', accessSecret: 'hunter2' },
    insecure: false,
    caCertificate: null,
    status: 'healthy',
    creationTime: new Date('2024-01-01T00:00:00Z'),
    updateTime: new Date('2024-01-02T00:00:00Z'),
  };

  it("masks the credential's key and secret, and never contains them", () => {
    const view = registryView(registry);
    expect(view.credential).toEqual({ type: 'basic', access_key: '*****', access_secret: '*****' });
    expect(JSON.stringify(view)).not.toMatch(/alice|hunter2/);
  });

  it('omits the credential of an anonymous registry', () => {
    expect(registryView({ ...registry, credential: null })).not.toHaveProperty('credential');
  });
});
