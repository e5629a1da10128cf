#!/usr/bin/env bash
# Runs a command against a private Podman API service (Docker-compatible),
# rootful or rootless, set up the way these machines need it, and stops the
# service afterwards. The command sees DOCKER_HOST and NEURODESK_TEST_ENGINE;
# for rootless also NEURODESK_TEST_RUN_AS=uid:gid, the user to run the app as.
# Usage: scripts/podman-engine.sh rootful|rootless -- command...
set -euo pipefail
mode=${1:-}; shift || true
[ "${1:-}" = "--" ] && shift
case "$mode" in rootful|rootless) ;; *) echo "usage: $0 rootful|rootless -- command..." >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "$0: run as root (it sets up the rootless user too)" >&2; exit 2; }

dir=$(mktemp -d /tmp/neurodesk-podman.XXXXXX)
chmod 755 "$dir"
cat > "$dir/containers.conf" <<'CONF'
[containers]
# These machines withhold CAP_SYS_RESOURCE: Podman's default ulimits
# (above the hard limit) would be refused at every container start.
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
CONF
cat > "$dir/registries.conf" <<'CONF'
# The tests' registry serves plain HTTP on loopback: Docker trusts that by
# default, Podman only when told.
unqualified-search-registries = []
[[registry]]
location = "127.0.0.1"
insecure = true
CONF

service_env=(CONTAINERS_CONF="$dir/containers.conf" CONTAINERS_REGISTRIES_CONF="$dir/registries.conf")
if [ "$mode" = rootful ]; then
  sock="$dir/podman.sock"
  env "${service_env[@]}" podman system service --time=0 "unix://$sock" >"$dir/service.log" 2>&1 &
else
  user=neurodesk-rootless
  id -u "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
  uid=$(id -u "$user"); gid=$(id -g "$user")
  # Subordinate ids for the user namespace, unless useradd gave some.
  grep -q "^$user:" /etc/subuid || usermod --add-subuids 200000-265535 "$user"
  grep -q "^$user:" /etc/subgid || usermod --add-subgids 200000-265535 "$user"
  # slirp4netns needs the tun device; some machines make it root-only.
  chmod 0666 /dev/net/tun
  run="/run/user/$uid"
  mkdir -p "$run" && chown "$uid:$gid" "$run" && chmod 700 "$run"
  mkdir -p "$dir/rootless" && chown "$uid:$gid" "$dir/rootless" "$dir"/*.conf
  sock="$dir/rootless/podman.sock"
  runuser -u "$user" -- env HOME="$(getent passwd "$user" | cut -d: -f6)" XDG_RUNTIME_DIR="$run" "${service_env[@]}" \
    podman system service --time=0 "unix://$sock" >"$dir/service.log" 2>&1 &
  export NEURODESK_TEST_RUN_AS="$uid:$gid"
fi
service=$!
cleanup() {
  kill "$service" 2>/dev/null || true
  wait "$service" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  [ "$(curl -s --max-time 2 --unix-socket "$sock" http://d/_ping 2>/dev/null)" = OK ] && break
  kill -0 "$service" 2>/dev/null || { cat "$dir/service.log" >&2; exit 1; }
  sleep 0.1
done
[ "$(curl -s --max-time 2 --unix-socket "$sock" http://d/_ping)" = OK ] || { echo "podman ($mode) did not answer:" >&2; cat "$dir/service.log" >&2; exit 1; }

export DOCKER_HOST="unix://$sock" NEURODESK_TEST_ENGINE="podman-$mode"
echo "podman ($mode) answers on $sock"
"$@"
