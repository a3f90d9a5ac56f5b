export class RegistryNotFoundError extends Error {
  constructor(id: number) {
    super(`registry ${id} not found`);
    this.name = 'RegistryNotFoundError';
  }
}

export class RegistryExistsError extends Error {
  constructor(name: string) {
    super(`a registry named ${name} already exists`);
    this.name = 'RegistryExistsError';
  }
}

export class RegistryInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryInvalidError';
  }
}

/** A replication policy still uses the registry (Harbor answers 412). */
export class RegistryInUseError extends Error {
  constructor(id: number) {
    super(`registry ${id} is used by a replication policy; delete or change the policy first`);
    this.name = 'RegistryInUseError';
  }
}

/** The ping found the registry unhealthy (Harbor answers 400). */
export class RegistryUnhealthyError extends Error {
  constructor(detail: string) {
    super(detail ? `the registry is unhealthy: ${detail}` : 'the registry is unhealthy');
    this.name = 'RegistryUnhealthyError';
  }
}
