import { execFileSync } from 'node:child_process';

/**
 * The path of a tool a suite needs. A missing tool fails the suite (under CI=true and
 * everywhere else): a suite never passes by skipping. `scripts/test.sh` installs them.
 */
export function requireTool(name: string, debianPackage: string): string {
  try {
    // `ls a b` fails when either is missing, so each folder is tried on its own.
    const folders = '/usr/sbin /usr/share/zookeeper/bin';
    return execFileSync('sh', ['-c', `command -v ${name} && exit 0; for d in ${folders}; do [ -x "$d/${name}" ] && echo "$d/${name}" && exit 0; done; exit 1`], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')[0];
  } catch {
    throw new Error(`${name} is missing: install the Debian package ${debianPackage} (scripts/test.sh does it when run as root)`);
  }
}
