/**
 * Harbor's RegistryCredential (HARBOR-FACTS §2.4); never logged, never answered. Its own
 * module: the port (registry-adapter.ts) and the HTTP layer under it (distribution/) both
 * need it, and neither imports the other's module for it.
 */
export interface RegistryCredential {
  type: 'basic' | 'secret' | 'oauth';
  access_key?: string;
  access_secret?: string;
}
