#!/usr/bin/env node
// Set-up step of `npm start` and `npm test`. Runs on whatever Node the machine has
// (18 or later), so it uses nothing but Node's standard library.
//
// It installs pnpm (the version pinned in package.json's devDependencies) and the
// workspace's dependencies from the npm registry. Among them is the `node` package,
// which installs Node.js 24 from the npm registry and puts it first on PATH for every
// later npm script step.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pnpmVersion = String(manifest.devDependencies?.pnpm ?? 'latest');

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env });
  if (result.error) fail(`could not run ${command}: ${result.error.message}`);
  if (result.status !== 0) fail(`${command} ${args.join(' ')} exited with status ${result.status}`);
}

function fail(message) {
  process.stderr.write(`wharf set-up: ${message}\n`);
  process.exit(1);
}

const localPnpm = join(root, 'node_modules', '.bin', 'pnpm');
const installArgs = ['install', '--prefer-offline'];
if (existsSync(join(root, 'pnpm-lock.yaml'))) installArgs.push('--frozen-lockfile');

if (existsSync(localPnpm)) {
  run(localPnpm, installArgs);
} else {
  run('npx', ['--yes', `pnpm@${pnpmVersion}`, ...installArgs]);
}

const localNode = join(root, 'node_modules', '.bin', 'node');
const probe = spawnSync(localNode, ['-p', 'process.versions.node'], { encoding: 'utf8' });
const major = Number.parseInt(String(probe.stdout).trim().split('.')[0] ?? '', 10);
if (probe.status !== 0 || !(major >= 24)) {
  fail(
    'Node.js 24 from the npm registry is not installed in node_modules/.bin/node; ' +
      'check that the npm registry is reachable and that pnpm-workspace.yaml allows builds for "node"',
  );
}
