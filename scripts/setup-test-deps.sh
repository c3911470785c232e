#!/usr/bin/env bash
# Ensures the system tools the tests use as independent peers (STYLE.md "Real peers, not mocks"):
#   ffmpeg, ffprobe                        Debian package ffmpeg
#   gst-launch-1.0, gst-inspect-1.0        gstreamer1.0-tools
#   openh264dec, h264parse elements        gstreamer1.0-plugins-bad
#   openh264enc, y4mdec elements           gstreamer1.0-plugins-bad (the bench's smoke test)
#   videoconvert element                   gstreamer1.0-plugins-base
#   rtspsrc, rtph264depay elements         gstreamer1.0-plugins-good (RTSP server tests: a real player)
#   avdec_h264 element                     gstreamer1.0-libav (the issue's GStreamer player pipeline)
#   GstRtspServer for /usr/bin/python3     python3-gi, gir1.2-gst-rtsp-server-1.0 (the push client's
#                                          tests: a real RTSP server in RECORD mode)
#   x264                                   x264 (the bench's smoke test)
#   /usr/bin/time                          time (the bench measures the anchors' peak memory)
# Installs only what is missing (one apt-get update, then apt-get install) when run as root; else,
# or when apt-get fails, exits 1 naming the packages. Tests never skip because a tool is missing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib-apt.sh"

NAME=setup-test-deps
PURPOSE="the tests need"
PRESENT="ffmpeg, ffprobe, x264, /usr/bin/time, gst-launch-1.0 with openh264dec, openh264enc, y4mdec, h264parse, rtspsrc, rtph264depay and avdec_h264, GstRtspServer for python3"

check() {
  command -v ffmpeg >/dev/null 2>&1 || need ffmpeg
  command -v ffprobe >/dev/null 2>&1 || need ffmpeg
  command -v x264 >/dev/null 2>&1 || need x264
  [[ -x /usr/bin/time ]] || need time
  gst_elements gstreamer1.0-plugins-bad openh264dec h264parse openh264enc y4mdec
  gst_elements gstreamer1.0-plugins-base videoconvert
  gst_elements gstreamer1.0-plugins-good rtspsrc rtph264depay
  gst_elements gstreamer1.0-libav avdec_h264
  # Debian's python3 (a python3 earlier on PATH, such as pyenv's, has no gi).
  [[ -x /usr/bin/python3 ]] && /usr/bin/python3 -c 'import gi' >/dev/null 2>&1 || need python3-gi
  /usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer" >/dev/null 2>&1 ||
    need gir1.2-gst-rtsp-server-1.0
}

ensure_packages
