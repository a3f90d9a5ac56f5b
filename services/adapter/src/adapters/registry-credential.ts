import type { RegistryCredentialV1 } from '@wharf/contracts';

/**
 * Harbor's RegistryCredential (HARBOR-FACTS §2.4), as defined once in @wharf/contracts;
 * never logged, never answered. Its own module: the port (registry-adapter.ts) and the HTTP
 * layer under it (distribution/) both need it, and neither imports the other's module for it.
 */
export type RegistryCredential = RegistryCredentialV1;
