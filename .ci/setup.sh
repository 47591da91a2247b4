#!/usr/bin/env bash
# Brings up the real parts the test suite talks to (DESIGN.md §8): a Docker engine, two registries
# (plain HTTP on :5000, TLS + htpasswd on :5443) and two base images made with `docker import`.
#
# Idempotent: run it as often as you like (`bash .ci/setup.sh`); it skips what is present or running and
# never starts a second dockerd or registry. State (configs, registry storage, the cached Debian rootfs,
# logs, env.sh) lives in $MLPACK_CI_STATE_DIR (default /var/tmp/mlpack-ci), outside the repository, so a
# fresh clone on the same machine reuses it. Afterwards: `source /var/tmp/mlpack-ci/env.sh`.
set -euo pipefail

STATE_DIR="${MLPACK_CI_STATE_DIR:-/var/tmp/mlpack-ci}"
BUSYBOX_IMAGE="${MLPACK_TEST_BUSYBOX_IMAGE:-mlpack-test/busybox:latest}"
PYTHON_IMAGE="${MLPACK_TEST_PYTHON_IMAGE:-mlpack-test/python-nltk:bookworm}"
PLAIN_ADDR="127.0.0.1:5000"
TLS_ADDR="127.0.0.1:5443"
TLS_USER="mlpack"
TLS_PASSWORD="mlpack-test-pw"
TLS_DIR="$STATE_DIR/registry-tls"
TLS_CA="$TLS_DIR/cert.pem"
# Bump a recipe when the image it describes changes; images with another recipe label are re-imported.
BUSYBOX_RECIPE="busybox-v1"
PYTHON_RECIPE="python-ml-bookworm-v2"
RECIPE_LABEL="dev.mlpack.ci.recipe"
IMAGE_PATH_ENV="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

STARTED_AT=$SECONDS

log() { printf '[setup %3ss] %s\n' "$((SECONDS - STARTED_AT))" "$*" >&2; }
die() {
  printf '[setup] FAILED: %s\n' "$*" >&2
  exit 1
}
trap 'die "command failed (line $LINENO): $BASH_COMMAND"' ERR

# Root is needed only for apt-get, dockerd and mmdebstrap; developers who are not root go through sudo,
# and need neither when everything is already in place.
AS_ROOT=()
need_root() { # need_root WHAT
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to $1"
    AS_ROOT=(sudo)
  fi
}

# daemonize LOGFILE command...: run a long-lived service in its own session, detached from this script.
# Every inherited fd above 2 is closed first: the setup lock (fd 9) would otherwise block the next run, and
# a caller's pipe would never see EOF.
daemonize() {
  local logfile=$1 fd
  shift
  (
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
    done
    exec setsid nohup "$@"
  ) </dev/null >>"$logfile" 2>&1 &
}

# Logs of background services are shown when they fail to come up.
show_log_tail() {
  if [ -f "$1" ]; then
    printf -- '--- last lines of %s ---\n' "$1" >&2
    tail -n 20 "$1" >&2 || true
  fi
}

mkdir -p "$STATE_DIR" "$STATE_DIR/cache" "$STATE_DIR/logs"
# One setup at a time per machine (a developer and a CI job may race).
exec 9>"$STATE_DIR/setup.lock"
if ! flock -n 9; then
  log "waiting for another setup.sh to finish"
  flock 9
fi

# --- 1. Debian packages -----------------------------------------------------------------------------
pkg_present() {
  case "$1" in
    # A docker-ce engine satisfies the need for docker.io (installing both conflicts).
    docker.io) command -v dockerd >/dev/null 2>&1 ;;
    *) dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' ;;
  esac
}

missing=()
for pkg in docker.io docker-registry skopeo umoci busybox-static mmdebstrap apache2-utils openssl python3 curl \
  ca-certificates; do
  pkg_present "$pkg" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  need_root "install ${missing[*]}"
  "${AS_ROOT[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
    die "apt-get update failed"
  "${AS_ROOT[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" ||
    die "apt-get install ${missing[*]} failed"
else
  log "packages: all present"
fi

# --- 2. Docker engine --------------------------------------------------------------------------------
wait_for() { # wait_for SECONDS command...
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 1
  done
}

DOCKERD_LOG="$STATE_DIR/logs/dockerd.log"
if docker info >/dev/null 2>&1; then
  log "docker: engine already running ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
else
  if pgrep -x dockerd >/dev/null 2>&1; then
    log "docker: a dockerd process exists but does not answer yet; waiting"
  else
    need_root "start dockerd"
    log "docker: starting dockerd --iptables=false --bridge=none (log: $DOCKERD_LOG)"
    daemonize "$DOCKERD_LOG" "${AS_ROOT[@]}" dockerd --iptables=false --bridge=none
  fi
  if ! wait_for 60 docker info; then
    show_log_tail "$DOCKERD_LOG"
    die "docker info still fails after 60 s (not running, or no permission on the socket?)"
  fi
  log "docker: engine up"
fi

# --- 3. Registries -----------------------------------------------------------------------------------
http_code() { # http_code URL [curl args...] -> prints the status code ("000" when nothing answers)
  local url=$1
  shift
  curl -sS -o /dev/null -m 5 -w '%{http_code}' "$@" "$url" 2>/dev/null || true
}

plain_registry_ok() { [ "$(http_code "http://$PLAIN_ADDR/v2/")" = 200 ]; }
tls_registry_ok() {
  [ -f "$TLS_CA" ] &&
    [ "$(http_code "https://$TLS_ADDR/v2/" --cacert "$TLS_CA")" = 401 ] &&
    [ "$(http_code "https://$TLS_ADDR/v2/" --cacert "$TLS_CA" -u "$TLS_USER:$TLS_PASSWORD")" = 200 ]
}
port_answers() { # something accepts TCP connections on host:port
  local code
  code=$(curl -s -o /dev/null -m 3 -w '%{http_code}' -k "$1" 2>/dev/null) || true
  [ -n "$code" ] && [ "$code" != 000 ]
}

# write_if_changed FILE: stdin -> FILE; succeeds (status 0) only when FILE's content changed.
write_if_changed() {
  local file=$1
  cat >"$file.new"
  if cmp -s "$file.new" "$file"; then
    rm -f "$file.new"
    return 1
  fi
  mv "$file.new" "$file"
}

# ensure_registry NAME ADDR CHECK_FN URL CONFIG_CHANGED: run `docker-registry serve $STATE_DIR/NAME/config.yml`
# unless CHECK_FN passes and the config is unchanged. Our instances are found by their exact command line.
ensure_registry() {
  local name=$1 addr=$2 check=$3 url=$4 config_changed=$5
  local config="$STATE_DIR/$name/config.yml" logfile="$STATE_DIR/logs/$name.log" pids pid
  if [ "$config_changed" = no ] && "$check"; then
    log "registry $name: already serving on $addr"
    return 0
  fi
  pids=$(pgrep -f -x "docker-registry serve $config" || true)
  for pid in $pids; do
    log "registry $name: stopping our stale instance (pid $pid)"
    kill "$pid" 2>/dev/null || true
    wait_for 10 bash -c "! kill -0 $pid 2>/dev/null" || die "registry $name (pid $pid) did not stop"
  done
  if port_answers "$url"; then
    die "something else answers on $addr and it is not the $name registry configured by $config; free the port"
  fi
  log "registry $name: starting on $addr (log: $logfile)"
  daemonize "$logfile" docker-registry serve "$config"
  if ! wait_for 20 "$check"; then
    show_log_tail "$logfile"
    die "registry $name did not come up on $addr within 20 s"
  fi
  log "registry $name: up"
}

# Registry A: plain HTTP, no auth.
mkdir -p "$STATE_DIR/registry-plain/data"
changed=no
write_if_changed "$STATE_DIR/registry-plain/config.yml" <<EOF && changed=yes
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $STATE_DIR/registry-plain/data
  delete:
    enabled: true
http:
  addr: $PLAIN_ADDR
  headers:
    X-Content-Type-Options: [nosniff]
EOF
ensure_registry registry-plain "$PLAIN_ADDR" plain_registry_ok "http://$PLAIN_ADDR/v2/" "$changed"

# Registry B: TLS (self-signed, also used as the CA) + htpasswd basic auth.
mkdir -p "$TLS_DIR/data"
if [ ! -s "$TLS_CA" ] || [ ! -s "$TLS_DIR/key.pem" ]; then
  log "registry-tls: generating a self-signed certificate for 127.0.0.1/localhost"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=mlpack-test-registry" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$TLS_DIR/key.pem" -out "$TLS_CA" 2>/dev/null || die "openssl could not create the certificate"
fi
# containers/image (skopeo --cert-dir "$TLS_DIR") reads CAs from *.crt files in a directory.
cmp -s "$TLS_CA" "$TLS_DIR/ca.crt" || cp "$TLS_CA" "$TLS_DIR/ca.crt"
if ! htpasswd -vb "$TLS_DIR/htpasswd" "$TLS_USER" "$TLS_PASSWORD" >/dev/null 2>&1; then
  log "registry-tls: writing htpasswd for user $TLS_USER"
  htpasswd -Bbn "$TLS_USER" "$TLS_PASSWORD" >"$TLS_DIR/htpasswd" || die "htpasswd failed"
fi
changed=no
write_if_changed "$TLS_DIR/config.yml" <<EOF && changed=yes
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $TLS_DIR/data
  delete:
    enabled: true
auth:
  htpasswd:
    realm: mlpack-test
    path: $TLS_DIR/htpasswd
http:
  addr: $TLS_ADDR
  tls:
    certificate: $TLS_CA
    key: $TLS_DIR/key.pem
  headers:
    X-Content-Type-Options: [nosniff]
EOF
ensure_registry registry-tls "$TLS_ADDR" tls_registry_ok "https://$TLS_ADDR/v2/" "$changed"

# --- 4. Base images (docker import, no pulls) ----------------------------------------------------------
image_recipe() { docker image inspect --format "{{ index .Config.Labels \"$RECIPE_LABEL\" }}" "$1" 2>/dev/null || true; }

# The busybox image: busybox-static with all applet links, /tmp, /root, and the Lambda sandbox user.
if [ "$(image_recipe "$BUSYBOX_IMAGE")" = "$BUSYBOX_RECIPE" ]; then
  log "image $BUSYBOX_IMAGE: present"
else
  log "image $BUSYBOX_IMAGE: building from busybox-static"
  rm -rf "$STATE_DIR"/cache/busybox-rootfs.* # left over by an interrupted run
  rootfs=$(mktemp -d "$STATE_DIR/cache/busybox-rootfs.XXXXXX")
  mkdir -p "$rootfs/bin" "$rootfs/sbin" "$rootfs/usr/bin" "$rootfs/usr/sbin" "$rootfs/etc" "$rootfs/root" \
    "$rootfs/tmp" "$rootfs/dev" "$rootfs/proc" "$rootfs/sys"
  cp "$(readlink -f /bin/busybox)" "$rootfs/bin/busybox"
  "$rootfs/bin/busybox" --list-full | while read -r applet; do
    [ "$applet" = bin/busybox ] || [ -e "$rootfs/$applet" ] && continue
    mkdir -p "$rootfs/$(dirname "$applet")"
    ln -s /bin/busybox "$rootfs/$applet"
  done
  [ -L "$rootfs/bin/sh" ] || die "busybox has no sh applet"
  chmod 1777 "$rootfs/tmp"
  chmod 0700 "$rootfs/root"
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'sbx_user1051:x:993:990::/tmp:/sbin/nologin' >"$rootfs/etc/passwd"
  printf '%s\n' 'root:x:0:' 'sbx_user1051:x:990:' >"$rootfs/etc/group"
  tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -cf - . |
    docker import --change "ENV $IMAGE_PATH_ENV" --change 'CMD ["/bin/sh"]' \
      --change "LABEL $RECIPE_LABEL=$BUSYBOX_RECIPE" - "$BUSYBOX_IMAGE" >/dev/null ||
    die "docker import of $BUSYBOX_IMAGE failed"
  rm -rf "$rootfs"
  [ "$(docker run --rm --network none "$BUSYBOX_IMAGE" sh -c 'echo ok' 2>&1)" = ok ] ||
    die "$BUSYBOX_IMAGE was imported but cannot run sh (is /bin/busybox really static?)"
  log "image $BUSYBOX_IMAGE: imported"
fi

# The Python image: Debian bookworm with python3, nltk, scikit-learn and boto3 from the Debian archive. mmdebstrap
# takes minutes, so its tarball is cached in the state dir and reused.
if [ "$(image_recipe "$PYTHON_IMAGE")" = "$PYTHON_RECIPE" ]; then
  log "image $PYTHON_IMAGE: present"
else
  rootfs_tar="$STATE_DIR/cache/$PYTHON_RECIPE.tar"
  if [ -s "$rootfs_tar" ]; then
    log "image $PYTHON_IMAGE: importing cached rootfs $rootfs_tar"
  else
    log "image $PYTHON_IMAGE: mmdebstrap bookworm with python3, python3-nltk, python3-sklearn, python3-boto3 (a few minutes; log: $STATE_DIR/logs/mmdebstrap.log)"
    rm -f "$rootfs_tar.partial"
    need_root "run mmdebstrap"
    if ! "${AS_ROOT[@]}" timeout 30m mmdebstrap --quiet --variant=apt --format=tar --include=python3,python3-nltk,python3-sklearn,python3-boto3 \
      bookworm "$rootfs_tar.partial" >"$STATE_DIR/logs/mmdebstrap.log" 2>&1; then
      show_log_tail "$STATE_DIR/logs/mmdebstrap.log"
      rm -f "$rootfs_tar.partial"
      die "mmdebstrap failed"
    fi
    mv "$rootfs_tar.partial" "$rootfs_tar"
    log "image $PYTHON_IMAGE: rootfs cached ($(du -h "$rootfs_tar" | cut -f1))"
  fi
  docker import --change "ENV $IMAGE_PATH_ENV" --change 'ENV LANG=C.UTF-8' --change 'CMD ["/usr/bin/python3"]' \
    --change "LABEL $RECIPE_LABEL=$PYTHON_RECIPE" "$rootfs_tar" "$PYTHON_IMAGE" >/dev/null ||
    die "docker import of $PYTHON_IMAGE failed"
  [ "$(docker run --rm --network none "$PYTHON_IMAGE" python3 -c 'import nltk, sklearn, boto3; print("ok")' 2>&1)" = ok ] ||
    die "$PYTHON_IMAGE was imported but cannot import nltk, sklearn and boto3"
  log "image $PYTHON_IMAGE: imported"
fi

# --- 5. The environment the tests read -----------------------------------------------------------------
cat >"$STATE_DIR/env.sh.new" <<EOF
# Written by .ci/setup.sh; source it before running the tests.
export MLPACK_TEST_BUSYBOX_IMAGE='$BUSYBOX_IMAGE'
export MLPACK_TEST_PYTHON_IMAGE='$PYTHON_IMAGE'
export MLPACK_TEST_REGISTRY='$PLAIN_ADDR'
export MLPACK_TEST_TLS_REGISTRY='$TLS_ADDR'
export MLPACK_TEST_TLS_USER='$TLS_USER'
export MLPACK_TEST_TLS_PASSWORD='$TLS_PASSWORD'
export MLPACK_TEST_TLS_CA='$TLS_CA'
EOF
mv "$STATE_DIR/env.sh.new" "$STATE_DIR/env.sh"
log "ready; now: source $STATE_DIR/env.sh"
