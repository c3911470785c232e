// HTTP authentication as RTSP uses it: the Digest computation held to the worked example of
// RFC 2617 3.5, our server side against our client side (with and without qop, every way a
// request can be wrong, nonce expiry and forgery), Basic only when allowed, Unicode credentials,
// and then real clients: ffmpeg and GStreamer answer our challenge and their answers must verify.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { type AddressInfo, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  type AuthVerdict,
  type Credentials,
  AuthError,
  RtspAuthenticator,
  authorizationFor,
  basicAuthorization,
  digestAuthorization,
  digestResponse,
  parseAuthChallenges,
  parseAuthHeader,
  sameRequestUri,
} from '../../../main/rtsp/auth.js';
import { type RtspRequest, RtspHeaders, RtspMessageReader, serializeResponse } from '../../../main/rtsp/message.js';
import { thrown } from '../../helpers/errors.js';

// RFC 2617 3.5, the example both RFC 2617 and implementations are checked against.
const RFC2617 = {
  username: 'Mufasa',
  password: 'Circle Of Life',
  realm: 'testrealm@host.com',
  nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
  opaque: '5ccc069c403ebaf9f0171e9517f40e41',
  uri: '/dir/index.html',
  cnonce: '0a4f113b',
  response: '6629fae49393a05397450978507c4ef1',
};
const RFC2617_CHALLENGE = `Digest realm="${RFC2617.realm}", qop="auth,auth-int", nonce="${RFC2617.nonce}", opaque="${RFC2617.opaque}"`;

const CREDENTIALS: Credentials = { user: 'studio', password: 'correct horse battery staple' };
const REALM = 'H264 Studio';
const URI = 'rtsp://127.0.0.1:8554/live';

function authenticator(options: Partial<ConstructorParameters<typeof RtspAuthenticator>[0]> = {}) {
  let now = 1_700_000_000_000;
  const auth = new RtspAuthenticator({ realm: REALM, credentials: CREDENTIALS, now: () => now, ...options });
  return { auth, advance: (ms: number) => (now += ms) };
}

/** The challenge with qop="auth" offered too (RFC 7616 3.3), around the same nonce. */
function withQop(challenge: string): string {
  return `${challenge}, qop="auth"`;
}

/** Replaces one parameter's quoted value in an Authorization header. */
function withParam(authorization: string, name: string, value: string): string {
  const re = new RegExp(`\\b${name}="[^"]*"`);
  expect(authorization).toMatch(re);
  return authorization.replace(re, `${name}="${value}"`);
}

describe('Digest computation (RFC 7616 3.4.1, MD5)', () => {
  it('gives the response of the worked example of RFC 2617 3.5', () => {
    expect(digestResponse({ ...RFC2617, method: 'GET', qop: 'auth', nc: '00000001' })).toBe(RFC2617.response);
  });

  it("answers the RFC's challenge with the RFC's Authorization header", () => {
    const [challenge] = parseAuthChallenges(RFC2617_CHALLENGE);
    const authorization = digestAuthorization('GET', RFC2617.uri, challenge!, { user: RFC2617.username, password: RFC2617.password }, { cnonce: RFC2617.cnonce });
    expect(authorization).toBe(
      'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", ' +
        'qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
  });

  it('authorizationFor hashes the same way, with a fresh cnonce each time and nc from nonceCount', () => {
    const user = { user: RFC2617.username, password: RFC2617.password };
    const first = parseAuthHeader(authorizationFor('GET', RFC2617.uri, [RFC2617_CHALLENGE], user)).params;
    const second = parseAuthHeader(authorizationFor('GET', RFC2617.uri, [RFC2617_CHALLENGE], user, 2)).params;
    expect(first).toMatchObject({ username: 'Mufasa', realm: RFC2617.realm, nonce: RFC2617.nonce, uri: RFC2617.uri, qop: 'auth', nc: '00000001', opaque: RFC2617.opaque });
    expect(first.cnonce).toMatch(/^[0-9a-f]{16}$/);
    expect(second.nc).toBe('00000002');
    expect(second.cnonce).not.toBe(first.cnonce);
    for (const p of [first, second]) {
      expect(p.response).toBe(digestResponse({ ...RFC2617, method: 'GET', qop: 'auth', nc: p.nc, cnonce: p.cnonce! }));
    }
  });

  it('without qop offered answers in the RFC 2069 form: MD5(HA1:nonce:HA2)', () => {
    const p = parseAuthHeader(authorizationFor('DESCRIBE', URI, [`Digest realm="${REALM}", nonce="n0nce"`], CREDENTIALS)).params;
    expect(p).not.toHaveProperty('qop');
    expect(p).not.toHaveProperty('nc');
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const ha1 = md5(`${CREDENTIALS.user}:${REALM}:${CREDENTIALS.password}`);
    expect(p.response).toBe(md5(`${ha1}:n0nce:${md5(`DESCRIBE:${URI}`)}`));
  });

  it('hashes the UTF-8 bytes of Unicode user names and passwords', () => {
    const user = { user: 'Jäsøn 山田', password: 'pässwörd 🔑' };
    const p = parseAuthHeader(authorizationFor('DESCRIBE', URI, [`Digest realm="${REALM}", nonce="n"`], user)).params;
    expect(p.username).toBe(user.user);
    const md5 = (s: string) => createHash('md5').update(Buffer.from(s, 'utf8')).digest('hex');
    expect(p.response).toBe(md5(`${md5(`${user.user}:${REALM}:${user.password}`)}:n:${md5(`DESCRIBE:${URI}`)}`));
  });
});

describe('parseAuthHeader', () => {
  it('reads auth-params: tokens and quoted strings with commas and escapes, names case-insensitive (RFC 7235 2.1)', () => {
    expect(parseAuthHeader('Digest Realm="a, b", NONCE=xyz, qop="auth,auth-int" ,opaque="q\\"u\\\\x", algorithm = MD5')).toEqual({
      scheme: 'Digest',
      params: { realm: 'a, b', nonce: 'xyz', qop: 'auth,auth-int', opaque: 'q"u\\x', algorithm: 'MD5' },
    });
  });

  it('reads the token68 form, where an auth-param cannot be (RFC 7235 2.1)', () => {
    expect(parseAuthHeader('Basic c3R1ZGlvOnBhc3M=')).toEqual({ scheme: 'Basic', params: {}, token68: 'c3R1ZGlvOnBhc3M=' });
    // A name without "=" and a value is a token68, not a broken parameter.
    expect(parseAuthHeader('Digest realm=')).toEqual({ scheme: 'Digest', params: {}, token68: 'realm=' });
  });

  it('reads several challenges in one WWW-Authenticate value (RFC 7235 4.1)', () => {
    const all = parseAuthChallenges('Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple", , Negotiate');
    expect(all).toEqual([
      { scheme: 'Newauth', params: { realm: 'apps', type: '1', title: 'Login to "apps"' } },
      { scheme: 'Basic', params: { realm: 'simple' } },
      { scheme: 'Negotiate', params: {} },
    ]);
    expect(thrown(() => parseAuthHeader('Basic realm="a", Digest realm="b"'))).toBeInstanceOf(AuthError);
  });

  it.each([
    ['Digest realm="unterminated', 'unterminated quoted string'],
    ['Digest realm="a", realm="b"', 'parameter realm given twice'],
    ['Digest realm "x"', 'expected "=" after realm'],
    ['Digest realm=@', 'expected a value for realm'],
    ['Digest realm=,nonce=x', 'expected "," or the end'],
    ['Digest realm="a\nb"', 'control character in quoted string'],
    ['Digest realm="a" nonce="b"', 'expected "," or the end'],
    ['"Digest"', 'expected an authentication scheme'],
  ])('refuses %j', (value, message) => {
    const e = thrown(() => parseAuthHeader(value));
    expect(e).toBeInstanceOf(AuthError);
    expect(e.message).toContain(message);
  });
});

describe('RtspAuthenticator', () => {
  it('challenges with Digest MD5 and no qop, and Basic only when allowed', () => {
    const [digest, ...rest] = authenticator().auth.challenge();
    expect(digest).toMatch(/^Digest realm="H264 Studio", nonce="[A-Za-z0-9_-]{54}", algorithm=MD5$/);
    expect(rest).toEqual([]);
    const both = authenticator({ allowBasic: true }).auth.challenge(true);
    expect(both[0]).toMatch(/, stale=TRUE$/);
    expect(both[1]).toBe('Basic realm="H264 Studio"');
  });

  it('quotes a realm with quotes and backslashes', () => {
    const { auth } = authenticator({ realm: 'the "best" \\ cam' });
    expect(parseAuthHeader(auth.challenge()[0]!).params.realm).toBe('the "best" \\ cam');
    expect(auth.verify('OPTIONS', authorizationFor('OPTIONS', '*', auth.challenge(), CREDENTIALS))).toBe('ok');
  });

  it('accepts its own client answering its challenge, with and without qop', () => {
    const { auth } = authenticator();
    for (const method of ['OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY', 'ANNOUNCE', 'RECORD', 'TEARDOWN']) {
      const [challenge] = auth.challenge();
      expect(auth.verify(method, authorizationFor(method, URI, [challenge!], CREDENTIALS))).toBe('ok');
      expect(auth.verify(method, authorizationFor(method, URI, [withQop(challenge!)], CREDENTIALS, 7))).toBe('ok');
    }
  });

  it('denies a wrong password, a wrong user, and an answer for another method', () => {
    const { auth } = authenticator();
    const challenges = auth.challenge();
    for (const qop of [false, true]) {
      const c = qop ? challenges.map(withQop) : challenges;
      expect(auth.verify('DESCRIBE', authorizationFor('DESCRIBE', URI, c, { ...CREDENTIALS, password: 'wrong' }))).toBe('denied');
      expect(auth.verify('DESCRIBE', authorizationFor('DESCRIBE', URI, c, { ...CREDENTIALS, user: 'other' }))).toBe('denied');
      expect(auth.verify('DESCRIBE', authorizationFor('DESCRIBE', URI, c, { ...CREDENTIALS, user: 'Studio' }))).toBe('denied');
      expect(auth.verify('SETUP', authorizationFor('DESCRIBE', URI, c, CREDENTIALS))).toBe('denied');
    }
  });

  it('denies a response computed for another uri than the one it names, or with changed nc or cnonce', () => {
    const { auth } = authenticator();
    const good = authorizationFor('PLAY', URI, auth.challenge().map(withQop), CREDENTIALS);
    expect(auth.verify('PLAY', good)).toBe('ok');
    expect(auth.verify('PLAY', withParam(good, 'uri', `${URI}/trackID=1`))).toBe('denied');
    expect(auth.verify('PLAY', withParam(good, 'cnonce', 'abcdef'))).toBe('denied');
    expect(auth.verify('PLAY', good.replace('nc=00000001', 'nc=00000002'))).toBe('denied');
    expect(auth.verify('PLAY', withParam(good, 'realm', 'Other'))).toBe('denied');
  });

  it('denies nonces it did not issue: made up, from another secret, or with the time changed', () => {
    const { auth } = authenticator({ secret: randomBytes(32) });
    const other = authenticator({ secret: randomBytes(32) }).auth;
    const good = authorizationFor('DESCRIBE', URI, auth.challenge(), CREDENTIALS);
    const nonce = parseAuthHeader(good).params.nonce!;
    const forged = Buffer.from(nonce, 'base64url');
    forged[7]! ^= 1; // one millisecond later: the HMAC no longer matches
    for (const challenge of [
      `Digest realm="${REALM}", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093"`,
      `Digest realm="${REALM}", nonce="${randomBytes(40).toString('base64url')}"`,
      `Digest realm="${REALM}", nonce="${forged.toString('base64url')}"`,
      `Digest realm="${REALM}", nonce="${nonce}!"`,
      other.challenge()[0]!,
    ]) {
      expect(auth.verify('DESCRIBE', authorizationFor('DESCRIBE', URI, [challenge], CREDENTIALS)), challenge).toBe('denied');
    }
  });

  it("answers 'stale' for an expired nonce with the right password, 'denied' with a wrong one", () => {
    const { auth, advance } = authenticator({ nonceLifetimeMs: 60_000 });
    const challenge = auth.challenge();
    const right = authorizationFor('DESCRIBE', URI, challenge, CREDENTIALS);
    const wrong = authorizationFor('DESCRIBE', URI, challenge, { ...CREDENTIALS, password: 'guess' });
    advance(60_000);
    expect(auth.verify('DESCRIBE', right)).toBe('ok');
    advance(1);
    expect(auth.verify('DESCRIBE', right)).toBe('stale');
    expect(auth.verify('DESCRIBE', wrong)).toBe('denied');
    expect(auth.verify('DESCRIBE', authorizationFor('DESCRIBE', URI, auth.challenge(true), CREDENTIALS))).toBe('ok');
  });

  it('takes a nonce only from the address it was issued to', () => {
    const { auth } = authenticator();
    const challenge = auth.challenge(false, '192.168.1.20');
    const answer = authorizationFor('DESCRIBE', URI, challenge, CREDENTIALS);
    expect(auth.verify('DESCRIBE', answer, { uri: URI, client: '192.168.1.20' })).toBe('ok');
    for (const client of ['192.168.1.21', '10.0.0.5', '::1', '']) {
      expect(auth.verify('DESCRIBE', answer, { uri: URI, client }), client).toBe('denied');
    }
    // An expired nonce from another address is no hint to retry: denied, not stale.
    const { auth: timed, advance } = authenticator({ nonceLifetimeMs: 1000 });
    const old = authorizationFor('DESCRIBE', URI, timed.challenge(false, '192.168.1.20'), CREDENTIALS);
    advance(1001);
    expect(timed.verify('DESCRIBE', old, { client: '192.168.1.20' })).toBe('stale');
    expect(timed.verify('DESCRIBE', old, { client: '192.168.1.21' })).toBe('denied');
  });

  it("denies an answer for another URL than the request's, and accepts the same URL spelled otherwise", () => {
    const { auth } = authenticator();
    const challenge = auth.challenge();
    const answerFor = (uri: string) => authorizationFor('DESCRIBE', uri, challenge, CREDENTIALS);
    expect(auth.verify('DESCRIBE', answerFor(URI), { uri: URI })).toBe('ok');
    for (const other of [`${URI}2`, 'rtsp://127.0.0.1:8554/other', 'rtsp://127.0.0.2:8554/live', 'rtsp://127.0.0.1:8555/live', `${URI}?x=1`, '/other', '*']) {
      expect(auth.verify('DESCRIBE', answerFor(other), { uri: URI }), other).toBe('denied');
    }
    for (const same of ['rtsp://studio:pw@127.0.0.1:8554/live', 'RTSP://127.0.0.1:8554/live', '/live']) {
      expect(auth.verify('DESCRIBE', answerFor(same), { uri: URI }), same).toBe('ok');
    }
    expect(auth.verify('OPTIONS', authorizationFor('OPTIONS', '*', challenge, CREDENTIALS), { uri: '*' })).toBe('ok');
  });

  it('uses five minutes as the default nonce lifetime', () => {
    const { auth, advance } = authenticator();
    const right = authorizationFor('DESCRIBE', URI, auth.challenge(), CREDENTIALS);
    advance(5 * 60_000);
    expect(auth.verify('DESCRIBE', right)).toBe('ok');
    advance(1);
    expect(auth.verify('DESCRIBE', right)).toBe('stale');
  });

  it('denies what it cannot check: missing header or parameters, other algorithms, other qops, other schemes', () => {
    const { auth } = authenticator();
    const good = authorizationFor('DESCRIBE', URI, auth.challenge().map(withQop), CREDENTIALS);
    const p = parseAuthHeader(good).params;
    const without = (name: string) => `Digest ${Object.entries(p).filter(([k]) => k !== name).map(([k, v]) => `${k}="${v}"`).join(', ')}`;
    expect(auth.verify('DESCRIBE', `Digest ${Object.entries(p).map(([k, v]) => `${k}="${v}"`).join(', ')}`)).toBe('ok');
    for (const name of ['username', 'realm', 'nonce', 'uri', 'response', 'nc', 'cnonce']) expect(auth.verify('DESCRIBE', without(name)), name).toBe('denied');
    expect(auth.verify('DESCRIBE', undefined)).toBe('denied');
    expect(auth.verify('DESCRIBE', '')).toBe('denied');
    expect(auth.verify('DESCRIBE', 'Digest username="studio", realm="unterminated')).toBe('denied');
    expect(auth.verify('DESCRIBE', `${good}, algorithm=SHA-256`)).toBe('denied');
    expect(auth.verify('DESCRIBE', good.replace('qop=auth', 'qop=auth-int'))).toBe('denied');
    expect(auth.verify('DESCRIBE', good.replace('nc=00000001', 'nc=1'))).toBe('denied');
    expect(auth.verify('DESCRIBE', `${good}, userhash=true`)).toBe('denied');
    expect(auth.verify('DESCRIBE', good.replace(/^Digest/, 'Bearer'))).toBe('denied');
  });

  it('accepts algorithm=MD5, an upper-case response and username* (RFC 7616 3.4.4)', () => {
    const { auth } = authenticator({ credentials: { user: 'Jäsøn', password: 'pw' } });
    const good = authorizationFor('DESCRIBE', URI, auth.challenge(), { user: 'Jäsøn', password: 'pw' });
    expect(good).toContain('algorithm=MD5');
    const response = parseAuthHeader(good).params.response!;
    expect(auth.verify('DESCRIBE', withParam(good, 'response', response.toUpperCase()))).toBe('ok');
    const star = good.replace('username="Jäsøn"', `username*=UTF-8''${encodeURIComponent('Jäsøn')}`);
    expect(auth.verify('DESCRIBE', star)).toBe('ok');
  });

  it('takes Basic only when allowed, and checks it (RFC 7617)', () => {
    const strict = authenticator().auth;
    const basic = basicAuthorization(CREDENTIALS);
    expect(basic).toBe(`Basic ${Buffer.from('studio:correct horse battery staple').toString('base64')}`);
    expect(strict.verify('DESCRIBE', basic)).toBe('denied');
    const { auth } = authenticator({ allowBasic: true });
    expect(auth.verify('DESCRIBE', basic)).toBe('ok');
    expect(auth.verify('DESCRIBE', basicAuthorization({ ...CREDENTIALS, password: 'x' }))).toBe('denied');
    expect(auth.verify('DESCRIBE', basicAuthorization({ ...CREDENTIALS, user: 'x' }))).toBe('denied');
    expect(auth.verify('DESCRIBE', 'Basic !!!!')).toBe('denied');
    expect(auth.verify('DESCRIBE', `Basic ${Buffer.from('no colon').toString('base64')}`)).toBe('denied');
    expect(auth.verify('DESCRIBE', `Basic ${Buffer.from([0xff, 0x3a, 0x41]).toString('base64')}`)).toBe('denied');
    // Digest still works when Basic is allowed.
    expect(auth.verify('DESCRIBE', authorizationFor('DESCRIBE', URI, auth.challenge(), CREDENTIALS))).toBe('ok');
  });

  it('accepts Unicode credentials through Digest and Basic', () => {
    const credentials = { user: 'Jäsøn 山田', password: 'pässwörd 🔑 "quoted" \\' };
    const { auth } = authenticator({ credentials, allowBasic: true });
    expect(auth.verify('DESCRIBE', authorizationFor('DESCRIBE', URI, [auth.challenge()[0]!], credentials))).toBe('ok');
    expect(auth.verify('DESCRIBE', authorizationFor('DESCRIBE', URI, [withQop(auth.challenge()[0]!)], credentials))).toBe('ok');
    expect(auth.verify('DESCRIBE', authorizationFor('DESCRIBE', URI, [auth.challenge()[1]!], credentials))).toBe('ok');
    expect(auth.verify('DESCRIBE', authorizationFor('DESCRIBE', URI, [auth.challenge()[0]!], { ...credentials, user: 'Jasøn 山田' }))).toBe('denied');
  });

  it('refuses options it cannot work with', () => {
    expect(thrown(() => new RtspAuthenticator({ realm: '', credentials: CREDENTIALS })).message).toBe('realm must be a non-empty string without control characters, got ""');
    expect(thrown(() => new RtspAuthenticator({ realm: 'a\r\nb', credentials: CREDENTIALS }))).toBeInstanceOf(RangeError);
    expect(thrown(() => new RtspAuthenticator({ realm: REALM, credentials: CREDENTIALS, nonceLifetimeMs: 0 })).message).toBe('nonceLifetimeMs must be a positive number, got 0');
    expect(thrown(() => new RtspAuthenticator({ realm: REALM, credentials: CREDENTIALS, secret: new Uint8Array(4) })).message).toBe('secret must be at least 16 bytes, got 4');
  });
});

describe('sameRequestUri (RFC 7616 3.4.6)', () => {
  it.each([
    ['rtsp://cam.local/live', 'rtsp://cam.local/live', true],
    ['rtsp://u:p@cam.local/live', 'rtsp://cam.local/live', true],
    ['rtsp://CAM.local/live', 'rtsp://cam.local/live', true],
    ['rtsp://cam.local:554/live', 'rtsp://cam.local/live', true],
    ['rtsp://cam.local/live', 'rtsp://cam.local:554/live', true],
    ['/live', 'rtsp://cam.local/live', true],
    ['/live?a=1', 'rtsp://cam.local/live?a=1', true],
    ['*', '*', true],
    ['rtsp://cam.local/live/', 'rtsp://cam.local/live', false],
    ['rtsp://cam.local/LIVE', 'rtsp://cam.local/live', false],
    ['rtsp://cam.local:8554/live', 'rtsp://cam.local/live', false],
    ['rtsps://cam.local/live', 'rtsp://cam.local/live', false],
    ['http://cam.local/live', 'rtsp://cam.local/live', false],
    ['/live', 'rtsp://cam.local/live?a=1', false],
    ['/live', '*', false],
    ['live', 'rtsp://cam.local/live', false],
    ['', 'rtsp://cam.local/live', false],
  ])('%j for %j: %s', (digestUri, requestUri, same) => {
    expect(sameRequestUri(digestUri, requestUri)).toBe(same);
  });
});

describe('authorizationFor: choosing a challenge', () => {
  it('prefers Digest to Basic, in whatever order they come, and falls back to Basic', () => {
    const digest = `Digest realm="${REALM}", nonce="abc"`;
    expect(authorizationFor('OPTIONS', '*', [`Basic realm="${REALM}"`, digest], CREDENTIALS)).toMatch(/^Digest /);
    expect(authorizationFor('OPTIONS', '*', [`Basic realm="${REALM}", ${digest}`], CREDENTIALS)).toMatch(/^Digest /);
    expect(authorizationFor('OPTIONS', '*', [`Digest realm="x", nonce="y", algorithm=SHA-256`, `Basic realm="x"`], CREDENTIALS)).toBe(basicAuthorization(CREDENTIALS));
  });

  it('picks the MD5 challenge among several Digest ones, and skips unreadable ones', () => {
    const got = authorizationFor('OPTIONS', '*', ['Digest realm="x", nonce="a", algorithm=SHA-256', 'Digest realm="unterminated', 'Digest realm="x", nonce="b", algorithm=MD5'], CREDENTIALS);
    expect(parseAuthHeader(got).params.nonce).toBe('b');
  });

  it('throws AuthError when nothing can be answered', () => {
    const cases = [[], ['Bearer realm="x"'], ['Digest realm="x", nonce="y", qop="auth-int"'], ['Digest realm="x"'], ['Digest realm="x", nonce="y", algorithm=MD5-sess']];
    for (const challenges of cases) {
      const e = thrown(() => authorizationFor('OPTIONS', '*', challenges, CREDENTIALS));
      expect(e, JSON.stringify(challenges)).toBeInstanceOf(AuthError);
      expect(e.message).toContain('no usable challenge: expected Digest (MD5) or Basic');
    }
    expect(thrown(() => authorizationFor('OPTIONS', '*', ['Basic realm="x"'], { user: 'a:b', password: 'c' })).message).toBe(
      'Basic cannot carry a user name containing \':\', got "a:b"',
    );
  });

  it('refuses a nonce count outside 1..2^32-1 and credentials that would break the header', () => {
    const c = [`Digest realm="x", nonce="y", qop="auth"`];
    expect(thrown(() => authorizationFor('OPTIONS', '*', c, CREDENTIALS, 0)).message).toBe('nonceCount must be an integer in 1..4294967295, got 0');
    expect(parseAuthHeader(authorizationFor('OPTIONS', '*', c, CREDENTIALS, 0xffffffff)).params.nc).toBe('ffffffff');
    expect(thrown(() => authorizationFor('OPTIONS', '*', c, { user: 'a\r\nX: y', password: 'p' }))).toBeInstanceOf(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Real clients

interface Answer {
  method: string;
  authorization: string;
  verdict: AuthVerdict;
}

/**
 * A one-stream RTSP server that answers OPTIONS, challenges every other request without
 * Authorization (401 with `challenges()`), and records the verdict on the first request that
 * carries one, answering it 404 so the client stops there.
 */
async function challengeServer(auth: RtspAuthenticator, challenges: (client: string) => string[]) {
  const requests: RtspRequest[] = [];
  const answers: Answer[] = [];
  let answered!: () => void;
  const firstAnswer = new Promise<void>((resolve) => (answered = resolve));
  const server = createServer((socket) => {
    const reader = new RtspMessageReader();
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      for (const m of reader.push(chunk)) {
        if (m.kind !== 'request') continue;
        requests.push(m);
        const headers = new RtspHeaders({ CSeq: m.headers.get('cseq') ?? '0' });
        const authorization = m.headers.get('authorization');
        const client = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
        if (authorization !== undefined) {
          // As the server checks: the nonce from this address, the answer for this request's URI.
          answers.push({ method: m.method, authorization, verdict: auth.verify(m.method, authorization, { uri: m.uri, client }) });
          socket.end(serializeResponse({ status: 404, headers }));
          answered();
        } else if (m.method === 'OPTIONS') {
          socket.write(serializeResponse({ status: 200, headers: headers.set('Public', 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN') }));
        } else {
          for (const c of challenges(client)) headers.append('WWW-Authenticate', c);
          socket.write(serializeResponse({ status: 401, headers }));
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { port, requests, answers, firstAnswer, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * Runs a client against a challenge server until it has answered the challenge (or exited, or
 * 20 s passed), then stops it. Resolves with what the server saw and the client's stderr.
 */
async function runClient(
  command: string,
  args: (port: number) => string[],
  auth: RtspAuthenticator,
  challenges: (client: string) => string[] = (client) => auth.challenge(false, client),
): Promise<{ requests: RtspRequest[]; answers: Answer[]; stderr: string }> {
  const server = await challengeServer(auth, challenges);
  let child: ChildProcess | undefined;
  try {
    child = spawn(command, args(server.port), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((resolve) => child!.on('close', () => resolve()));
    const deadline = setTimeout(() => child!.kill('SIGKILL'), 20_000);
    await Promise.race([server.firstAnswer, exited]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    clearTimeout(deadline);
    return { requests: server.requests, answers: server.answers, stderr };
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await server.close();
  }
}

const ffmpeg = (url: (port: number) => string) => (port: number) => ['-nostdin', '-v', 'error', '-rtsp_transport', 'tcp', '-i', url(port), '-f', 'null', '-'];

describe('real clients answering our challenge', () => {
  it('ffmpeg answers Digest without qop, and its answer verifies', async () => {
    const { auth } = authenticator({ now: Date.now });
    const run = await runClient('ffmpeg', ffmpeg((port) => `rtsp://studio:correct%20horse%20battery%20staple@127.0.0.1:${port}/live`), auth);
    expect(run.requests.map((r) => r.method), run.stderr).toEqual(['OPTIONS', 'DESCRIBE', 'DESCRIBE']);
    expect(run.requests[0]!.headers.get('user-agent')).toMatch(/^Lavf\d/);
    expect(run.requests[1]!.headers.get('accept')).toBe('application/sdp');
    expect(run.answers).toHaveLength(1);
    expect(run.answers[0]!.authorization).toMatch(/^Digest /);
    expect(run.answers[0]!.authorization).not.toContain('qop=');
    expect(run.answers[0]!.verdict).toBe('ok');
  });

  it('ffmpeg answers Digest with qop=auth when offered, and its answer verifies', async () => {
    const { auth } = authenticator({ now: Date.now });
    const run = await runClient('ffmpeg', ffmpeg((port) => `rtsp://studio:correct%20horse%20battery%20staple@127.0.0.1:${port}/live`), auth, (client) => auth.challenge(false, client).map(withQop));
    expect(run.answers, run.stderr).toHaveLength(1);
    expect(parseAuthHeader(run.answers[0]!.authorization).params).toMatchObject({ qop: 'auth', nc: '00000001' });
    expect(run.answers[0]!.verdict).toBe('ok');
  });

  it('ffmpeg with Unicode credentials (percent-encoded in the URL) verifies', async () => {
    const credentials = { user: 'Jäsøn', password: 'pässwörd 🔑' };
    const { auth } = authenticator({ now: Date.now, credentials });
    const userinfo = `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}`;
    const run = await runClient('ffmpeg', ffmpeg((port) => `rtsp://${userinfo}@127.0.0.1:${port}/live`), auth);
    expect(run.answers.map((a) => a.verdict), run.stderr).toEqual(['ok']);
  });

  it("ffmpeg's answer with a wrong password is denied", async () => {
    const { auth } = authenticator({ now: Date.now });
    const run = await runClient('ffmpeg', ffmpeg((port) => `rtsp://studio:wrong@127.0.0.1:${port}/live`), auth);
    expect(run.answers.map((a) => a.verdict), run.stderr).toEqual(['denied']);
  });

  it('ffmpeg answers a Basic-only challenge when Basic is allowed, and it verifies', async () => {
    const { auth } = authenticator({ now: Date.now, allowBasic: true });
    const run = await runClient('ffmpeg', ffmpeg((port) => `rtsp://studio:correct%20horse%20battery%20staple@127.0.0.1:${port}/live`), auth, (client) => auth.challenge(false, client).slice(1));
    expect(run.answers.map((a) => [a.authorization, a.verdict]), run.stderr).toEqual([[basicAuthorization(CREDENTIALS), 'ok']]);
  });

  it("GStreamer's rtspsrc answers Digest, and its answer verifies", async () => {
    const { auth } = authenticator({ now: Date.now });
    const run = await runClient(
      'gst-launch-1.0',
      (port) => ['-q', 'rtspsrc', `location=rtsp://127.0.0.1:${port}/live`, `user-id=${CREDENTIALS.user}`, `user-pw=${CREDENTIALS.password}`, 'protocols=tcp', '!', 'fakesink'],
      auth,
    );
    expect(run.requests[0]!.headers.get('user-agent'), run.stderr).toMatch(/^GStreamer\//);
    expect(run.answers.map((a) => [a.method, a.verdict]), run.stderr).toEqual([['DESCRIBE', 'ok']]);
    expect(run.answers[0]!.authorization).toMatch(/^Digest /);
  });

  it("GStreamer's rtspsrc answers a challenge offering qop=auth (it answers without qop), and its answer verifies", async () => {
    const { auth } = authenticator({ now: Date.now });
    const run = await runClient(
      'gst-launch-1.0',
      (port) => ['-q', 'rtspsrc', `location=rtsp://127.0.0.1:${port}/live`, `user-id=${CREDENTIALS.user}`, `user-pw=${CREDENTIALS.password}`, 'protocols=tcp', '!', 'fakesink'],
      auth,
      (client) => auth.challenge(false, client).map(withQop),
    );
    expect(run.answers.map((a) => [a.method, a.verdict]), run.stderr).toEqual([['DESCRIBE', 'ok']]);
  });

  it("GStreamer's answer with a wrong password is denied", async () => {
    const { auth } = authenticator({ now: Date.now });
    const run = await runClient(
      'gst-launch-1.0',
      (port) => ['-q', 'rtspsrc', `location=rtsp://127.0.0.1:${port}/live`, `user-id=${CREDENTIALS.user}`, 'user-pw=wrong', 'protocols=tcp', '!', 'fakesink'],
      auth,
    );
    expect(run.answers.map((a) => a.verdict), run.stderr).toEqual(['denied']);
  });
});
