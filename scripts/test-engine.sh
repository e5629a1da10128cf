#!/usr/bin/env bash
# Runs a command against a private container engine other than the
# machine's Docker, set up the way these machines need it, and stops it
# afterwards: Podman's Docker-compatible API service, rootful or rootless,
# or a rootless Docker daemon. The command sees DOCKER_HOST and
# NEURODESK_TEST_ENGINE; for the rootless ones also NEURODESK_TEST_RUN_AS
# (uid:gid, the user to run the app as), and for rootless Docker
# NEURODESK_TEST_REGISTRY_HOST (how its network reaches this machine's
# loopback, where the tests' registry listens).
# Usage: scripts/test-engine.sh podman-rootful|podman-rootless|docker-rootless -- command...
set -euo pipefail
mode=${1:-}; shift || true
[ "${1:-}" = "--" ] && shift
case "$mode" in podman-rootful|podman-rootless|docker-rootless) ;; *) echo "usage: $0 podman-rootful|podman-rootless|docker-rootless -- command..." >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "$0: run as root (it sets up the rootless user too)" >&2; exit 2; }

dir=$(mktemp -d /tmp/neurodesk-engine.XXXXXX)
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
if [ "$mode" != podman-rootful ]; then
  user=neurodesk-rootless
  id -u "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
  uid=$(id -u "$user"); gid=$(id -g "$user"); home=$(getent passwd "$user" | cut -d: -f6)
  # Subordinate ids for the user namespace, unless useradd gave some.
  grep -q "^$user:" /etc/subuid || usermod --add-subuids 200000-265535 "$user"
  grep -q "^$user:" /etc/subgid || usermod --add-subgids 200000-265535 "$user"
  # slirp4netns needs the tun device; some machines make it root-only.
  chmod 0666 /dev/net/tun
  run="/run/user/$uid"
  mkdir -p "$run" && chown "$uid:$gid" "$run" && chmod 700 "$run"
  mkdir -p "$dir/rootless" && chown "$uid:$gid" "$dir/rootless" "$dir"/*.conf
  export NEURODESK_TEST_RUN_AS="$uid:$gid"
fi
case "$mode" in
  podman-rootful)
    sock="$dir/podman.sock"
    setsid env "${service_env[@]}" podman system service --time=0 "unix://$sock" >"$dir/service.log" 2>&1 & ;;
  podman-rootless)
    sock="$dir/rootless/podman.sock"
    setsid runuser -u "$user" -- env HOME="$home" XDG_RUNTIME_DIR="$run" "${service_env[@]}" \
      podman system service --time=0 "unix://$sock" >"$dir/service.log" 2>&1 & ;;
  docker-rootless)
    # Its own runtime folder: the socket, containerd and the daemon's
    # network namespace. Its network reaches this machine's loopback as
    # 10.0.2.2 (slirp4netns), where the registry is plain HTTP.
    # Debian's docker.io keeps the script in contrib; Docker's packages put it on PATH.
    rootless_sh=$(command -v dockerd-rootless.sh || echo /usr/share/docker.io/contrib/dockerd-rootless.sh)
    druntime="$dir/rootless/run"
    mkdir -p "$druntime" && chown "$uid:$gid" "$druntime" && chmod 700 "$druntime"
    sock="$druntime/docker.sock"
    # rootlesskit as dockerd-rootless.sh runs it, but with the host's
    # loopback reachable (Debian's script always cuts it off).
    setsid runuser -u "$user" -- env HOME="$home" XDG_RUNTIME_DIR="$druntime" PATH=/usr/sbin:/usr/bin:/sbin:/bin \
      _DOCKERD_ROOTLESS_CHILD=1 rootlesskit --net=slirp4netns --mtu=65520 --slirp4netns-sandbox=auto --slirp4netns-seccomp=auto \
      --port-driver=builtin --copy-up=/etc --copy-up=/run --propagation=rslave \
      "$rootless_sh" --data-root "$dir/rootless/data" --exec-root "$druntime/exec" \
      --insecure-registry 10.0.2.0/24 >"$dir/service.log" 2>&1 &
    export NEURODESK_TEST_REGISTRY_HOST=10.0.2.2 ;;
esac
service=$!
# The service runs in a process group of its own (setsid): rootless Docker
# is a tree (rootlesskit, dockerd, containerd, slirp4netns), all stopped.
cleanup() {
  kill -TERM -- -"$service" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 -- -"$service" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- -"$service" 2>/dev/null || true
  wait "$service" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

for _ in $(seq 1 300); do
  [ "$(curl -s --max-time 2 --unix-socket "$sock" http://d/_ping 2>/dev/null)" = OK ] && break
  kill -0 "$service" 2>/dev/null || { cat "$dir/service.log" >&2; exit 1; }
  sleep 0.1
done
[ "$(curl -s --max-time 2 --unix-socket "$sock" http://d/_ping)" = OK ] || { echo "$mode did not answer:" >&2; cat "$dir/service.log" >&2; exit 1; }

export DOCKER_HOST="unix://$sock" NEURODESK_TEST_ENGINE="$mode"
echo "$mode answers on $sock"
"$@"
