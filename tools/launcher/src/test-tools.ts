import type { DebianTool } from './debian-packages.js';

/** The Debian packages the tests drive: real clients and the reference registry. */
export const testTools: readonly DebianTool[] = [
  { package: 'skopeo', command: 'skopeo' },
  { package: 'podman', command: 'podman' },
  { package: 'docker.io', command: 'dockerd' },
  { package: 'docker-registry', command: 'docker-registry' },
];
