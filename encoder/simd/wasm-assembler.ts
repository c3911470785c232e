/**
 * A small WebAssembly assembler: functions written in the WebAssembly text format's instruction
 * syntax (flat, one instruction after another: `local.get $a v128.load offset=16 i16x8.add`) are
 * assembled into a module's binary, with the encoder's kernels as its exports and one imported
 * memory ("env" "memory") they all work on.
 *
 * It knows what the kernels use: integer and SIMD (v128) instructions, locals by name, structured
 * control flow with labels, and memory immediates. The opcodes are the WebAssembly 2.0 core
 * specification's (5.4 Instructions; 5.4.8 Vector Instructions: prefix 0xFD, then the u32 LEB128
 * opcode). Anything else is an error naming the token, so a typo fails when the module is built.
 */

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

const VAL_TYPE: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/** Instructions without immediates: their opcode bytes (SIMD ones as 0xFD and the LEB128 opcode). */
const PLAIN: Record<string, number> = {
  unreachable: 0x00, nop: 0x01, return: 0x0f, drop: 0x1a, select: 0x1b,
  'i32.eqz': 0x45, 'i32.eq': 0x46, 'i32.ne': 0x47, 'i32.lt_s': 0x48, 'i32.lt_u': 0x49, 'i32.gt_s': 0x4a,
  'i32.gt_u': 0x4b, 'i32.le_s': 0x4c, 'i32.le_u': 0x4d, 'i32.ge_s': 0x4e, 'i32.ge_u': 0x4f,
  'i32.add': 0x6a, 'i32.sub': 0x6b, 'i32.mul': 0x6c, 'i32.and': 0x71, 'i32.or': 0x72, 'i32.xor': 0x73,
  'i32.shl': 0x74, 'i32.shr_s': 0x75, 'i32.shr_u': 0x76, 'i32.clz': 0x67, 'i32.ctz': 0x68, 'i32.popcnt': 0x69,
  'f64.lt': 0x63, 'f64.gt': 0x64, 'f64.le': 0x65, 'f64.ge': 0x66,
  'f64.add': 0xa0, 'f64.sub': 0xa1, 'f64.mul': 0xa2, 'f64.convert_i32_s': 0xb7,
};

/** SIMD instructions without immediates: the opcode after the 0xFD prefix. */
const SIMD_PLAIN: Record<string, number> = {
  'i8x16.swizzle': 0x0e, 'i8x16.splat': 0x0f, 'i16x8.splat': 0x10, 'i32x4.splat': 0x11,
  'v128.not': 0x4d, 'v128.and': 0x4e, 'v128.andnot': 0x4f, 'v128.or': 0x50, 'v128.xor': 0x51,
  'v128.bitselect': 0x52, 'v128.any_true': 0x53, 'i8x16.eq': 0x23, 'i8x16.ne': 0x24, 'i16x8.eq': 0x2d,
  'i16x8.ne': 0x2e, 'i32x4.ne': 0x38, 'i16x8.lt_s': 0x2f, 'i16x8.gt_s': 0x31, 'i8x16.bitmask': 0x64, 'i16x8.bitmask': 0x84, 'i32x4.bitmask': 0xa4,
  'i8x16.abs': 0x60, 'i8x16.narrow_i16x8_s': 0x65, 'i8x16.narrow_i16x8_u': 0x66,
  'i8x16.shl': 0x6b, 'i8x16.shr_s': 0x6c, 'i8x16.shr_u': 0x6d, 'i8x16.add': 0x6e, 'i8x16.add_sat_u': 0x70,
  'i8x16.sub': 0x71, 'i8x16.sub_sat_u': 0x73, 'i8x16.min_u': 0x77, 'i8x16.max_u': 0x79, 'i8x16.avgr_u': 0x7b,
  'i16x8.extadd_pairwise_i8x16_u': 0x7d, 'i32x4.extadd_pairwise_i16x8_s': 0x7e,
  'i32x4.extadd_pairwise_i16x8_u': 0x7f,
  'i16x8.abs': 0x80, 'i16x8.neg': 0x81, 'i16x8.narrow_i32x4_s': 0x85, 'i16x8.narrow_i32x4_u': 0x86,
  'i16x8.extend_low_i8x16_s': 0x87, 'i16x8.extend_high_i8x16_s': 0x88,
  'i16x8.extend_low_i8x16_u': 0x89, 'i16x8.extend_high_i8x16_u': 0x8a,
  'i16x8.shl': 0x8b, 'i16x8.shr_s': 0x8c, 'i16x8.shr_u': 0x8d, 'i16x8.add': 0x8e, 'i16x8.add_sat_s': 0x8f, 'i16x8.sub': 0x91,
  'i16x8.mul': 0x95, 'i16x8.min_s': 0x96, 'i16x8.max_s': 0x98, 'i16x8.avgr_u': 0x9b,
  'i32x4.abs': 0xa0, 'i32x4.neg': 0xa1,
  'i32x4.extend_low_i16x8_s': 0xa7, 'i32x4.extend_high_i16x8_s': 0xa8,
  'i32x4.extend_low_i16x8_u': 0xa9, 'i32x4.extend_high_i16x8_u': 0xaa,
  'i32x4.shl': 0xab, 'i32x4.shr_s': 0xac, 'i32x4.shr_u': 0xad, 'i32x4.add': 0xae, 'i32x4.sub': 0xb1,
  'i32x4.mul': 0xb5, 'i32x4.min_s': 0xb6, 'i32x4.max_s': 0xb8, 'i32x4.dot_i16x8_s': 0xba,
};

/** Memory instructions: opcode bytes and the natural alignment (log2 bytes) used when align= is absent. */
const MEMORY: Record<string, [number[], number]> = {
  'i32.load': [[0x28], 2], 'i32.load8_u': [[0x2d], 0], 'i32.load8_s': [[0x2c], 0], 'i32.load16_u': [[0x2f], 1], 'i32.load16_s': [[0x2e], 1],
  'i32.store': [[0x36], 2], 'i32.store8': [[0x3a], 0], 'i32.store16': [[0x3b], 1],
  'f64.load': [[0x2b], 3], 'f64.store': [[0x39], 3],
  'v128.load': [[0xfd, 0x00], 4], 'v128.load8x8_u': [[0xfd, 0x02], 3], 'v128.load16x4_s': [[0xfd, 0x03], 3],
  'v128.load32_zero': [[0xfd, 0x5c], 2], 'v128.load64_zero': [[0xfd, 0x5d], 3], 'v128.load32_splat': [[0xfd, 0x09], 2],
  'v128.store': [[0xfd, 0x0b], 4],
};

/** Stores of one lane: opcode after 0xFD and natural alignment, then memarg and a lane-index byte. */
const STORE_LANE: Record<string, [number, number]> = {
  'v128.store32_lane': [0x5a, 2], 'v128.store64_lane': [0x5b, 3],
};

/** Lane extraction and replacement: the opcode after 0xFD, then one lane-index byte. */
const LANE: Record<string, number> = {
  'i8x16.extract_lane_u': 0x16, 'i8x16.replace_lane': 0x17, 'i16x8.extract_lane_s': 0x18, 'i16x8.extract_lane_u': 0x19,
  'i32x4.extract_lane': 0x1b, 'i32x4.replace_lane': 0x1c,
};

function uleb(out: number[], v: number): void {
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
}

function sleb(out: number[], v: number): void {
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

function name(out: number[], s: string): void {
  const bytes = new TextEncoder().encode(s);
  uleb(out, bytes.length);
  for (const b of bytes) out.push(b);
}

/** One function: typed, named parameters and locals, and its body in the text format's instruction syntax. */
export interface FunctionSource {
  /** Export name. */
  name: string;
  /** Parameters in order, as [$name, type]. */
  params: [string, ValType][];
  result: ValType | null;
  locals: [string, ValType][];
  /** Instructions, whitespace-separated; `;;` starts a comment to the end of the line. */
  body: string;
}

/** Assembles one function body: the expression bytes, ending with `end`. */
function assembleBody(fn: FunctionSource, functionIndex: Map<string, number>): number[] {
  const out: number[] = [];
  const locals = new Map<string, number>();
  for (const [n] of fn.params) locals.set(n, locals.size);
  for (const [n] of fn.locals) locals.set(n, locals.size);
  const tokens = fn.body.replace(/;;[^\n]*/g, ' ').split(/\s+/).filter((t) => t !== '');
  /** Open blocks' labels, innermost last (null: an unlabelled block). */
  const labels: (string | null)[] = [];
  let i = 0;
  const fail = (msg: string): never => {
    throw new Error(`wasm assembler, ${fn.name}: ${msg} (token ${i}: '${tokens[i - 1] ?? ''}')`);
  };
  const next = (): string => (i < tokens.length ? tokens[i++]! : fail('unexpected end of body'));
  const int = (t: string): number => {
    const v = Number(t);
    if (!Number.isInteger(v)) fail(`expected an integer, got '${t}'`);
    return v;
  };
  const local = (t: string): number => {
    const index = t.startsWith('$') ? locals.get(t) : int(t);
    return index === undefined ? fail(`unknown local ${t}`) : index;
  };
  const depth = (t: string): number => {
    if (!t.startsWith('$')) return int(t);
    const k = labels.lastIndexOf(t);
    return k < 0 ? fail(`unknown label ${t}`) : labels.length - 1 - k;
  };
  while (i < tokens.length) {
    const op = next();
    if (op in PLAIN) {
      out.push(PLAIN[op]!);
    } else if (op in SIMD_PLAIN) {
      out.push(0xfd);
      uleb(out, SIMD_PLAIN[op]!);
    } else if (op === 'local.get' || op === 'local.set' || op === 'local.tee') {
      out.push(op === 'local.get' ? 0x20 : op === 'local.set' ? 0x21 : 0x22);
      uleb(out, local(next()));
    } else if (op === 'i32.const') {
      out.push(0x41);
      sleb(out, int(next()) | 0);
    } else if (op === 'f64.const') {
      // A number, or inf / -inf: IEEE 754 binary64, little-endian.
      const t = next(), v = t === 'inf' ? Infinity : t === '-inf' ? -Infinity : Number(t);
      if (Number.isNaN(v)) fail(`expected a number, got '${t}'`);
      const bytes = new DataView(new ArrayBuffer(8));
      bytes.setFloat64(0, v, true);
      out.push(0x44);
      for (let b = 0; b < 8; b++) out.push(bytes.getUint8(b));
    } else if (op === 'block' || op === 'loop' || op === 'if') {
      out.push(op === 'block' ? 0x02 : op === 'loop' ? 0x03 : 0x04);
      let label: string | null = null;
      if (tokens[i]?.startsWith('$')) label = next();
      if (tokens[i] === '(result') {
        i++;
        const t = next().replace(/\)$/, '');
        out.push(VAL_TYPE[t as ValType] ?? fail(`unknown type ${t}`));
      } else {
        out.push(0x40); // empty block type
      }
      labels.push(label);
    } else if (op === 'else') {
      out.push(0x05);
    } else if (op === 'end') {
      if (labels.pop() === undefined) fail('end without an open block');
      out.push(0x0b);
    } else if (op === 'call') {
      const callee = next();
      const index = functionIndex.get(callee);
      if (index === undefined) fail(`unknown function ${callee}`);
      out.push(0x10);
      uleb(out, index!);
    } else if (op === 'br' || op === 'br_if') {
      out.push(op === 'br' ? 0x0c : 0x0d);
      uleb(out, depth(next()));
    } else if (op in MEMORY) {
      const [bytes, natural] = MEMORY[op]!;
      out.push(...bytes);
      let offset = 0, align = natural;
      for (;;) {
        const t = tokens[i] ?? '';
        if (t.startsWith('offset=')) offset = int(t.slice(7));
        else if (t.startsWith('align=')) align = Math.log2(int(t.slice(6)));
        else break;
        i++;
      }
      uleb(out, align);
      uleb(out, offset);
    } else if (op in STORE_LANE) {
      const [code, natural] = STORE_LANE[op]!;
      out.push(0xfd);
      uleb(out, code);
      let offset = 0;
      if (tokens[i]?.startsWith('offset=')) offset = int(next().slice(7));
      uleb(out, natural);
      uleb(out, offset);
      out.push(int(next()));
    } else if (op in LANE) {
      out.push(0xfd);
      uleb(out, LANE[op]!);
      out.push(int(next()));
    } else if (op === 'i8x16.shuffle') {
      out.push(0xfd, 0x0d);
      for (let k = 0; k < 16; k++) {
        const lane = int(next());
        if (lane < 0 || lane > 31) fail(`shuffle lane must be 0..31, got ${lane}`);
        out.push(lane);
      }
    } else if (op === 'v128.const') {
      // v128.const i16x8 a b c d e f g h (or i32x4 / i8x16): little-endian lanes.
      const shape = next();
      const lanes = shape === 'i8x16' ? 16 : shape === 'i16x8' ? 8 : shape === 'i32x4' ? 4 : fail(`unknown v128.const shape ${shape}`);
      const size = 16 / lanes;
      out.push(0xfd, 0x0c);
      for (let k = 0; k < lanes; k++) {
        const v = int(next());
        for (let b = 0; b < size; b++) out.push((v >> (8 * b)) & 0xff);
      }
    } else {
      fail(`unknown instruction '${op}'`);
    }
  }
  if (labels.length !== 0) fail(`${labels.length} block(s) not closed`);
  out.push(0x0b);
  return out;
}

/**
 * A module (WebAssembly 2.0, 5.5) importing one memory as "env" "memory" with at least
 * `minPages` 64 KiB pages, exporting the functions under their names and naming them in a "name"
 * section.
 */
export function assembleModule(functions: FunctionSource[], minPages: number): Uint8Array {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const section = (id: number, body: number[]): void => {
    out.push(id);
    uleb(out, body.length);
    out.push(...body);
  };
  // Type section (5.5.4): one function type per function (duplicates are allowed).
  const types: number[] = [];
  uleb(types, functions.length);
  for (const fn of functions) {
    types.push(0x60);
    uleb(types, fn.params.length);
    for (const [, t] of fn.params) types.push(VAL_TYPE[t]);
    if (fn.result === null) types.push(0);
    else types.push(1, VAL_TYPE[fn.result]);
  }
  section(1, types);
  // Import section (5.5.5): env.memory, limits with a minimum only.
  const imports: number[] = [1];
  name(imports, 'env');
  name(imports, 'memory');
  imports.push(0x02, 0x00);
  uleb(imports, minPages);
  section(2, imports);
  // Function section (5.5.6): function i has type i.
  const funcs: number[] = [];
  uleb(funcs, functions.length);
  functions.forEach((_, k) => uleb(funcs, k));
  section(3, funcs);
  // Export section (5.5.10).
  const exports: number[] = [];
  uleb(exports, functions.length);
  functions.forEach((fn, k) => {
    name(exports, fn.name);
    exports.push(0x00);
    uleb(exports, k);
  });
  section(7, exports);
  // Code section (5.5.13): locals as one run per declared local, then the body. `call $name`
  // names a function of this module.
  const functionIndex = new Map(functions.map((fn, k) => [`$${fn.name}`, k]));
  const code: number[] = [];
  uleb(code, functions.length);
  for (const fn of functions) {
    const body: number[] = [];
    uleb(body, fn.locals.length);
    for (const [, t] of fn.locals) body.push(1, VAL_TYPE[t]);
    body.push(...assembleBody(fn, functionIndex));
    uleb(code, body.length);
    code.push(...body);
  }
  section(10, code);
  // Custom "name" section (WebAssembly 2.0, 7.4.1), function names subsection: profilers and
  // stack traces then show `sad16x16` rather than `wasm-function[3]`.
  const names: number[] = [];
  uleb(names, functions.length);
  functions.forEach((fn, k) => {
    uleb(names, k);
    name(names, fn.name);
  });
  const custom: number[] = [];
  name(custom, 'name');
  custom.push(1);
  uleb(custom, names.length);
  custom.push(...names);
  section(0, custom);
  return new Uint8Array(out);
}
