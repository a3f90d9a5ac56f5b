export class SecretRequiredError extends Error {
  constructor() {
    super('a valid Harbor-Secret authorization is required');
    this.name = 'SecretRequiredError';
  }
}
