#!/usr/bin/env bash
# Ensures the system tools the tests use as independent peers (STYLE.md "Real peers, not mocks"):
#   ffmpeg, ffprobe                        Debian package ffmpeg
#   gst-launch-1.0, gst-inspect-1.0        gstreamer1.0-tools
#   openh264dec, h264parse elements        gstreamer1.0-plugins-bad
#   openh264enc, y4mdec elements           gstreamer1.0-plugins-bad (the bench's smoke test)
#   videoconvert element                   gstreamer1.0-plugins-base
#   x264                                   x264 (the bench's smoke test)
#   /usr/bin/time                          time (the bench measures the anchors' peak memory)
# Installs only what is missing (one apt-get update, then apt-get install) when run as root; else,
# or when apt-get fails, exits 1 naming the packages. Tests never skip because a tool is missing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-apt.sh"

NAME=setup-test-deps
PURPOSE="the tests need"
PRESENT="ffmpeg, ffprobe, x264, /usr/bin/time, gst-launch-1.0 with openh264dec, openh264enc, y4mdec and h264parse"

check() {
  command -v ffmpeg >/dev/null 2>&1 || need ffmpeg
  command -v ffprobe >/dev/null 2>&1 || need ffmpeg
  command -v x264 >/dev/null 2>&1 || need x264
  [[ -x /usr/bin/time ]] || need time
  gst_elements gstreamer1.0-plugins-bad openh264dec h264parse openh264enc y4mdec
  gst_elements gstreamer1.0-plugins-base videoconvert
}

ensure_packages
