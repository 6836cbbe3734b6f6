# Sourced by scripts/test-all.sh: apt-get that waits for another apt or dpkg run to finish, and an
# install of Debian packages for their programs only (their services neither started nor enabled).

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
APT_WAIT_S=${APT_WAIT_S:-900}

# apt-get with the dpkg lock waited for; `update` (whose lists lock the option does not cover) is
# retried while another apt holds that lock.
apt_get() {
  local deadline=$((SECONDS + APT_WAIT_S)) out
  while :; do
    if out=$($sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$APT_WAIT_S" "$@" 2>&1); then
      [ -z "$out" ] || printf '%s\n' "$out"
      return 0
    fi
    if grep -qiE 'could not get lock|unable to lock|is another process using it' <<<"$out" &&
      [ $SECONDS -lt $deadline ]; then
      echo "waiting for another apt-get or dpkg to finish..."
      sleep "${APT_RETRY_S:-5}"
      continue
    fi
    printf '%s\n' "$out" >&2
    return 1
  done
}

# The enabled-service links of systemd, to remove the ones an install adds.
# SERVICE_LINK_DIRS: where those links live (a parameter for the test of this file).
service_links() {
  # shellcheck disable=SC2086 # the list of directories (with a glob) is meant to split
  find ${SERVICE_LINK_DIRS:-/etc/systemd/system /etc/rc?.d} -maxdepth 2 -type l 2>/dev/null | sort
}

# Installs packages without starting their services (policy-rc.d answers "not allowed") and removes
# the enable links their maintainer scripts created.
install_without_services() {
  local policy=${POLICY_RC_D:-/usr/sbin/policy-rc.d} created_policy=0 before after
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    created_policy=1
  fi
  before=$(service_links)
  local status=0
  apt_get update -qq && apt_get install -y -qq --no-install-recommends "$@" || status=$?
  after=$(service_links)
  while read -r link; do
    if [ -n "$link" ]; then
      $sudo rm -f "$link"
      echo "left disabled: $(basename "$link")"
    fi
  done < <(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after"))
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $sudo systemctl daemon-reload || true
  fi
  [ $created_policy -eq 0 ] || $sudo rm -f "$policy"
  return $status
}

