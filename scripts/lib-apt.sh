# Sourced by the setup-*-deps.sh scripts: make sure Debian packages are installed, installing the
# missing ones with apt-get when running as root.
#
# The sourcing script sets NAME (the prefix of its messages), PURPOSE (who needs the packages:
# "the tests need") and PRESENT (what "all present" lists), defines check() which calls
# `need PACKAGE` for every tool it finds missing, and calls ensure_packages. ensure_packages
# installs only what is missing (one apt-get update, then apt-get install); when not root, without
# apt-get, or when apt-get fails it exits 1 naming the packages and the command that installs them.

missing=()

need() { # need PACKAGE: add once
  local p
  for p in "${missing[@]+"${missing[@]}"}"; do [[ $p == "$1" ]] && return 0; done
  missing+=("$1")
}

apt_fail() {
  echo "$NAME: $1; $PURPOSE the Debian packages: ${missing[*]}" >&2
  echo "$NAME: install them as root with: apt-get install --no-install-recommends ${missing[*]}" >&2
  exit 1
}

ensure_packages() {
  missing=()
  check
  if ((${#missing[@]} == 0)); then
    echo "$NAME: $PRESENT: all present"
    return 0
  fi

  echo "$NAME: missing ${missing[*]}; installing with apt-get"
  if ((EUID != 0)); then apt_fail "not root, cannot install"; fi
  command -v apt-get >/dev/null 2>&1 || apt_fail "no apt-get on this machine"

  # Wait for another apt/dpkg run (an unattended upgrade, a background install) instead of failing
  # on its lock; no stdin in CI, so nothing may prompt.
  local apt_opts=(-q -o DPkg::Lock::Timeout=600)
  export DEBIAN_FRONTEND=noninteractive
  apt-get "${apt_opts[@]}" update </dev/null >&2 || apt_fail "apt-get update failed"
  apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}" </dev/null >&2 ||
    apt_fail "apt-get install failed"

  missing=()
  check
  ((${#missing[@]} == 0)) || apt_fail "still missing after apt-get install"
  echo "$NAME: installed; $PRESENT: all present"
}

# gst_elements PACKAGE ELEMENT...: needs gst-launch-1.0 and gst-inspect-1.0 (gstreamer1.0-tools)
# and each ELEMENT, which PACKAGE provides.
gst_elements() {
  local package=$1 element
  shift
  if command -v gst-launch-1.0 >/dev/null 2>&1 && command -v gst-inspect-1.0 >/dev/null 2>&1; then
    for element in "$@"; do gst-inspect-1.0 --exists "$element" || need "$package"; done
  else
    need gstreamer1.0-tools
    need "$package"
  fi
}
