import { spawnSync } from 'node:child_process';

/** A Debian package and the command that proves it is installed. */
export interface DebianTool {
  package: string;
  command: string;
}

export class MissingToolsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingToolsError';
  }
}

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function aptGet(args: string[]): boolean {
  const result = spawnSync('apt-get', args, {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 30 * 60_000,
  });
  return result.status === 0;
}

/**
 * Installs the Debian packages whose command is missing (as root, with apt-get; the
 * package lists are refreshed once if the first attempt fails). Not root, or no apt-get:
 * throws with the command to run.
 */
export function ensureDebianTools(tools: readonly DebianTool[], report: (line: string) => void): void {
  const missing = tools.filter((tool) => !has(tool.command));
  if (missing.length === 0) return;
  const packages = missing.map((tool) => tool.package);
  const command = `apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  if (process.getuid?.() !== 0 || !has('apt-get')) {
    throw new MissingToolsError(`the tests need ${packages.join(', ')}; install them with: sudo ${command}`);
  }
  report(`installing ${packages.join(', ')} from Debian's packages`);
  const installArgs = ['install', '-y', '--no-install-recommends', ...packages];
  if (!aptGet(installArgs)) {
    aptGet(['update']);
    if (!aptGet(installArgs)) throw new MissingToolsError(`could not install ${packages.join(', ')}; try: ${command}`);
  }
  const stillMissing = missing.filter((tool) => !has(tool.command));
  if (stillMissing.length > 0) {
    throw new MissingToolsError(`installed, but still not found: ${stillMissing.map((t) => t.command).join(', ')}`);
  }
}
