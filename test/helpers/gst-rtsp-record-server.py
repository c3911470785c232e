#!/usr/bin/python3
"""
A GStreamer RTSP server that accepts one H.264 stream in RECORD mode (RFC 2326 10.11) and writes
what it receives, depayloaded (RFC 6184) and as an Annex-B byte stream, to a file: the real peer of
the push client's tests (test/main/rtsp/push-client.test.ts).

Run with Debian's /usr/bin/python3 (python3-gi, gir1.2-gst-rtsp-server-1.0):

    gst-rtsp-record-server.py --port 0 --out OUT.h264 [--user U --password P [--basic]]
                              [--session-timeout S]

It prints one line per event on stdout, flushed, for the test to wait on rather than sleep:
    ready PORT        listening (PORT is the bound one: --port 0 picks a free port)
    announce          an ANNOUNCE was accepted (its SDP describes the stream)
    record            a RECORD was accepted: media flows from now on
    keepalive METHOD  a GET_PARAMETER or OPTIONS within a session
    teardown          a TEARDOWN arrived
    closed            the recording pipeline stopped: OUT is complete
It exits on SIGTERM or SIGINT, and when its standard input closes, so that a test runner that dies
leaves no server behind.
"""
import argparse
import signal
import sys

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtsp', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

MOUNT = '/push'
ROLE = 'pusher'


def say(line):
    print(line, flush=True)


def main():
    parser = argparse.ArgumentParser(description='GStreamer RTSP server in RECORD mode, writing the stream to a file')
    parser.add_argument('--port', default='0')
    parser.add_argument('--out', required=True)
    parser.add_argument('--user')
    parser.add_argument('--password')
    parser.add_argument('--basic', action='store_true', help='Basic instead of Digest authentication')
    parser.add_argument('--session-timeout', type=int, default=0, help='seconds; 0 keeps GStreamer\'s 60')
    args = parser.parse_args()

    Gst.init(None)
    loop = GLib.MainLoop()
    server = GstRtspServer.RTSPServer()
    server.set_address('127.0.0.1')
    server.set_service(str(args.port))

    factory = GstRtspServer.RTSPMediaFactory()
    # The element named depay0 receives the first stream of the ANNOUNCEd SDP. h264parse with
    # alignment=au writes whole access units, so the file is a plain Annex-B stream ffmpeg reads.
    # The location is a property set below, not part of the launch line, so that any path works.
    factory.set_launch(
        '( rtph264depay name=depay0 ! h264parse config-interval=-1 '
        '! video/x-h264,stream-format=byte-stream,alignment=au ! filesink name=out sync=false async=false )')
    factory.set_transport_mode(GstRtspServer.RTSPTransportMode.RECORD)
    factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP)
    # One recording per client: a shared media would take a second pusher into the same file.
    factory.set_shared(False)

    def on_media_configure(_factory, media):
        sink = media.get_element().get_by_name('out')
        sink.set_property('location', args.out)
        media.connect('unprepared', lambda _m: say('closed'))

    factory.connect('media-configure', on_media_configure)

    if args.user is not None:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, ROLE)
        if args.basic:
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password or ''), token)
        else:
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
            auth.add_digest(args.user, args.password or '', token)
        server.set_auth(auth)
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_permission_for_role(ROLE, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
        permissions.add_permission_for_role(ROLE, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
        factory.set_permissions(permissions)

    server.get_mount_points().add_factory(MOUNT, factory)

    def on_client(_server, client):
        client.connect('announce-request', lambda _c, _ctx: say('announce'))
        client.connect('record-request', lambda _c, _ctx: say('record'))
        client.connect('get-parameter-request', lambda _c, _ctx: say('keepalive GET_PARAMETER'))
        client.connect('teardown-request', lambda _c, _ctx: say('teardown'))

        def on_options(_c, ctx):
            if ctx.request.get_header(GstRtsp.RTSPHeaderField.SESSION, 0)[0] == GstRtsp.RTSPResult.OK:
                say('keepalive OPTIONS')

        client.connect('options-request', on_options)
        if args.session_timeout > 0:
            client.connect('new-session', lambda _c, session: session.set_timeout(args.session_timeout))

    server.connect('client-connected', on_client)

    if server.attach(None) == 0:
        sys.stderr.write(f'cannot listen on 127.0.0.1:{args.port}\n')
        sys.exit(1)
    say(f'ready {server.get_bound_port()}')

    def quit_loop(*_):
        loop.quit()
        return GLib.SOURCE_REMOVE

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, quit_loop)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, quit_loop)

    def on_stdin(source, condition):
        # EOF (or a hang-up): whoever started us is gone.
        if condition & (GLib.IO_HUP | GLib.IO_ERR) or not source.read(4096):
            loop.quit()
            return GLib.SOURCE_REMOVE
        return GLib.SOURCE_CONTINUE

    stdin = GLib.IOChannel.unix_new(sys.stdin.fileno())
    stdin.set_encoding(None)
    GLib.io_add_watch(stdin, GLib.PRIORITY_DEFAULT, GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR, on_stdin)
    loop.run()


if __name__ == '__main__':
    main()
