/**
 * RTSP 1.0 messages (RFC 2326 4, 6, 7) and the binary data interleaved with them on a TCP
 * connection (RFC 2326 10.12): an incremental reader for one connection's bytes, serialisers for
 * requests and responses, and the header values the server and the push client need to
 * understand (Transport, Session, rtsp:// URLs). Pure: no sockets, no timers.
 *
 * The grammar is HTTP/1.1's (RFC 2326 4 builds on RFC 2616); where RFC 2616 left room for
 * interpretation, the stricter reading of RFC 7230 and RFC 7826 is taken, because a message two
 * parsers would frame differently is a request-smuggling hole.
 */

const encoder = new TextEncoder();
/** RFC 2326 4: RTSP "uses the ISO 10646 character set in UTF-8 encoding". */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

const CR = 0x0d;
const LF = 0x0a;
const HT = 0x09;
const DOLLAR = 0x24;

/** token = 1*tchar (RFC 2616 2.2; the same set as RFC 7230 3.2.6). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** CTL = octets 0-31 and 127 (RFC 2616 2.2); HT is allowed inside header values as LWS. */
const CTL_BUT_HT = /[\x00-\x08\x0a-\x1f\x7f]/;
/** RFC 2616 2.2 LWS inside a line: SP and HT, nothing else (no Unicode spaces). */
const OWS_EDGES = /^[ \t]+|[ \t]+$/g;

function trimOws(text: string): string {
  return text.replace(OWS_EDGES, '');
}

/** A value as it may appear in an error message: quoted, and cut short when long. */
function shown(text: string, max = 80): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}...` : text);
}

// ---------------------------------------------------------------------------------------------
// Header fields

function isIterable(value: unknown): value is Iterable<[string, string]> {
  return typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

function checkedName(name: string): string {
  if (!TOKEN.test(name)) throw new TypeError(`header name must be a token (RFC 2616 2.2), got ${shown(name)}`);
  return name;
}

function checkedValue(name: string, value: string | number): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`header ${name} must be a finite number or a string, got ${value}`);
    return String(value);
  }
  // A CR or LF would end the field early and let the rest be read as another header (injection).
  if (CTL_BUT_HT.test(value)) throw new TypeError(`header ${name} must not contain control characters (CR, LF, NUL, ...), got ${shown(value)}`);
  return value;
}

/**
 * Header fields, names case-insensitive (RFC 2326 4.2 via RFC 2616 4.2). Keeps the order and
 * original spelling for serialising. Names must be tokens and values free of control characters:
 * anything else throws a TypeError, so no caller can inject a line into a message.
 */
export class RtspHeaders {
  private readonly fields: [string, string][] = [];

  constructor(init?: Iterable<[string, string]> | Record<string, string | number>) {
    if (init === undefined) return;
    const pairs = isIterable(init) ? init : Object.entries(init);
    for (const [name, value] of pairs) this.append(name, value);
  }

  /** The first value of the field, or undefined. */
  get(name: string): string | undefined {
    const key = name.toLowerCase();
    return this.fields.find(([n]) => n.toLowerCase() === key)?.[1];
  }

  getAll(name: string): string[] {
    const key = name.toLowerCase();
    return this.fields.filter(([n]) => n.toLowerCase() === key).map(([, v]) => v);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Replaces every field of this name by one, at the place of the first (or at the end when new). */
  set(name: string, value: string | number): this {
    const v = checkedValue(name, value);
    const key = checkedName(name).toLowerCase();
    const first = this.fields.findIndex(([n]) => n.toLowerCase() === key);
    if (first < 0) {
      this.fields.push([name, v]);
      return this;
    }
    this.fields[first] = [name, v];
    for (let i = this.fields.length - 1; i > first; i--) if (this.fields[i]![0].toLowerCase() === key) this.fields.splice(i, 1);
    return this;
  }

  append(name: string, value: string | number): this {
    const v = checkedValue(name, value);
    this.fields.push([checkedName(name), v]);
    return this;
  }

  delete(name: string): void {
    const key = name.toLowerCase();
    for (let i = this.fields.length - 1; i >= 0; i--) if (this.fields[i]![0].toLowerCase() === key) this.fields.splice(i, 1);
  }

  /** Copies of the fields, in order, with their names as written. */
  entries(): [string, string][] {
    return this.fields.map(([n, v]) => [n, v]);
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries()[Symbol.iterator]();
  }

  /** Number of fields (a repeated name counts each time). */
  get size(): number {
    return this.fields.length;
  }
}

// ---------------------------------------------------------------------------------------------
// Messages

export interface RtspRequest {
  kind: 'request';
  method: string;
  uri: string;
  version: string;
  headers: RtspHeaders;
  body: Uint8Array;
}

export interface RtspResponse {
  kind: 'response';
  version: string;
  status: number;
  reason: string;
  headers: RtspHeaders;
  body: Uint8Array;
}

/** Binary data on an RTSP connection: '$', channel, 16-bit length, data (RFC 2326 10.12). */
export interface InterleavedFrame {
  kind: 'interleaved';
  channel: number;
  data: Uint8Array;
}

export type RtspMessage = RtspRequest | RtspResponse | InterleavedFrame;

/**
 * Why a byte stream cannot be read as RTSP: `status` is the response to send (400 Bad Request,
 * 413 Request Entity Too Large (header section or body over the limits), 505 RTSP Version Not
 * Supported); the connection must then be closed (the reader cannot resynchronise). `cseq` when
 * the request's CSeq was read.
 */
export class RtspParseError extends Error {
  override readonly name = 'RtspParseError';
  readonly status: number;
  readonly cseq: string | undefined;

  constructor(status: number, message: string, cseq?: string) {
    super(message);
    this.status = status;
    this.cseq = cseq;
  }
}

export interface RtspReaderLimits {
  /** Request or status line plus header fields, line endings and the empty line included. Default 8192. */
  maxHeaderBytes?: number;
  /** Content-Length above this is refused with 413. Default 65536. */
  maxBodyBytes?: number;
  /** Header fields (continuation lines not counted). Default 64. */
  maxHeaders?: number;
}

export const DEFAULT_READER_LIMITS: Readonly<Required<RtspReaderLimits>> = Object.freeze({
  maxHeaderBytes: 8192,
  maxBodyBytes: 65536,
  maxHeaders: 64,
});

/** Largest interleaved frame: '$', channel, a 16-bit length and that many bytes (RFC 2326 10.12). */
const MAX_INTERLEAVED_BYTES = 4 + 0xffff;

/** The most bytes a reader with these limits ever holds between pushes. */
export function maxBufferedBytes(limits: RtspReaderLimits = {}): number {
  const l = { ...DEFAULT_READER_LIMITS, ...limits };
  return Math.max(l.maxHeaderBytes, l.maxBodyBytes, MAX_INTERLEAVED_BYTES);
}

function positiveLimit(name: keyof RtspReaderLimits, value: number | undefined): number {
  if (value === undefined) return DEFAULT_READER_LIMITS[name];
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** A buffer grown past this (a large chunk) is shrunk again once three quarters of it are free. */
const KEEP_CAPACITY = 1 << 17;

/**
 * Incremental reader of one connection's bytes: requests, responses (a push client reads
 * responses) and '$' interleaved frames, in any mix and split anywhere across chunks.
 *
 * Memory is bounded whatever the peer sends: an unfinished head is refused (413) as soon as it
 * passes maxHeaderBytes, a body is only waited for once its Content-Length is known to be within
 * maxBodyBytes, and an interleaved frame is at most 65539 bytes; `maxBufferedBytes(limits)` is
 * the most ever held between pushes.
 */
export class RtspMessageReader {
  private readonly maxHeaderBytes: number;
  private readonly maxBodyBytes: number;
  private readonly maxHeaders: number;

  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;
  /** Bytes of the current head already checked, and where its current line starts (from `start`). */
  private scanned = 0;
  private lineStart = 0;
  /** A request or response whose head is read, waiting for `bodyLength` bytes of body. */
  private pending: RtspRequest | RtspResponse | null = null;
  private bodyLength = 0;
  private failure: RtspParseError | null = null;

  constructor(limits: RtspReaderLimits = {}) {
    this.maxHeaderBytes = positiveLimit('maxHeaderBytes', limits.maxHeaderBytes);
    this.maxBodyBytes = positiveLimit('maxBodyBytes', limits.maxBodyBytes);
    this.maxHeaders = positiveLimit('maxHeaders', limits.maxHeaders);
  }

  /**
   * Feeds bytes; returns the messages completed by them, in order. Throws RtspParseError; after
   * that every push throws the same error (messages completed earlier in the failing chunk are
   * not returned: the connection is to be answered with the error and closed).
   */
  push(chunk: Uint8Array): RtspMessage[] {
    if (this.failure) throw this.failure;
    this.append(chunk);
    const messages: RtspMessage[] = [];
    try {
      for (let m = this.next(); m; m = this.next()) messages.push(m);
    } catch (e) {
      if (e instanceof RtspParseError) {
        this.failure = e;
        this.buf = new Uint8Array(0);
        this.start = this.end = 0;
        this.pending = null;
      }
      throw e;
    }
    if (this.buf.length > KEEP_CAPACITY && this.end - this.start <= KEEP_CAPACITY >> 2) {
      this.buf = this.buf.slice(this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    return messages;
  }

  /** Bytes held waiting for the rest of a message. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** The error the reader failed with, once it has. */
  get error(): RtspParseError | undefined {
    return this.failure ?? undefined;
  }

  private append(chunk: Uint8Array): void {
    const held = this.end - this.start;
    if (this.end + chunk.length > this.buf.length) {
      if (held + chunk.length <= this.buf.length) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const grown = new Uint8Array(Math.max(held + chunk.length, Math.min(this.buf.length * 2, held + chunk.length + KEEP_CAPACITY), 256));
        grown.set(this.buf.subarray(this.start, this.end));
        this.buf = grown;
      }
      this.start = 0;
      this.end = held;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  private consume(n: number): void {
    this.start += n;
    if (this.start === this.end) this.start = this.end = 0;
  }

  private next(): RtspMessage | null {
    if (this.pending) return this.body();
    const b = this.buf;
    // RFC 2616 4.1: "servers SHOULD ignore any empty line(s) received where a Request-Line is
    // expected". Also before a status line and interleaved data, so a peer that ends a body with
    // a CRLF not counted in Content-Length stays in step.
    if (this.scanned === 0) {
      while (this.end > this.start) {
        if (b[this.start] === LF) this.consume(1);
        else if (b[this.start] === CR && this.end - this.start >= 2 && b[this.start + 1] === LF) this.consume(2);
        else break;
      }
      if (this.end === this.start || (this.end - this.start === 1 && b[this.start] === CR)) return null;
      if (b[this.start] === DOLLAR) return this.interleaved();
    }
    return this.head();
  }

  /** '$' channel length data (RFC 2326 10.12), only ever at a message boundary. */
  private interleaved(): InterleavedFrame | null {
    const b = this.buf, s = this.start;
    if (this.end - s < 4) return null;
    const length = (b[s + 2]! << 8) | b[s + 3]!;
    if (this.end - s < 4 + length) return null;
    const frame: InterleavedFrame = { kind: 'interleaved', channel: b[s + 1]!, data: b.slice(s + 4, s + 4 + length) };
    this.consume(4 + length);
    return frame;
  }

  /** Scans for the empty line ending the head, checking each byte once, then parses the head. */
  private head(): RtspRequest | RtspResponse | null {
    const b = this.buf, s = this.start, held = this.end - s;
    let i = this.scanned;
    for (; i < held; i++) {
      if (i >= this.maxHeaderBytes) {
        throw new RtspParseError(413, `header section longer than ${this.maxHeaderBytes} bytes`, this.partialCseq());
      }
      const c = b[s + i]!;
      if (c === LF) {
        const contentEnd = i > this.lineStart && b[s + i - 1] === CR ? i - 1 : i;
        if (contentEnd === this.lineStart) {
          // The head without its empty line: every line of it ends in a line ending.
          const text = this.decodeHead(b.subarray(s, s + this.lineStart));
          this.scanned = this.lineStart = 0;
          this.consume(i + 1);
          return this.parseHead(text);
        }
        this.lineStart = i + 1;
      } else if (c === CR) {
        // A CR not followed by LF is refused. RFC 2326 4 asks receivers to be "prepared to also
        // interpret CR and LF by themselves as line terminators", but no RTSP client sends a lone
        // CR, and a line end that one parser sees and another does not is how requests are
        // smuggled: RFC 9112 2.2 now makes a bare CR invalid. Wait for the byte after it.
        if (i + 1 >= held) break;
        if (b[s + i + 1] !== LF) throw new RtspParseError(400, `bare CR (not followed by LF) at byte ${i} of the header section`, this.partialCseq());
      } else if ((c < 0x20 && c !== HT) || c === 0x7f) {
        throw new RtspParseError(400, `control character 0x${c.toString(16).padStart(2, '0')} at byte ${i} of the header section`, this.partialCseq());
      }
    }
    this.scanned = i;
    return null;
  }

  private decodeHead(bytes: Uint8Array): string {
    try {
      return strictUtf8.decode(bytes);
    } catch {
      throw new RtspParseError(400, 'header section is not valid UTF-8 (RFC 2326 4)', findCseq(splitLines(lenientUtf8.decode(bytes)).slice(1)));
    }
  }

  /** CSeq from the lines of an unfinished head read so far, for an error response. */
  private partialCseq(): string | undefined {
    const text = lenientUtf8.decode(this.buf.subarray(this.start, this.start + this.lineStart));
    return findCseq(splitLines(text).slice(1));
  }

  private parseHead(text: string): RtspRequest | RtspResponse | null {
    const lines = splitLines(text).slice(0, -1);
    const cseq = findCseq(lines.slice(1));
    const fail = (status: number, message: string) => new RtspParseError(status, message, cseq);

    const startLine = lines[0]!;
    let message: RtspRequest | RtspResponse;
    if (startLine.startsWith('RTSP/')) {
      // Status-Line = RTSP-Version SP Status-Code SP Reason-Phrase CRLF (RFC 2326 7.1). Some
      // servers leave out the space before an empty reason phrase; that is read too.
      const m = /^(RTSP\/\d+\.\d+) ([1-9]\d\d)(?: (.*))?$/.exec(startLine);
      if (!m) throw fail(400, `invalid status line ${shown(startLine)}: expected RTSP/1.0 SP 3DIGIT SP reason`);
      message = { kind: 'response', version: m[1]!, status: Number(m[2]), reason: m[3] ?? '', headers: new RtspHeaders(), body: new Uint8Array(0) };
    } else {
      // Request-Line = Method SP Request-URI SP RTSP-Version CRLF (RFC 2326 6.1).
      const parts = startLine.split(' ');
      if (parts.length !== 3) throw fail(400, `invalid request line ${shown(startLine)}: expected METHOD SP Request-URI SP RTSP/1.0`);
      const [method, uri, version] = parts as [string, string, string];
      if (!TOKEN.test(method)) throw fail(400, `invalid method ${shown(method)}: expected a token (RFC 2326 6.1)`);
      if (uri === '') throw fail(400, `empty Request-URI in ${shown(startLine)}`);
      if (version !== 'RTSP/1.0') {
        // 505 (RFC 2326 7.1.1, with HTTP's meaning, RFC 2616 10.5.6): the server "does not
        // support, or refuses to support" the version of the request. RTSP/2.0 too: its
        // messages differ (RFC 7826), and a 2.0 client falls back to 1.0 on this answer.
        if (/^RTSP\/\d+\.\d+$/.test(version)) throw fail(505, `RTSP version ${version} is not supported: expected RTSP/1.0`);
        throw fail(400, `invalid version ${shown(version)} in request line: expected RTSP/1.0`);
      }
      message = { kind: 'request', method, uri, version, headers: new RtspHeaders(), body: new Uint8Array(0) };
    }

    const fields: [string, string][] = [];
    for (let n = 1; n < lines.length; n++) {
      const line = lines[n]!;
      if (line[0] === ' ' || line[0] === '\t') {
        // obs-fold (RFC 7230 3.2.4): "replace each received obs-fold with one or more SP octets".
        const last = fields[fields.length - 1];
        if (!last) throw fail(400, `header section starts with a continuation line ${shown(line)}`);
        const more = trimOws(line);
        if (more !== '') last[1] = last[1] === '' ? more : `${last[1]} ${more}`;
        continue;
      }
      const colon = line.indexOf(':');
      const name = colon < 0 ? '' : line.slice(0, colon);
      // RFC 7230 3.2.4: "No whitespace is allowed between the header field-name and colon".
      if (!TOKEN.test(name)) throw fail(400, `invalid header line ${shown(line)}: expected name: value with a token name`);
      fields.push([name, trimOws(line.slice(colon + 1))]);
      if (fields.length > this.maxHeaders) throw fail(413, `more than ${this.maxHeaders} header fields`);
    }
    for (const [name, value] of fields) message.headers.append(name, value);

    // Content-Length = 1*DIGIT (RFC 2616 14.13). RFC 2326 12.14: "If it is missing, a default
    // value of zero is assumed" (no reading until close as in HTTP). RFC 7230 3.3.2: different
    // values in several fields cannot be trusted; the same value repeated can.
    const lengths = message.headers.getAll('Content-Length');
    let length = 0;
    for (const value of lengths) {
      if (!/^\d+$/.test(value)) throw fail(400, `invalid Content-Length ${shown(value)}: expected decimal digits`);
      const n = Number(value);
      if (value !== lengths[0] && n !== Number(lengths[0])) throw fail(400, `conflicting Content-Length values ${lengths.map((v) => shown(v)).join(', ')}`);
      length = n;
    }
    if (length > this.maxBodyBytes) throw fail(413, `Content-Length ${lengths[0]} is over the limit of ${this.maxBodyBytes} bytes`);

    if (length === 0) return message;
    this.pending = message;
    this.bodyLength = length;
    return this.body();
  }

  private body(): RtspRequest | RtspResponse | null {
    if (this.end - this.start < this.bodyLength) return null;
    const message = this.pending!;
    message.body = this.buf.slice(this.start, this.start + this.bodyLength);
    this.consume(this.bodyLength);
    this.pending = null;
    return message;
  }
}

/** Lines of a head without their endings (every CR in a head is part of a CRLF, checked while scanning). */
function splitLines(text: string): string[] {
  return text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/**
 * The CSeq of a head's header lines, for the error response (RFC 2326 12.17: "This field MUST be
 * present in all requests and responses"), when there is exactly one well-formed value.
 */
function findCseq(headerLines: string[]): string | undefined {
  let found: string | undefined;
  for (const line of headerLines) {
    const m = /^cseq:[ \t]*(.*?)[ \t]*$/i.exec(line);
    if (!m) continue;
    if (!/^\d+$/.test(m[1]!) || (found !== undefined && found !== m[1])) return undefined;
    found = m[1];
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Serialising

/** Reason phrases of RFC 2326 7.1.1, in title case throughout (RFC 2326 writes a few in lower case). */
export const STATUS_REASONS: Readonly<Record<number, string>> = Object.freeze({
  100: 'Continue',
  200: 'OK',
  201: 'Created',
  250: 'Low on Storage Space',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  303: 'See Other',
  304: 'Not Modified',
  305: 'Use Proxy',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Time-out',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Large',
  415: 'Unsupported Media Type',
  451: 'Parameter Not Understood',
  452: 'Conference Not Found',
  453: 'Not Enough Bandwidth',
  454: 'Session Not Found',
  455: 'Method Not Valid in This State',
  456: 'Header Field Not Valid for Resource',
  457: 'Invalid Range',
  458: 'Parameter Is Read-Only',
  459: 'Aggregate Operation Not Allowed',
  460: 'Only Aggregate Operation Allowed',
  461: 'Unsupported Transport',
  462: 'Destination Unreachable',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Time-out',
  505: 'RTSP Version Not Supported',
  551: 'Option Not Supported',
});

type HeadersInit = RtspHeaders | Record<string, string | number>;

function serialize(startLine: string, headers: HeadersInit | undefined, body: Uint8Array | string | undefined): Uint8Array {
  const fields = new RtspHeaders(headers);
  const payload = typeof body === 'string' ? encoder.encode(body) : (body ?? new Uint8Array(0));
  // RFC 2326 12.14: Content-Length "MUST be included in all messages that carry content"; it is
  // the body's length, whatever a caller wrote. Without a body it is left out ("If it is missing,
  // a default value of zero is assumed").
  if (payload.length > 0) fields.set('Content-Length', payload.length);
  else fields.delete('Content-Length');
  let head = `${startLine}\r\n`;
  for (const [name, value] of fields.entries()) head += `${name}: ${value}\r\n`;
  head += '\r\n';
  const headBytes = encoder.encode(head);
  const out = new Uint8Array(headBytes.length + payload.length);
  out.set(headBytes);
  out.set(payload, headBytes.length);
  return out;
}

/** Serialises a response: status line with the standard reason phrase when `reason` is omitted, the headers in order, Content-Length set from the body when there is a body (and not otherwise), CRLF endings. */
export function serializeResponse(res: { status: number; reason?: string; headers?: HeadersInit; body?: Uint8Array | string }): Uint8Array {
  const { status } = res;
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new RangeError(`status must be a 3-digit integer (RFC 2326 7.1.1), got ${status}`);
  const reason = res.reason ?? STATUS_REASONS[status];
  if (reason === undefined) throw new RangeError(`status ${status} has no standard reason phrase: pass reason`);
  if (CTL_BUT_HT.test(reason)) throw new TypeError(`reason phrase must not contain control characters, got ${shown(reason)}`);
  return serialize(`RTSP/1.0 ${status} ${reason}`, res.headers, res.body);
}

export function serializeRequest(req: { method: string; uri: string; headers?: HeadersInit; body?: Uint8Array | string }): Uint8Array {
  if (!TOKEN.test(req.method)) throw new TypeError(`method must be a token (RFC 2326 6.1), got ${shown(req.method)}`);
  if (req.uri === '' || /[\x00-\x20\x7f]/.test(req.uri)) throw new TypeError(`Request-URI must be non-empty without spaces or control characters, got ${shown(req.uri)}`);
  return serialize(`${req.method} ${req.uri} RTSP/1.0`, req.headers, req.body);
}

/** '$' channel length data (RFC 2326 10.12); RangeError for channel outside 0..255 or data over 65535 bytes. */
export function interleavedFrame(channel: number, data: Uint8Array): Uint8Array {
  if (!Number.isInteger(channel) || channel < 0 || channel > 255) throw new RangeError(`interleaved channel must be an integer in 0..255, got ${channel}`);
  if (data.length > 0xffff) throw new RangeError(`interleaved data must be at most 65535 bytes (16-bit length), got ${data.length}`);
  const out = new Uint8Array(4 + data.length);
  out[0] = DOLLAR;
  out[1] = channel;
  out[2] = data.length >> 8;
  out[3] = data.length & 0xff;
  out.set(data, 4);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Header values

/** A header value that does not follow its grammar; `header` names the field. */
export class RtspHeaderError extends Error {
  override name = 'RtspHeaderError';
  readonly header: string;

  constructor(header: string, message: string) {
    super(message);
    this.header = header;
  }
}

/** A Transport header (RFC 2326 12.39) that cannot be read; the message names the bad part. */
export class TransportError extends RtspHeaderError {
  override name = 'TransportError';

  constructor(message: string) {
    super('Transport', message);
  }
}

export interface TransportSpec {
  /** "RTP/AVP" (UDP) or "RTP/AVP/TCP" or "RTP/AVP/UDP"; other profiles kept as written. */
  transport: string;
  lowerTransport: 'UDP' | 'TCP';
  /** The profile part of `transport`: "AVP" (also "SAVP", "AVPF", ... as written). */
  profile: string;
  /**
   * As written: a spec naming neither is false for both. RFC 2326 12.39 makes multicast the
   * default, but clients leaving it out mean unicast in practice, so the server decides.
   */
  unicast: boolean;
  multicast: boolean;
  interleaved?: [number, number];
  clientPort?: [number, number];
  serverPort?: [number, number];
  /** Lower-cased, unquoted: 'play' | 'record' | ... */
  mode?: string;
  ssrc?: number;
  destination?: string;
  source?: string;
  ttl?: number;
  /** Parameters not understood, as written (`true` for a parameter without a value). */
  other: Record<string, string | true>;
}

/** Splits at `sep` outside double quotes (mode="PLAY,RECORD" holds a comma). */
function splitOutsideQuotes(text: string, sep: string): string[] {
  const parts: string[] = [];
  let quoted = false, from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === sep && !quoted) {
      parts.push(text.slice(from, i));
      from = i + 1;
    }
  }
  if (quoted) throw new TransportError(`unterminated quoted string in ${shown(text)}`);
  parts.push(text.slice(from));
  return parts;
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

/**
 * A range `a-b` (RFC 2326 12.39: "specified as a range, e.g., client_port=3456-3457") or a single
 * number, then b = a + 1: RTCP takes the port (channel) after RTP's (RFC 3550 11).
 */
function parseRange(param: string, value: string | undefined, maxDigits: number, max: number): [number, number] {
  const m = value === undefined ? null : new RegExp(`^(\\d{1,${maxDigits}})(?:-(\\d{1,${maxDigits}}))?$`).exec(value);
  const a = m ? Number(m[1]) : NaN;
  const b = m ? (m[2] === undefined ? a + 1 : Number(m[2])) : NaN;
  if (!(a <= max && b <= max && b >= a)) throw new TransportError(`invalid ${param}=${value ?? ''}: expected n or n-m with n <= m <= ${max}`);
  return [a, b];
}

function parseOneTransport(text: string): TransportSpec {
  const [protocolPart, ...params] = splitOutsideQuotes(text, ';').map(trimOws);
  // transport-spec = transport-protocol/profile[/lower-transport] (RFC 2326 12.39)
  const names = protocolPart!.split('/');
  if (names.length < 2 || names.length > 3 || !names.every((n) => TOKEN.test(n))) {
    throw new TransportError(`invalid transport ${shown(protocolPart!)}: expected protocol/profile[/lower-transport] such as RTP/AVP/TCP`);
  }
  // RFC 2616 2.1: literals in the grammar ("TCP", "UDP", "unicast", ...) are case-insensitive.
  const lower = (names[2] ?? 'UDP').toUpperCase();
  if (lower !== 'UDP' && lower !== 'TCP') throw new TransportError(`invalid lower transport ${shown(names[2]!)} in ${shown(protocolPart!)}: expected TCP or UDP`);
  const spec: TransportSpec = {
    transport: protocolPart!, lowerTransport: lower, profile: names[1]!, unicast: false, multicast: false, other: {},
  };
  const seen = new Set<string>();
  for (const param of params) {
    if (param === '') continue; // "RTP/AVP;unicast;" from lenient writers
    const eq = param.indexOf('=');
    const name = eq < 0 ? param : trimOws(param.slice(0, eq));
    const value = eq < 0 ? undefined : trimOws(param.slice(eq + 1));
    if (!TOKEN.test(name)) throw new TransportError(`invalid parameter ${shown(param)} in ${shown(text)}`);
    const key = name.toLowerCase();
    if (seen.has(key)) throw new TransportError(`parameter ${name} is given twice in ${shown(text)}`);
    seen.add(key);
    const needValue = (): string => {
      if (value === undefined || unquote(value) === '') throw new TransportError(`parameter ${name} needs a value in ${shown(text)}`);
      return unquote(value);
    };
    switch (key) {
      case 'unicast':
      case 'multicast':
        if (value !== undefined) throw new TransportError(`${name} takes no value, got ${shown(param)}`);
        if (key === 'unicast') spec.unicast = true;
        else spec.multicast = true;
        break;
      case 'interleaved':
        spec.interleaved = parseRange(name, value, 3, 255); // channel = 1*3(DIGIT)
        break;
      case 'client_port':
        spec.clientPort = parseRange(name, value, 5, 65535); // port = 1*5(DIGIT)
        break;
      case 'server_port':
        spec.serverPort = parseRange(name, value, 5, 65535);
        break;
      case 'ttl': {
        const v = needValue(); // ttl = 1*3(DIGIT)
        if (!/^\d{1,3}$/.test(v) || Number(v) > 255) throw new TransportError(`invalid ttl=${v}: expected 0..255`);
        spec.ttl = Number(v);
        break;
      }
      case 'ssrc': {
        // ssrc = 8*8(HEX); fewer digits are read too: some servers drop leading zeros.
        const v = needValue();
        if (!/^[0-9A-Fa-f]{1,8}$/.test(v)) throw new TransportError(`invalid ssrc=${v}: expected 8 hex digits`);
        spec.ssrc = parseInt(v, 16);
        break;
      }
      case 'mode': {
        // mode = <"> *Method <"> | Method; a quoted list of methods is allowed ("1#mode").
        const v = needValue().toLowerCase();
        if (!v.split(',').every((m) => TOKEN.test(trimOws(m)))) throw new TransportError(`invalid mode=${value}: expected a method such as PLAY or RECORD`);
        spec.mode = v.split(',').map(trimOws).join(',');
        break;
      }
      case 'destination':
        // ";" "destination" [ "=" address ]: the address may be left out.
        if (value === undefined) spec.other[name] = true;
        else spec.destination = needValue();
        break;
      case 'source':
        spec.source = needValue();
        break;
      default:
        spec.other[name] = value ?? true;
    }
  }
  if (spec.unicast && spec.multicast) throw new TransportError(`unicast and multicast are mutually exclusive (RFC 2326 12.39), got ${shown(text)}`);
  return spec;
}

/**
 * Parses a Transport header (RFC 2326 12.39): comma-separated alternatives, each
 * `transport-protocol/profile[/lower-transport]` then `;param[=value]`. Port ranges `a-b` or a
 * single port (then b = a + 1). Throws TransportError (message names the bad part) on malformed
 * values.
 */
export function parseTransport(value: string): TransportSpec[] {
  // 1#transport-spec: empty list elements are allowed and do not count (RFC 2616 2.1 "#rule").
  const specs = splitOutsideQuotes(value, ',').map(trimOws).filter((t) => t !== '').map(parseOneTransport);
  if (specs.length === 0) throw new TransportError(`empty Transport header ${shown(value)}: expected at least one transport-spec`);
  return specs;
}

function checkRange(name: string, range: [number, number], max: number): string {
  const [a, b] = range;
  if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b > max || b < a) {
    throw new RangeError(`${name} must be a pair of integers 0 <= a <= b <= ${max}, got ${a}-${b}`);
  }
  return `${a}-${b}`;
}

function checkParamValue(name: string, value: string): string {
  // A ',' or ';' outside quotes would start another spec or parameter when read back.
  const unbalanced = value.split('"').length % 2 === 0;
  if (CTL_BUT_HT.test(value) || unbalanced || splitOutsideQuotes(value, ';').length > 1 || splitOutsideQuotes(value, ',').length > 1) {
    throw new RangeError(`transport parameter ${name} must not hold control characters, or ';' or ',' outside quotes, got ${shown(value)}`);
  }
  return value;
}

/**
 * Writes one TransportSpec back (server's reply: e.g.
 * "RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;ssrc=1A2B3C4D" — ssrc as 8 hex
 * digits, RFC 2326 12.39; "RTP/AVP/TCP;unicast;interleaved=0-1").
 */
export function formatTransport(spec: TransportSpec): string {
  const names = spec.transport.split('/');
  if (names.length < 2 || names.length > 3 || !names.every((n) => TOKEN.test(n))) {
    throw new RangeError(`transport must be protocol/profile[/lower-transport], got ${shown(spec.transport)}`);
  }
  const lower = (names[2] ?? 'UDP').toUpperCase();
  if (lower !== spec.lowerTransport) throw new RangeError(`transport ${spec.transport} does not match lowerTransport ${spec.lowerTransport}`);
  if (spec.unicast && spec.multicast) throw new RangeError('unicast and multicast are mutually exclusive (RFC 2326 12.39)');
  const out = [spec.transport];
  if (spec.unicast) out.push('unicast');
  if (spec.multicast) out.push('multicast');
  if (spec.destination !== undefined) out.push(`destination=${checkParamValue('destination', spec.destination)}`);
  if (spec.source !== undefined) out.push(`source=${checkParamValue('source', spec.source)}`);
  if (spec.interleaved) out.push(`interleaved=${checkRange('interleaved', spec.interleaved, 255)}`);
  if (spec.ttl !== undefined) {
    if (!Number.isInteger(spec.ttl) || spec.ttl < 0 || spec.ttl > 255) throw new RangeError(`ttl must be an integer in 0..255, got ${spec.ttl}`);
    out.push(`ttl=${spec.ttl}`);
  }
  if (spec.clientPort) out.push(`client_port=${checkRange('clientPort', spec.clientPort, 65535)}`);
  if (spec.serverPort) out.push(`server_port=${checkRange('serverPort', spec.serverPort, 65535)}`);
  if (spec.ssrc !== undefined) {
    if (!Number.isInteger(spec.ssrc) || spec.ssrc < 0 || spec.ssrc > 0xffffffff) throw new RangeError(`ssrc must be a 32-bit unsigned integer, got ${spec.ssrc}`);
    out.push(`ssrc=${spec.ssrc.toString(16).toUpperCase().padStart(8, '0')}`);
  }
  if (spec.mode !== undefined) {
    if (!spec.mode.split(',').every((m) => TOKEN.test(m))) throw new RangeError(`mode must be methods separated by commas, got ${shown(spec.mode)}`);
    // Unquoted when one method: ffmpeg reads mode up to the next ';' or ',' without unquoting.
    out.push(spec.mode.includes(',') ? `mode="${spec.mode}"` : `mode=${spec.mode}`);
  }
  for (const [name, value] of Object.entries(spec.other)) {
    if (!TOKEN.test(name)) throw new RangeError(`transport parameter name must be a token, got ${shown(name)}`);
    out.push(value === true ? name : `${name}=${checkParamValue(name, value)}`);
  }
  return out.join(';');
}

/**
 * Session header (RFC 2326 12.37): id and optional ;timeout=N. Other parameters (extensions) are
 * ignored. Throws RtspHeaderError on a malformed id or timeout.
 */
export function parseSession(value: string): { id: string; timeout?: number } {
  const [idPart, ...params] = value.split(';').map(trimOws);
  // session-id = 1*( ALPHA | DIGIT | safe ), safe = "$" | "-" | "_" | "." | "+" (RFC 2326 3.4)
  if (!/^[A-Za-z0-9$\-_.+]+$/.test(idPart!)) throw new RtspHeaderError('Session', `invalid session id ${shown(idPart!)}: expected letters, digits and $-_.+`);
  const session: { id: string; timeout?: number } = { id: idPart! };
  for (const param of params) {
    const m = /^timeout[ \t]*=[ \t]*(.*)$/i.exec(param);
    if (!m) continue;
    if (!/^\d{1,9}$/.test(m[1]!)) throw new RtspHeaderError('Session', `invalid timeout ${shown(m[1]!)} in Session: expected seconds (delta-seconds)`);
    session.timeout = Number(m[1]);
  }
  return session;
}

/** The URL for an error message, with any password hidden. */
function redacted(url: string): string {
  return url.replace(/^([^:/]*:\/\/[^/@:]*):[^/@]*@/, '$1:***@');
}

/**
 * Splits an rtsp:// URL (RFC 2326 3.2) into host, port, path (with query), and user:password when
 * present (percent-decoded); throws RangeError naming the URL when it is not rtsp:// or rtsps://.
 * The port defaults to 554 for rtsp and 322 for rtsps (RFC 7826 4.2). An IPv6 host comes without
 * its brackets (ready for net.connect); an empty path is "/".
 */
export function parseRtspUrl(url: string): { scheme: 'rtsp' | 'rtsps'; host: string; port: number; path: string; user?: string; password?: string } {
  const bad = (why: string) => new RangeError(`invalid RTSP URL ${shown(redacted(url), 200)}: ${why}`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad('expected rtsp://host[:port]/path');
  }
  const scheme = u.protocol.slice(0, -1);
  if (scheme !== 'rtsp' && scheme !== 'rtsps') throw bad('expected the rtsp:// or rtsps:// scheme');
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  if (host === '') throw bad('expected a host');
  const result: ReturnType<typeof parseRtspUrl> = {
    scheme, host, port: u.port === '' ? (scheme === 'rtsp' ? 554 : 322) : Number(u.port), path: `${u.pathname || '/'}${u.search}`,
  };
  try {
    if (u.username !== '' || u.password !== '') result.user = decodeURIComponent(u.username);
    if (u.password !== '') result.password = decodeURIComponent(u.password);
  } catch {
    throw bad('user or password has a malformed percent-encoding');
  }
  return result;
}
