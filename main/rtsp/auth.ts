/**
 * HTTP authentication as RTSP uses it (RFC 2326 16 points to RFC 2617): Digest with MD5 (RFC 7616,
 * which obsoletes RFC 2617 and keeps its MD5 computation) and, only when asked for, Basic
 * (RFC 7617). Both sides: the server's challenges and checks, and the Authorization value a
 * client (our push client, tests) sends back. Pure apart from node:crypto.
 *
 * Nonces are stateless, in the form RFC 2617 3.2.1 suggests (a time-stamp and a keyed hash of it
 * and of the client's address): the time they were issued and an HMAC-SHA256 of that time and the
 * address under a secret, so the server keeps nothing per client and can tell its own nonces,
 * their age and whom they were issued to from any other string. A nonce is good only from the
 * address it was issued to, and an answer only for the request-URI it names (RFC 7616 3.4.6), so a
 * captured Authorization value cannot be replayed from elsewhere or for another URL. From the same
 * address it can within the nonce's lifetime (the replay RFC 2617 4.5 describes: RTSP clients send
 * no nonce count without qop, and the players in use do not answer qop); the lifetime bounds that,
 * and the Digest exchange never reveals the password.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseRtspUrl } from './message.js';

export interface Credentials {
  user: string;
  password: string;
}

export interface AuthenticatorOptions {
  /** e.g. "H264 Studio" */
  realm: string;
  credentials: Credentials;
  /** Default false: Basic sends the password in clear, only when asked. */
  allowBasic?: boolean;
  /** Default 5 minutes. */
  nonceLifetimeMs?: number;
  /** For tests; default Date.now. */
  now?: () => number;
  /** Key for stateless nonces; default random 32 bytes. */
  secret?: Uint8Array;
}

/** A header that cannot be read as a challenge or credentials, or no challenge this side can answer. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
}

/** One challenge (WWW-Authenticate) or credentials (Authorization): RFC 7235 2.1. */
export interface AuthChallenge {
  scheme: string;
  /** auth-params, names lower-cased (they are case-insensitive, RFC 7235 2.1), values unquoted. */
  params: Record<string, string>;
  /** The token68 form instead of auth-params (Basic's credentials). */
  token68?: string;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;
const TOKEN68 = /[A-Za-z0-9\-._~+/]+=*/y;
/** RFC 7230 3.2.6: CTLs other than HTAB may not appear in a quoted-string, escaped or not. */
const CTL_BUT_HT = /[\x00-\x08\x0a-\x1f\x7f]/;

function describe(value: string): string {
  return JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}...` : value);
}

/** Reads the challenges or credentials of one header value (RFC 7235 2.1, 4.1). */
class AuthHeaderReader {
  private pos = 0;

  constructor(private readonly text: string) {}

  private fail(what: string): AuthError {
    return new AuthError(`invalid authentication header ${describe(this.text)}: ${what} at position ${this.pos}`);
  }

  private get atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  private skipOws(): void {
    while (this.text[this.pos] === ' ' || this.text[this.pos] === '\t') this.pos++;
  }

  /** Skips OWS and empty list elements, which "a recipient MUST parse and ignore" (RFC 7230 7). */
  private skipSeparators(): void {
    for (;;) {
      this.skipOws();
      if (this.text[this.pos] !== ',') return;
      this.pos++;
    }
  }

  private match(re: RegExp): string | null {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m) return null;
    this.pos += m[0].length;
    return m[0];
  }

  /** quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 7230 3.2.6), without its quotes and escapes. */
  private quoted(): string {
    this.pos++;
    let value = '';
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) throw this.fail('unterminated quoted string');
      this.pos++;
      if (c === '"') return value;
      if (c === '\\') {
        const escaped = this.text[this.pos];
        if (escaped === undefined) throw this.fail('unterminated quoted string');
        if (CTL_BUT_HT.test(escaped)) throw this.fail('control character in quoted string');
        value += escaped;
        this.pos++;
      } else if (CTL_BUT_HT.test(c)) {
        throw this.fail('control character in quoted string');
      } else {
        value += c;
      }
    }
  }

  /** Whether an auth-param (token BWS "=") starts here, rather than another challenge's scheme. */
  private paramAhead(): boolean {
    const save = this.pos;
    const name = this.match(TOKEN);
    this.skipOws();
    const yes = name !== null && this.text[this.pos] === '=';
    this.pos = save;
    return yes;
  }

  readAll(): AuthChallenge[] {
    const out: AuthChallenge[] = [];
    this.skipSeparators();
    while (!this.atEnd) {
      const scheme = this.match(TOKEN);
      if (scheme === null) throw this.fail('expected an authentication scheme');
      const challenge: AuthChallenge = { scheme, params: Object.create(null) as Record<string, string> };
      out.push(challenge);
      // auth-scheme [ 1*SP ( token68 / #auth-param ) ]
      if (this.text[this.pos] === ' ') {
        this.skipOws();
        const save = this.pos;
        const token68 = this.match(TOKEN68);
        this.skipOws();
        if (token68 !== null && (this.atEnd || this.text[this.pos] === ',')) {
          challenge.token68 = token68;
        } else {
          this.pos = save;
          this.readParams(challenge.params);
        }
      }
      this.skipOws();
      if (!this.atEnd && this.text[this.pos] !== ',') throw this.fail('expected "," or the end');
      this.skipSeparators();
    }
    return out;
  }

  /** #auth-param, auth-param = token BWS "=" BWS ( token / quoted-string ); stops before a following challenge. */
  private readParams(params: Record<string, string>): void {
    for (;;) {
      const name = this.match(TOKEN);
      if (name === null) throw this.fail('expected a parameter name');
      this.skipOws();
      if (this.text[this.pos] !== '=') throw this.fail(`expected "=" after ${name}`);
      this.pos++;
      this.skipOws();
      let value: string | null;
      if (this.text[this.pos] === '"') value = this.quoted();
      else value = this.match(TOKEN);
      if (value === null) throw this.fail(`expected a value for ${name}`);
      const key = name.toLowerCase();
      // RFC 7235 2.1: "Each parameter name MUST only occur once per challenge."
      if (Object.hasOwn(params, key)) throw this.fail(`parameter ${name} given twice`);
      params[key] = value;
      this.skipOws();
      if (this.text[this.pos] !== ',') return;
      const save = this.pos;
      this.skipSeparators();
      if (this.atEnd || !this.paramAhead()) {
        this.pos = save;
        return;
      }
    }
  }
}

/**
 * Parses every challenge in a WWW-Authenticate value (one value may hold several, RFC 7235 4.1:
 * `Digest realm="a", nonce="b", Basic realm="a"`). Throws AuthError on malformed text.
 */
export function parseAuthChallenges(value: string): AuthChallenge[] {
  return new AuthHeaderReader(value).readAll();
}

/**
 * Parses `Scheme k=v, k="quoted, with comma", ...` (RFC 7235 2.1 auth-param, quoted-string with
 * backslash escapes), or `Scheme token68` (then `token68` is set and `params` is empty). Throws
 * AuthError when the value is malformed or holds other than exactly one challenge/credentials.
 */
export function parseAuthHeader(value: string): AuthChallenge {
  const all = parseAuthChallenges(value);
  if (all.length !== 1) throw new AuthError(`expected one authentication scheme in ${describe(value)}, got ${all.length}`);
  return all[0]!;
}

function md5(text: string): string {
  // Digest hashes the UTF-8 bytes of user name and password: the one charset RFC 7616 3.3 lets a
  // server announce, and what ffmpeg and GStreamer send without being told.
  return createHash('md5').update(text, 'utf8').digest('hex');
}

export interface DigestInput {
  username: string;
  password: string;
  realm: string;
  nonce: string;
  method: string;
  uri: string;
  /** 'auth', or absent for the RFC 2069 form without qop. */
  qop?: 'auth';
  /** nc-value: 8 hex digits (with qop). */
  nc?: string;
  cnonce?: string;
}

/** H(A1) = MD5(username ":" realm ":" passwd), RFC 7616 3.4.2. */
function digestHa1(username: string, realm: string, password: string): string {
  return md5(`${username}:${realm}:${password}`);
}

/** KD(H(A1), ...) with A2 = Method ":" request-uri, RFC 7616 3.4.1 and 3.4.3. */
function digestFromHa1(ha1: string, d: Omit<DigestInput, 'username' | 'password' | 'realm'>): string {
  const ha2 = md5(`${d.method}:${d.uri}`);
  if (d.qop === undefined) return md5(`${ha1}:${d.nonce}:${ha2}`); // no qop: the RFC 2069 form, RFC 2617 3.2.2.1
  return md5(`${ha1}:${d.nonce}:${d.nc ?? ''}:${d.cnonce ?? ''}:${d.qop}:${ha2}`);
}

/** The request-digest (the `response` parameter) of RFC 7616 3.4.1 with algorithm MD5, as 32 lower-case hex digits. */
export function digestResponse(d: DigestInput): string {
  return digestFromHa1(digestHa1(d.username, d.realm, d.password), d);
}

/** A quoted-string of `value` (RFC 7230 3.2.6), escaping '"' and '\'. */
function quote(what: string, value: string): string {
  if (CTL_BUT_HT.test(value)) throw new RangeError(`${what} must not contain control characters, got ${describe(value)}`);
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

function digestOffersAuth(challenge: AuthChallenge): boolean {
  return (challenge.params.qop ?? '').split(',').some((q) => q.trim().toLowerCase() === 'auth');
}

function digestUsable(challenge: AuthChallenge): boolean {
  const { realm, nonce, algorithm, qop } = challenge.params;
  if (challenge.scheme.toLowerCase() !== 'digest' || realm === undefined || nonce === undefined) return false;
  if (algorithm !== undefined && algorithm.toLowerCase() !== 'md5') return false; // SHA-256, MD5-sess: not spoken here
  return qop === undefined || digestOffersAuth(challenge); // auth-int alone needs the body hashed: not supported
}

/**
 * The Digest Authorization value answering one Digest `challenge` (RFC 7616 3.4): with qop=auth
 * when the challenge offers it, nc from `nonceCount` (default 1), cnonce random unless given.
 * Throws AuthError when the challenge is not a Digest MD5 one this can answer.
 */
export function digestAuthorization(
  method: string,
  uri: string,
  challenge: AuthChallenge,
  credentials: Credentials,
  options: { nonceCount?: number; cnonce?: string } = {},
): string {
  if (!digestUsable(challenge)) throw new AuthError(`cannot answer ${challenge.scheme} challenge: expected Digest with realm, nonce, MD5 and qop auth or none`);
  const { realm, nonce, opaque, algorithm } = challenge.params as { realm: string; nonce: string; opaque?: string; algorithm?: string };
  const nonceCount = options.nonceCount ?? 1;
  if (!Number.isInteger(nonceCount) || nonceCount < 1 || nonceCount > 0xffffffff) {
    throw new RangeError(`nonceCount must be an integer in 1..4294967295, got ${nonceCount}`);
  }
  const qop = digestOffersAuth(challenge) ? 'auth' : undefined;
  const nc = nonceCount.toString(16).padStart(8, '0'); // nc-value = 8LHEX (RFC 2617 3.2.2)
  const cnonce = options.cnonce ?? randomBytes(8).toString('hex');
  const response = digestResponse({ username: credentials.user, password: credentials.password, realm, nonce, method, uri, qop, nc, cnonce });
  const parts = [
    `username=${quote('user', credentials.user)}`,
    `realm=${quote('realm', realm)}`,
    `nonce=${quote('nonce', nonce)}`,
    `uri=${quote('uri', uri)}`,
  ];
  // Echoed as the server wrote it: MD5 is the only value that gets here.
  if (algorithm !== undefined) parts.push(`algorithm=${algorithm}`);
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${quote('cnonce', cnonce)}`);
  parts.push(`response="${response}"`);
  // opaque goes back unchanged (RFC 7616 3.3, 3.4).
  if (opaque !== undefined) parts.push(`opaque=${quote('opaque', opaque)}`);
  return `Digest ${parts.join(', ')}`;
}

/** `Basic base64(user ":" password)` over UTF-8 (RFC 7617 2, 2.1). */
export function basicAuthorization(credentials: Credentials): string {
  // RFC 7617 2: "a user-id containing a colon character is invalid".
  if (credentials.user.includes(':')) throw new AuthError(`Basic cannot carry a user name containing ':', got ${describe(credentials.user)}`);
  return `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`, 'utf8').toString('base64')}`;
}

/**
 * Client side (push client, tests): the Authorization header value answering `challenges`
 * (WWW-Authenticate values) for `method` `uri`; prefers Digest (with qop=auth when offered,
 * cnonce random, nc=00000001 or from `nonceCount`), falls back to Basic. Throws AuthError when no
 * challenge is usable. Challenges that cannot be parsed are skipped.
 */
export function authorizationFor(method: string, uri: string, challenges: string[], credentials: Credentials, nonceCount?: number): string {
  const parsed = challenges.flatMap((value) => {
    try {
      return parseAuthChallenges(value);
    } catch {
      return [];
    }
  });
  const digest = parsed.find(digestUsable);
  if (digest) return digestAuthorization(method, uri, digest, credentials, { nonceCount });
  if (parsed.some((c) => c.scheme.toLowerCase() === 'basic')) return basicAuthorization(credentials);
  throw new AuthError(`no usable challenge: expected Digest (MD5) or Basic, got ${describe(challenges.join(' | '))}`);
}

/** Constant-time equality of two strings of any lengths: their SHA-256 digests are compared. */
function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

/** username*=UTF-8''percent-encoded (RFC 7616 3.4, in RFC 8187 3.2's encoding), for names a quoted-string cannot hold. */
function decodeExtValue(value: string): string | undefined {
  const m = /^utf-8'[^']*'(.*)$/i.exec(value);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
}

const TIMESTAMP_BYTES = 8;
const MAC_BYTES = 32;

export type AuthVerdict = 'ok' | 'stale' | 'denied';

export class RtspAuthenticator {
  private readonly realm: string;
  private readonly user: string;
  private readonly password: string;
  private readonly ha1: string;
  private readonly allowBasic: boolean;
  private readonly nonceLifetimeMs: number;
  private readonly now: () => number;
  private readonly secret: Buffer;

  constructor(options: AuthenticatorOptions) {
    const { realm, credentials } = options;
    if (typeof realm !== 'string' || realm === '' || CTL_BUT_HT.test(realm)) throw new RangeError(`realm must be a non-empty string without control characters, got ${describe(String(realm))}`);
    if (typeof credentials?.user !== 'string' || typeof credentials.password !== 'string') throw new TypeError('credentials must have a string user and password');
    if (CTL_BUT_HT.test(credentials.user)) throw new RangeError(`user must not contain control characters, got ${describe(credentials.user)}`);
    const lifetime = options.nonceLifetimeMs ?? 5 * 60_000;
    if (!Number.isFinite(lifetime) || lifetime <= 0) throw new RangeError(`nonceLifetimeMs must be a positive number, got ${lifetime}`);
    if (options.secret !== undefined && options.secret.length < 16) throw new RangeError(`secret must be at least 16 bytes, got ${options.secret.length}`);
    this.realm = realm;
    this.user = credentials.user;
    this.password = credentials.password;
    this.ha1 = digestHa1(credentials.user, realm, credentials.password);
    this.allowBasic = options.allowBasic ?? false;
    this.nonceLifetimeMs = lifetime;
    this.now = options.now ?? Date.now;
    this.secret = Buffer.from(options.secret ?? randomBytes(32));
  }

  /**
   * WWW-Authenticate header values for a 401: `Digest realm="...", nonce="...", algorithm=MD5` and,
   * when allowBasic, `Basic realm="..."`. No qop: live555's and GStreamer's clients, and VLC, all
   * answer this form (GStreamer ignores a qop offer anyway). RFC 2326 16 points to RFC 2617, where
   * qop "is optional, but is made so only for backward compatibility with RFC 2069" (3.2.1);
   * RFC 7616 later made it required. If `stale` is true, adds stale=TRUE (RFC 7616 3.3: the
   * client may retry with the new nonce without asking the user again). `client`: the address
   * the challenge goes to; its nonce verifies only from there.
   */
  challenge(stale = false, client = ''): string[] {
    const realm = quote('realm', this.realm);
    const digest = `Digest realm=${realm}, nonce="${this.issueNonce(client)}", algorithm=MD5${stale ? ', stale=TRUE' : ''}`;
    return this.allowBasic ? [digest, `Basic realm=${realm}`] : [digest];
  }

  /**
   * A nonce for `client` (an address; '' for none):
   * base64url(issue time in ms, 8 bytes big-endian || HMAC-SHA256(secret, those 8 bytes || client)).
   */
  issueNonce(client = ''): string {
    const stamp = Buffer.alloc(TIMESTAMP_BYTES);
    stamp.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(this.now()))));
    return Buffer.concat([stamp, this.mac(stamp, client)]).toString('base64url');
  }

  private mac(stamp: Buffer, client: string): Buffer {
    return createHmac('sha256', this.secret).update(stamp).update(client, 'utf8').digest();
  }

  /**
   * 'fresh' or 'expired' for a nonce this authenticator issued to `client`, 'forged' for anything
   * else (a nonce issued to another address among them).
   */
  private nonceState(nonce: string, client: string): 'fresh' | 'expired' | 'forged' {
    const bytes = Buffer.from(nonce, 'base64url');
    // Node's base64url decoder skips characters outside the alphabet: only the canonical
    // spelling of the right length is ours.
    if (bytes.length !== TIMESTAMP_BYTES + MAC_BYTES || bytes.toString('base64url') !== nonce) return 'forged';
    const stamp = bytes.subarray(0, TIMESTAMP_BYTES);
    if (!timingSafeEqual(this.mac(stamp, client), bytes.subarray(TIMESTAMP_BYTES))) return 'forged';
    // A nonce from the future was still made with our secret: the clock stepped back. It counts as fresh.
    const age = this.now() - Number(stamp.readBigUInt64BE());
    return age > this.nonceLifetimeMs ? 'expired' : 'fresh';
  }

  /**
   * Checks an Authorization header for a request with this method: Digest (username, realm, nonce,
   * uri, response; with or without qop=auth, in which case nc and cnonce are used, RFC 7616 3.4.1;
   * algorithm MD5 or absent) or Basic when allowed.
   * The nonce must be one this authenticator issued to `request.client` ('' by default) and not
   * older than nonceLifetimeMs; when `request.uri` (the request line's URI) is given, the Digest
   * `uri` must name the same resource (sameRequestUri). Secrets are compared in constant time.
   * Returns 'ok', 'stale' (the nonce expired but the response was otherwise right: the client
   * should retry with the new nonce), or 'denied'.
   */
  verify(method: string, authorization: string | undefined, request: { uri?: string; client?: string } = {}): AuthVerdict {
    if (authorization === undefined) return 'denied';
    let credentials: AuthChallenge;
    try {
      credentials = parseAuthHeader(authorization);
    } catch {
      return 'denied';
    }
    const scheme = credentials.scheme.toLowerCase();
    if (scheme === 'digest') return this.verifyDigest(method, credentials.params, request.uri, request.client ?? '');
    if (scheme === 'basic' && this.allowBasic) return this.verifyBasic(credentials.token68);
    return 'denied';
  }

  private verifyDigest(method: string, p: Record<string, string>, requestUri: string | undefined, client: string): AuthVerdict {
    const username = p.username ?? (p['username*'] !== undefined ? decodeExtValue(p['username*']) : undefined);
    const { realm, nonce, uri, response, algorithm, qop, nc, cnonce } = p;
    if (username === undefined || realm === undefined || nonce === undefined || uri === undefined || response === undefined) return 'denied';
    // userhash (RFC 7616 3.4) is never offered, so never accepted.
    if (p.userhash !== undefined && p.userhash.toLowerCase() !== 'false') return 'denied';
    if (realm !== this.realm) return 'denied';
    if (requestUri !== undefined && !sameRequestUri(uri, requestUri)) return 'denied';
    if (algorithm !== undefined && algorithm.toLowerCase() !== 'md5') return 'denied';
    if (!/^[0-9a-fA-F]{32}$/.test(response)) return 'denied';
    let expected: string;
    if (qop === undefined) {
      expected = digestFromHa1(this.ha1, { method, uri, nonce });
    } else {
      // With qop, cnonce and nc are required and nc-value = 8LHEX (RFC 2617 3.2.2).
      if (qop.toLowerCase() !== 'auth' || cnonce === undefined || nc === undefined || !/^[0-9a-fA-F]{8}$/.test(nc)) return 'denied';
      expected = digestFromHa1(this.ha1, { method, uri, nonce, qop: 'auth', nc, cnonce });
    }
    const state = this.nonceState(nonce, client);
    // Both comparisons run whatever the first gives, so timing does not tell which one failed.
    const userOk = sameSecret(username, this.user);
    const responseOk = sameSecret(response.toLowerCase(), expected);
    if (state === 'forged' || !userOk || !responseOk) return 'denied';
    return state === 'expired' ? 'stale' : 'ok';
  }

  private verifyBasic(token68: string | undefined): AuthVerdict {
    // token68 is base64 with padding for Basic (RFC 7617 2).
    if (token68 === undefined || token68.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(token68)) return 'denied';
    let decoded: string;
    try {
      decoded = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(token68, 'base64'));
    } catch {
      return 'denied';
    }
    const colon = decoded.indexOf(':');
    if (colon < 0) return 'denied';
    const userOk = sameSecret(decoded.slice(0, colon), this.user);
    const passwordOk = sameSecret(decoded.slice(colon + 1), this.password);
    return userOk && passwordOk ? 'ok' : 'denied';
  }
}

/**
 * Whether a Digest answer's `uri` names the request's own URI (RFC 7616 3.4.6: the server checks
 * it, so an answer captured for one URL does not open another). The same string; or, since clients
 * spell it differently, the same URL once parsed without its userinfo (ffmpeg strips user and
 * password from the request line, a client may keep them), scheme and host in any case and the
 * default port 554 written or not; or the request URI's path (and query) alone, as HTTP clients
 * send it.
 */
export function sameRequestUri(digestUri: string, requestUri: string): boolean {
  if (digestUri === requestUri) return true;
  const a = requestUrl(requestUri);
  if (a === null) return false;
  if (digestUri.startsWith('/')) return digestUri === a.path;
  const b = requestUrl(digestUri);
  return b !== null && a.scheme === b.scheme && a.host.toLowerCase() === b.host.toLowerCase() && a.port === b.port && a.path === b.path;
}

/** parseRtspUrl's answer, or null for what is not an rtsp:// or rtsps:// URL. */
function requestUrl(text: string): ReturnType<typeof parseRtspUrl> | null {
  try {
    return parseRtspUrl(text);
  } catch {
    return null;
  }
}
