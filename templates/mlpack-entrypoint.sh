#!/bin/sh
# mlpack entrypoint wrapper: runs once when the container starts, before the runtime.
#   --view SRC DST   DST becomes a writable view of the read-only SRC: real folders, files linked
#   --home REL DIR   $HOME/REL becomes a link to DIR (HOME moves to /tmp/mlpack-home if not writable)
#   -- CMD...        then exec CMD with its arguments (the image's original entrypoint and CMD)
# POSIX sh, mkdir and ln only: it runs on Lambda's base images and on busybox alike.
set -u

die() {
  echo "mlpack-entrypoint: $*" >&2
  exit 1
}

absent() {
  [ ! -e "$1" ] && [ ! -L "$1" ]
}

view() {
  src=$1
  dst=$2
  mkdir -p "$dst" || return 1
  set --
  for e in "$src"/* "$src"/.[!.]* "$src"/..?*; do
    if absent "$e"; then continue; fi
    if [ -d "$e" ] && [ ! -L "$e" ]; then
      (view "$e" "$dst/${e##*/}") || return 1
    elif absent "$dst/${e##*/}"; then
      set -- "$@" "$e"
    fi
  done
  if [ $# -gt 0 ]; then ln -s "$@" "$dst/" || return 1; fi
}

home_link() {
  case $1 in
    */*) parent=$HOME/${1%/*} ;;
    *) parent=$HOME ;;
  esac
  if absent "$HOME/$1"; then
    mkdir -p "$parent" 2>/dev/null && ln -s "$2" "$HOME/$1" 2>/dev/null
  fi
}

while [ $# -gt 0 ]; do
  case $1 in
    --view)
      [ $# -ge 3 ] || die "--view needs SRC and DST"
      view "$2" "$3" || die "cannot build the writable view $3 of $2"
      shift 3
      ;;
    --home)
      [ $# -ge 3 ] || die "--home needs REL and DIR"
      HOME=${HOME:-/}
      if ! home_link "$2" "$3"; then
        echo "mlpack-entrypoint: HOME=$HOME is not writable; using HOME=/tmp/mlpack-home" >&2
        HOME=/tmp/mlpack-home
        export HOME
        home_link "$2" "$3" || die "cannot link $HOME/$2 to $3"
      fi
      shift 3
      ;;
    --)
      shift
      break
      ;;
    *) die "unknown argument $1" ;;
  esac
done
[ $# -gt 0 ] || die "no command to run after --"
exec "$@"
