import type { DebianTool } from './debian-packages.js';

/**
 * The Debian packages the tests drive: real clients, the reference registry, and what
 * checks the deployment artifacts (docker-compose validates docker-compose.yml; Go and
 * helm's template libraries build tools/chart-render, which renders the Helm chart).
 *
 * `command` proves a package is installed: `command -v` is asked through /bin/sh (dash),
 * which also answers for an absolute path that exists, so a library package is proved by a
 * file it ships.
 */
export const testTools: readonly DebianTool[] = [
  { package: 'skopeo', command: 'skopeo' },
  { package: 'podman', command: 'podman' },
  { package: 'docker.io', command: 'dockerd' },
  { package: 'docker-registry', command: 'docker-registry' },
  { package: 'docker-compose', command: 'docker-compose' },
  { package: 'golang-go', command: 'go' },
  { package: 'golang-github-masterminds-sprig-dev', command: '/usr/share/gocode/src/github.com/Masterminds/sprig/functions.go' },
  { package: 'golang-github-ghodss-yaml-dev', command: '/usr/share/gocode/src/github.com/ghodss/yaml/yaml.go' },
];
