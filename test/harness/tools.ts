import { execFileSync } from 'node:child_process';

/**
 * The path of a tool a suite needs. A missing tool fails the suite (under CI=true and
 * everywhere else): a suite never passes by skipping. `scripts/test.sh` installs them.
 */
export function requireTool(name: string, debianPackage: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${name} || ls /usr/sbin/${name} /usr/share/zookeeper/bin/${name} 2>/dev/null`], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')[0];
  } catch {
    throw new Error(`${name} is missing: install the Debian package ${debianPackage} (scripts/test.sh does it when run as root)`);
  }
}
