#!/usr/bin/env bash
# Ensures the system tools `h264-studio bench` (npm run bench) measures against and with:
#   x264                                   x264 (the x264 anchors)
#   gst-launch-1.0, gst-inspect-1.0        gstreamer1.0-tools
#   openh264enc, y4mdec elements           gstreamer1.0-plugins-bad (the OpenH264 anchor)
#   ffmpeg                                 ffmpeg (decodes every stream for the quality figures)
#   /usr/bin/time                          time (the anchors' peak memory)
# Installs only what is missing (one apt-get update, then apt-get install) when run as root; else,
# or when apt-get fails, exits 1 naming the packages.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-apt.sh"

NAME=setup-bench-deps
PURPOSE="the bench needs"
PRESENT="x264, ffmpeg, /usr/bin/time, gst-launch-1.0 with openh264enc and y4mdec"

check() {
  command -v x264 >/dev/null 2>&1 || need x264
  command -v ffmpeg >/dev/null 2>&1 || need ffmpeg
  [[ -x /usr/bin/time ]] || need time
  gst_elements gstreamer1.0-plugins-bad openh264enc y4mdec
}

ensure_packages
