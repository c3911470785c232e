#!/usr/bin/env bash
# Ensures the system tools the tests use as independent peers (STYLE.md "Real peers, not mocks"):
#   ffmpeg, ffprobe                        Debian package ffmpeg
#   gst-launch-1.0, gst-inspect-1.0        gstreamer1.0-tools
#   openh264dec, h264parse elements        gstreamer1.0-plugins-bad
#   videoconvert element                   gstreamer1.0-plugins-base
# Installs only what is missing (one apt-get update, then apt-get install) when run as root; else,
# or when apt-get fails, exits 1 naming the packages. Tests never skip because a tool is missing.
set -euo pipefail

missing=()
need() { # need PACKAGE: add once
  local p
  for p in "${missing[@]+"${missing[@]}"}"; do [[ $p == "$1" ]] && return 0; done
  missing+=("$1")
}

check() {
  missing=()
  command -v ffmpeg >/dev/null 2>&1 || need ffmpeg
  command -v ffprobe >/dev/null 2>&1 || need ffmpeg
  if command -v gst-launch-1.0 >/dev/null 2>&1 && command -v gst-inspect-1.0 >/dev/null 2>&1; then
    gst-inspect-1.0 --exists openh264dec || need gstreamer1.0-plugins-bad
    gst-inspect-1.0 --exists h264parse || need gstreamer1.0-plugins-bad
    gst-inspect-1.0 --exists videoconvert || need gstreamer1.0-plugins-base
  else
    need gstreamer1.0-tools
    need gstreamer1.0-plugins-bad
    need gstreamer1.0-plugins-base
  fi
}

fail() {
  echo "setup-test-deps: $1; the tests need the Debian packages: ${missing[*]}" >&2
  echo "setup-test-deps: install them as root with: apt-get install --no-install-recommends ${missing[*]}" >&2
  exit 1
}

check
if ((${#missing[@]} == 0)); then
  echo "setup-test-deps: ffmpeg, ffprobe, gst-launch-1.0 with openh264dec and h264parse: all present"
  exit 0
fi

echo "setup-test-deps: missing ${missing[*]}; installing with apt-get"
if ((EUID != 0)); then fail "not root, cannot install"; fi
command -v apt-get >/dev/null 2>&1 || fail "no apt-get on this machine"

# Wait for another apt/dpkg run (an unattended upgrade, a background install) instead of failing
# on its lock; no stdin in CI, so nothing may prompt.
apt_opts=(-q -o DPkg::Lock::Timeout=600)
export DEBIAN_FRONTEND=noninteractive
apt-get "${apt_opts[@]}" update </dev/null >&2 || fail "apt-get update failed"
apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}" </dev/null >&2 ||
  fail "apt-get install failed"

check
((${#missing[@]} == 0)) || fail "still missing after apt-get install"
echo "setup-test-deps: installed; ffmpeg, ffprobe, gst-launch-1.0 with openh264dec and h264parse: all present"
