import { describe, expect, it } from 'vitest';
import { meetsPasswordRule, ScryptPasswordHasher } from './password-hasher.js';

describe('password hashing', () => {
  const hasher = new ScryptPasswordHasher({ logN: 10 });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hasher.hash('Correct-Horse-9');
    expect(hash).toMatch(/^scrypt\$10\$8\$1\$/);
    expect(hash).not.toContain('Correct-Horse-9');
    expect(await hasher.verify('Correct-Horse-9', hash)).toBe(true);
    expect(await hasher.verify('correct-horse-9', hash)).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hasher.hash('Same-Password-1')).not.toBe(await hasher.hash('Same-Password-1'));
  });

  it('refuses a malformed stored hash instead of throwing', async () => {
    expect(await hasher.verify('x', 'md5$abc')).toBe(false);
  });

  it.each([
    ['Harbor12345', true],
    ['harbor12345', false],
    ['HARBOR12345', false],
    ['HarborHarbor', false],
    ['Ha1', false],
    [`Aa1${'x'.repeat(126)}`, false],
  ])('applies Harbor’s rule to %s', (password, ok) => {
    expect(meetsPasswordRule(password)).toBe(ok);
  });
});
