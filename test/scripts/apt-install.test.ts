import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// scripts/apt-install.sh's logic, with an `apt-get` of our own first on PATH: a test must not install
// Debian packages or hold the machine's dpkg lock. This apt-get answers "Could not get lock" a
// few times, then "installs" by doing what a package's maintainer script does: it enables its
// service with a link, and records whether policy-rc.d forbade starting it.
const REPO = path.resolve(import.meta.dirname, '../..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'weft-apt-install-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function setUp(lockedCalls: number, waitS = 60) {
  const dir = mkdtempSync(path.join(tmp, 'case-'));
  const bin = path.join(dir, 'bin');
  const wants = path.join(dir, 'systemd', 'multi-user.target.wants');
  mkdirSync(bin, { recursive: true });
  mkdirSync(wants, { recursive: true });
  symlinkSync('/lib/systemd/system/kept.service', path.join(wants, 'kept.service'));
  const policy = path.join(dir, 'policy-rc.d');
  const fake = `#!/bin/bash
calls=$(( $(cat '${dir}/calls' 2>/dev/null || echo 0) + 1 )); echo $calls > '${dir}/calls'
echo "$*" >> '${dir}/args'
if [ $calls -le ${lockedCalls} ]; then
  echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)" >&2
  exit 100
fi
for pkg in "$@"; do
  case "$pkg" in -*|*=*|install|update) ;; *)
    ln -s "/lib/systemd/system/$pkg.service" '${wants}'/"$pkg.service"
    '${policy}' start; echo "policy $?" >> '${dir}/policy' ;;
  esac
done
`;
  writeFileSync(path.join(bin, 'apt-get'), fake);
  chmodSync(path.join(bin, 'apt-get'), 0o755);
  const r = spawnSync(
    'bash',
    ['-c', 'source scripts/apt-install.sh && install_without_services prometheus nats-server'],
    {
      cwd: REPO,
      encoding: 'utf8',
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        SERVICE_LINK_DIRS: path.join(dir, 'systemd'),
        POLICY_RC_D: policy,
        APT_RETRY_S: '0',
        APT_WAIT_S: String(waitS),
      },
    },
  );
  return { dir, wants, policy, r };
}

describe('scripts/apt-install.sh', () => {
  it('waits for the apt lock, installs with services forbidden to start, leaves them disabled', () => {
    const { dir, wants, policy, r } = setUp(2);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.match(/waiting for another apt-get or dpkg to finish/g)).toHaveLength(2);
    const args = readFileSync(path.join(dir, 'args'), 'utf8').trim().split('\n');
    expect(args).toHaveLength(4); // update refused twice, then update and install
    expect(args[3]).toBe(
      '-o DPkg::Lock::Timeout=60 install -y -qq --no-install-recommends prometheus nats-server',
    );
    // While installing, policy-rc.d said no (101) to starting each service; afterwards it is gone.
    expect(readFileSync(path.join(dir, 'policy'), 'utf8')).toBe('policy 101\npolicy 101\n');
    expect(existsSync(policy)).toBe(false);
    // The links the install added are removed; one that was there before stays.
    expect(existsSync(path.join(wants, 'prometheus.service'))).toBe(false);
    expect(existsSync(path.join(wants, 'nats-server.service'))).toBe(false);
    expect(spawnSync('readlink', [path.join(wants, 'kept.service')]).stdout.toString()).toContain(
      'kept.service',
    );
    expect(r.stdout).toContain('left disabled: prometheus.service');
  });

  it("gives up with apt-get's own message when the lock outlasts the wait", () => {
    const { dir, r } = setUp(1000, 0);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('Could not get lock');
    expect(readFileSync(path.join(dir, 'calls'), 'utf8').trim()).toBe('1');
  });
});
