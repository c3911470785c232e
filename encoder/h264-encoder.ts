/**
 * H264Encoder: the public encoder, mirroring the ESP32-P4 `h264` module's API. An IDR picture
 * (preceded by SPS and PPS, so a stream can be joined at any keyframe) every `gop` frames or on
 * requestKeyframe(); P pictures predicted from the previous frame in between.
 */
import { BitWriter } from './common/bitstream.js';
import { deblockPicture } from './common/deblock.js';
import { chooseLevel, CPB_BR_VCL_FACTOR } from './common/levels.js';
import { concatBytes, nalUnit, NalUnitType } from './common/nal.js';
import { CHROMA_PAD, LUMA_PAD, PaddedPlane } from './common/padded-plane.js';
import { Picture } from './common/picture.js';
import { CHROMA_QP } from './common/transform.js';
import { closedError, describe, rangeError, typeError } from './errors.js';
import type { EncoderImage } from './image.js';
import { convertImage, validateImage } from './image-convert.js';
import { FrameAnalysis } from './frame-analysis.js';
import { InterCoder } from './inter.js';
import { IntraCoder, qpParams, type QpParams } from './intra.js';
import { MB_KIND_COUNT, MbKind, MbState } from './mb-state.js';
import { PRESET_CHOICES } from './presets.js';
import { checkBitrate, checkQpRange, resolveOptions, type EncoderOptions, type ResolvedOptions } from './options.js';
import { gopTilt, RateController, type FramePlan } from './rate-control.js';
import { SimdKernels, simdBytes } from './simd/kernels.js';
import { writePps, writeSliceHeader, writeSps, type SpsParams } from './parameter-sets.js';

/** Level 5.1's limits on the picture (Table A-1: MaxFS 36864; A.3.1 f: sqrt(8 * MaxFS) = 543 MBs a side). */
const MAX_FRAME_MBS = 36864;
const MAX_SIDE_MBS = 543;
const CHROMA_QP_INDEX_OFFSET = 0;
/** mb_type offset of intra macroblocks in P slices (Table 7-13 is followed by Table 7-11). */
const P_SLICE_INTRA_OFFSET = 5;

/** What the last encode() produced. */
export interface FrameStats {
  keyframe: boolean;
  /** 'I' for an IDR picture, 'P' otherwise. */
  type: 'I' | 'P';
  /** The IDR was inserted because the frame starts a new scene (rateControl 'cbr' or 'vbr'). */
  sceneCut: boolean;
  /** Bytes of the access unit, parameter sets included. */
  bytes: number;
  /** The slice QP (the frame's planned QP). */
  qp: number;
  /** QP_Y over the macroblocks as a decoder derives it (7.4.5): mean, lowest, highest. */
  qpAvg: number;
  qpMin: number;
  qpMax: number;
  /** Time encode() took, in milliseconds. */
  encodeMs: number;
  /** Y-PSNR of the reconstruction in dB (options.psnr), else null; Infinity when lossless. */
  psnrY: number | null;
  /** Bits in the VBV model after this frame ('cbr'), else null. */
  vbvFill: number | null;
  /** The frame was coded more than once to keep the VBV from underflowing. */
  reencoded: boolean;
  /** Macroblocks by kind: Intra_4x4, Intra_16x16, I_PCM, P_Skip and the inter partitionings. */
  mbI4x4: number;
  mbI16x16: number;
  mbPcm: number;
  mbPSkip: number;
  mbP16x16: number;
  mbP16x8: number;
  mbP8x16: number;
  mbP8x8: number;
}

/**
 * A P frame whose min(intra, inter) complexity exceeds this fraction of its intra complexity is
 * mostly new content: coded as an IDR when rate control is on (x264's scenecut idea).
 */
const SCENE_CUT_RATIO = 0.7;
/** mb_qp_delta range for 8-bit video (7.4.5): -26..25, applied modulo 52. */
function wrapQpDelta(d: number): number {
  return d > 25 ? d - 52 : d < -26 ? d + 52 : d;
}

function checkDimension(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(`${name} must be an even integer, got ${describe(v)}`);
  if (v < 16) throw rangeError(`${name} must be at least 16, got ${v}`);
  if (v % 2 !== 0) throw rangeError(`${name} must be even (4:2:0 chroma), got ${v}`);
  if (v > MAX_SIDE_MBS * 16) throw rangeError(`${name} must be at most ${MAX_SIDE_MBS * 16} (level 5.1), got ${v}`);
  return v;
}

export class H264Encoder {
  readonly width: number;
  readonly height: number;
  readonly options: Readonly<ResolvedOptions>;
  readonly levelIdc: number;
  /** MaxBR of the level in the SPS (bits/s): setBitrate() may not go above it. */
  private readonly levelMaxBitrate: number;
  private readonly levelName: string;
  private readonly sps: SpsParams;
  private readonly src: Picture;
  private readonly recon: Picture;
  private readonly state: MbState;
  private readonly intra: IntraCoder;
  private readonly inter: InterCoder;
  private readonly intraInPFactor: number;
  /** Whether the WebAssembly SIMD kernels run (options.simd and a runtime that has them). */
  readonly simdActive: boolean;
  private readonly simd: SimdKernels | null;
  /** The reference for the next P picture: the deblocked reconstruction, edge-padded. */
  private readonly refY: PaddedPlane;
  private readonly refU: PaddedPlane;
  private readonly refV: PaddedPlane;
  /** The previous picture's vectors (co-located starting points for motion search). */
  private readonly prevMvx: Int16Array;
  private readonly prevMvy: Int16Array;
  private readonly writer = new BitWriter(1 << 16);
  /** SPS and PPS NAL units: fixed for the encoder's life, sent before every IDR. */
  private readonly parameterSets: Uint8Array[];
  private readonly position = { mb: 0, mbx: 0, mby: 0, qpDelta: 0 };
  private readonly rc: RateController;
  private readonly analysis: FrameAnalysis;
  private bitrate: number;
  private vbvBuffer: number;
  private readonly vbvIsDefault: boolean;
  /** QpParams for QP 0..51 (chroma QP from Table 8-15), made once. */
  private readonly qpTable: QpParams[];
  /** Per macroblock: the AQ offset (0 without AQ), and QP_Y as decoded. */
  private readonly aqOffset: Int8Array;
  private readonly mbQpY: Uint8Array;
  private readonly counts = new Int32Array(MB_KIND_COUNT);
  private closed = false;
  private lastWasKeyframe = false;
  private frameCount = 0;
  private idrCount = 0;
  /** Frames since the last IDR (0 for the IDR itself); -1 before the first frame. */
  private framesSinceIdr = -1;
  private keyframeRequested = false;
  /** The reference changed since the inter coder last derived its half-sample planes. */
  private referenceStale = false;
  private readonly lastStats: FrameStats = {
    keyframe: false, type: 'I', sceneCut: false, bytes: 0, qp: 0, qpAvg: 0, qpMin: 0, qpMax: 0, encodeMs: 0, psnrY: null,
    vbvFill: null, reencoded: false, mbI4x4: 0, mbI16x16: 0, mbPcm: 0, mbPSkip: 0, mbP16x16: 0, mbP16x8: 0, mbP8x16: 0, mbP8x8: 0,
  };

  constructor(width: number, height: number, options: EncoderOptions = {}) {
    this.width = checkDimension('width', width);
    this.height = checkDimension('height', height);
    const widthMbs = Math.ceil(width / 16), heightMbs = Math.ceil(height / 16);
    if (widthMbs * heightMbs > MAX_FRAME_MBS) {
      throw rangeError(`${width}x${height} is ${widthMbs * heightMbs} macroblocks; level 5.1 allows at most ${MAX_FRAME_MBS}`);
    }
    this.options = Object.freeze(resolveOptions(width, height, options));
    const level = chooseLevel(widthMbs * heightMbs, widthMbs, heightMbs, widthMbs * heightMbs * this.options.fps, this.options.bitrate);
    if (!level) {
      throw rangeError(`${width}x${height} at ${this.options.fps} fps and ${this.options.bitrate} b/s exceeds every H.264 level: lower the fps or the bitrate`);
    }
    this.levelIdc = level.levelIdc;
    this.levelMaxBitrate = level.maxBr * CPB_BR_VCL_FACTOR;
    this.levelName = level.name;
    this.sps = {
      levelIdc: level.levelIdc,
      widthMbs,
      heightMbs,
      width,
      height,
      // frame_num counts pictures since the IDR modulo MaxFrameNum (7.4.3): enough bits for a GOP,
      // at least the minimum 4 and at most 16.
      log2MaxFrameNum: Math.min(16, Math.max(4, Math.ceil(Math.log2(this.options.gop + 1)))),
      maxNumRefFrames: 1,
      fps: this.options.fps,
    };
    // The SIMD kernels' memory holds what they read and write, each part sized by its owner: the
    // source and the reconstruction (deblocked in place), the reference planes, the macroblock
    // state, the inter and intra coders' buffers, and the frame analysis's half-resolution planes.
    const lumaPlane = PaddedPlane.bytes(widthMbs * 16, heightMbs * 16, LUMA_PAD);
    const chromaPlane = PaddedPlane.bytes(widthMbs * 8, heightMbs * 8, CHROMA_PAD);
    const simd = this.options.simd
      ? SimdKernels.create(simdBytes(...Picture.planeBytes(widthMbs, heightMbs), ...Picture.planeBytes(widthMbs, heightMbs), lumaPlane,
        chromaPlane, chromaPlane)
        + simdBytes(...MbState.simdSizes(widthMbs * heightMbs)) + InterCoder.simdBytes(widthMbs * 16, heightMbs * 16) + IntraCoder.SIMD_BYTES
        + FrameAnalysis.simdBytes(widthMbs, heightMbs))
      : null;
    this.simd = simd;
    const alloc = simd === null ? undefined : (n: number): Uint8Array => simd.alloc(n);
    this.src = new Picture(widthMbs, heightMbs, alloc);
    this.recon = new Picture(widthMbs, heightMbs, alloc);
    this.state = new MbState(widthMbs, heightMbs, alloc);
    this.parameterSets = this.writeParameterSets();
    const choices = PRESET_CHOICES[this.options.preset];
    this.intra = new IntraCoder(this.src, this.recon, this.state, choices.intra, simd);
    this.intraInPFactor = choices.intraInPFactor;
    // Table A-1 MaxMvsPer2Mb is 16 from level 3.1: no sub-8x8 partitions there (x264 does the same).
    const interSearch = level.levelIdc > 30 && choices.inter.partitions === 'sub8x8'
      ? { ...choices.inter, partitions: 'p8x8' as const }
      : choices.inter;
    this.simdActive = simd !== null;
    // One source buffer for both coders: intra's look at a P macroblock reads what inter loaded.
    this.inter = new InterCoder(this.src, this.recon, this.state, interSearch, level.levelIdc, simd, this.intra);
    this.refY = new PaddedPlane(widthMbs * 16, heightMbs * 16, LUMA_PAD, simd?.alloc(lumaPlane));
    this.refU = new PaddedPlane(widthMbs * 8, heightMbs * 8, CHROMA_PAD, simd?.alloc(chromaPlane));
    this.refV = new PaddedPlane(widthMbs * 8, heightMbs * 8, CHROMA_PAD, simd?.alloc(chromaPlane));
    this.prevMvx = new Int16Array(this.state.count * 16);
    this.prevMvy = new Int16Array(this.state.count * 16);
    this.inter.setReference(this.refY, this.refU, this.refV, this.prevMvx, this.prevMvy);
    const o = this.options;
    this.bitrate = o.bitrate;
    this.vbvBuffer = o.vbvBuffer;
    this.vbvIsDefault = (options as EncoderOptions).vbvBuffer === undefined;
    this.rc = new RateController({
      mode: o.rateControl, bitrate: o.bitrate, fps: o.fps, vbvBuffer: o.vbvBuffer, qpMin: o.qpMin, qpMax: o.qpMax, qp: o.qp, gop: o.gop,
    });
    this.analysis = new FrameAnalysis(widthMbs, heightMbs, simd);
    this.qpTable = Array.from({ length: 52 }, (_, qp) => qpParams(qp, CHROMA_QP[Math.min(51, Math.max(0, qp + CHROMA_QP_INDEX_OFFSET))]!));
    this.aqOffset = new Int8Array(this.state.count);
    this.mbQpY = new Uint8Array(this.state.count);
  }

  /** Encodes one frame and returns its Annex-B NAL units (SPS and PPS before an IDR slice). */
  encode(image: EncoderImage): Uint8Array {
    if (this.closed) throw closedError();
    validateImage(image, this.width, this.height);
    const t0 = performance.now();
    convertImage(image, this.src);
    const o = this.options, rc = this.rc;
    const analyse = rc.mode !== 'cqp' || o.aqStrength > 0;
    if (analyse) this.analysis.analyse(this.src);
    let idr = this.framesSinceIdr < 0 || this.keyframeRequested || this.framesSinceIdr + 1 >= o.gop;
    let sceneCut = false;
    // Scene cuts: not closer to the last IDR than keyint_min (x264's default: gop / 10, at most fps).
    const minKeyint = Math.max(1, Math.min(Math.floor(o.gop / 10), o.fps));
    if (!idr && rc.mode !== 'cqp' && this.framesSinceIdr + 1 >= minKeyint
      && this.analysis.interSum > SCENE_CUT_RATIO * this.analysis.intraSum) {
      idr = true;
      sceneCut = true;
    }
    this.framesSinceIdr = idr ? 0 : this.framesSinceIdr + 1;
    this.keyframeRequested = false;
    const complexity = idr ? this.analysis.intraSum : this.analysis.interSum;
    this.setAqOffsets(o.aqStrength);
    // P frames: coarser towards the next scheduled IDR, finer after it (rate-control.ts, gopTilt).
    const a = this.analysis;
    const tilt = idr || rc.mode === 'cqp' || a.intraSum <= 0 ? 0 : gopTilt(1 - a.interSum / a.intraSum, o.gop - 1 - this.framesSinceIdr, o.gop);
    let plan = rc.planFrame(idr, complexity, sceneCut, tilt);
    let au = this.encodePicture(idr, plan);
    let reencoded = false;
    // The VBV must not underflow: code the frame again, coarser, while QP allows (rare).
    // A bucket already in debt (an earlier frame could not fit even at qpMax) leaves no room at
    // all (maxBits <= 0): then straight to qpMax, the least this frame can take.
    while (au.length * 8 > plan.maxBits && plan.qp < rc.qpMax) {
      const step = plan.maxBits > 0 ? Math.max(2, Math.ceil(6 * Math.log2(au.length * 8 / plan.maxBits)) + 1) : rc.qpMax - plan.qp;
      const qp = Math.min(rc.qpMax, plan.qp + step);
      const room = Math.max(0, plan.maxBits);
      plan = { ...plan, qp, targetBits: plan.targetBits * 0.9 * room / (au.length * 8), capBits: Math.min(plan.capBits, 0.9 * room) };
      au = this.encodePicture(idr, plan);
      reencoded = true;
    }
    this.finishPicture(idr);
    const st = this.lastStats;
    rc.frameDone(idr, au.length * 8, st.qpAvg, complexity);
    st.sceneCut = sceneCut;
    st.reencoded = reencoded;
    st.vbvFill = rc.mode === 'cbr' ? rc.vbvFill : null;
    st.psnrY = o.psnr ? this.psnrY() : null;
    st.encodeMs = performance.now() - t0;
    this.frameCount++;
    return au;
  }

  /**
   * A new target bitrate (bits/s, 1..240 000 000) from the next frame. In 'cbr' with the default
   * VBV buffer, the buffer stays one second of the new bitrate.
   */
  setBitrate(bps: number): void {
    if (this.closed) throw closedError();
    const bitrate = checkBitrate(bps, this.options.fps, this.vbvIsDefault ? null : this.vbvBuffer);
    if (bitrate > this.levelMaxBitrate) {
      throw rangeError(`bitrate ${bitrate} b/s exceeds level ${this.levelName}'s ${this.levelMaxBitrate} b/s, chosen from options.bitrate: create the encoder with the highest bitrate it will be set to`);
    }
    if (this.vbvIsDefault) this.vbvBuffer = bitrate;
    this.bitrate = bitrate;
    this.rc.setBitrate(bitrate, this.vbvBuffer);
  }

  /** New QP bounds (0..51, min <= max) from the next frame, for every mode and macroblock. */
  setQpRange(qpMin: number, qpMax: number): void {
    if (this.closed) throw closedError();
    const [min, max] = checkQpRange(qpMin, qpMax);
    this.rc.setQpRange(min, max);
  }

  /** The target bitrate in force (options.bitrate, or the last setBitrate()). */
  get targetBitrate(): number {
    return this.bitrate;
  }

  /** True when the last encoded frame was an IDR (key) frame. */
  keyframe(): boolean {
    if (this.closed) throw closedError();
    return this.lastWasKeyframe;
  }

  /** Makes the next encoded frame an IDR frame; the GOP counts from it. */
  requestKeyframe(): void {
    if (this.closed) throw closedError();
    this.keyframeRequested = true;
  }

  /** The last frame as a decoder reconstructs it (after deblocking), cropped, contiguous I420. */
  reconstructed(): EncoderImage {
    if (this.closed) throw closedError();
    return { width: this.width, height: this.height, format: 'i420', data: this.recon.toI420(this.width, this.height) };
  }

  /** Statistics of the last encoded frame (a copy). */
  stats(): FrameStats {
    if (this.closed) throw closedError();
    return { ...this.lastStats };
  }

  /** Frees the encoder; every later call throws ERR_ENCODER_CLOSED. */
  close(): void {
    if (this.closed) throw closedError();
    this.closed = true;
  }

  get framesEncoded(): number {
    return this.frameCount;
  }

  private writeParameterSets(): Uint8Array[] {
    const w = this.writer;
    w.reset();
    writeSps(w, this.sps);
    w.trailingBits();
    const sps = nalUnit(3, NalUnitType.Sps, w.bytes());
    w.reset();
    writePps(w, CHROMA_QP_INDEX_OFFSET);
    w.trailingBits();
    const pps = nalUnit(3, NalUnitType.Pps, w.bytes());
    return [sps, pps];
  }

  /** Codes the picture's one slice with the plan's QP; returns the access unit. */
  private encodePicture(idr: boolean, plan: FramePlan): Uint8Array {
    const w = this.writer;
    const qp = plan.qp;
    w.reset();
    writeSliceHeader(w, {
      idr,
      sliceType: idr ? 7 : 5, // I or P, all slices of the picture alike (Table 7-6)
      frameNum: this.framesSinceIdr & ((1 << this.sps.log2MaxFrameNum) - 1),
      log2MaxFrameNum: this.sps.log2MaxFrameNum,
      // 7.4.3: consecutive IDR pictures shall differ in idr_pic_id.
      idrPicId: this.idrCount & 0xffff,
      sliceQp: qp,
      disableDeblockingFilterIdc: 0,
      sliceAlphaC0OffsetDiv2: 0,
      sliceBetaOffsetDiv2: 0,
    });
    this.counts.fill(0);
    this.codeSlice(w, idr, plan);
    w.trailingBits();
    const slice = nalUnit(3, idr ? NalUnitType.Idr : NalUnitType.Slice, w.bytes());
    const au = idr ? concatBytes([...this.parameterSets, slice]) : slice;

    const c = this.counts, n = this.state.count, qpY = this.mbQpY;
    let sum = 0, lo = 51, hi = 0;
    for (let mb = 0; mb < n; mb++) {
      const q = qpY[mb]!;
      sum += q;
      if (q < lo) lo = q;
      if (q > hi) hi = q;
    }
    Object.assign(this.lastStats, {
      keyframe: idr, type: idr ? 'I' : 'P', bytes: au.length, qp, qpAvg: sum / n, qpMin: lo, qpMax: hi,
      mbI4x4: c[MbKind.I4x4], mbI16x16: c[MbKind.I16x16], mbPcm: c[MbKind.IPcm], mbPSkip: c[MbKind.PSkip],
      mbP16x16: c[MbKind.P16x16], mbP16x8: c[MbKind.P16x8], mbP8x16: c[MbKind.P8x16], mbP8x8: c[MbKind.P8x8],
    });
    return au;
  }

  /** Deblocks the coded picture and makes it the next reference. */
  private finishPicture(idr: boolean): void {
    deblockPicture(this.recon, this.state.qpDeblock, this.state.bs, {
      filterOffsetA: 0,
      filterOffsetB: 0,
      chromaQpIndexOffset: CHROMA_QP_INDEX_OFFSET,
    }, this.simd);
    // The deblocked picture is the next P picture's reference (8.2.5: sliding window, one frame).
    const simd = this.simd, r = this.recon;
    if (simd !== null) {
      for (const [ref, plane, stride] of [[this.refY, r.y, r.strideY], [this.refU, r.u, r.strideC], [this.refV, r.v, r.strideC]] as const) {
        simd.k.padPlane(plane.byteOffset, stride, ref.data.byteOffset + ref.origin, ref.stride, ref.width, ref.height, ref.pad);
      }
    } else {
      this.refY.fillFrom(r.y, r.strideY);
      this.refU.fillFrom(r.u, r.strideC);
      this.refV.fillFrom(r.v, r.strideC);
    }
    this.prevMvx.set(this.state.mvx);
    this.prevMvy.set(this.state.mvy);
    this.referenceStale = true;
    if (idr) this.idrCount++;
    this.lastWasKeyframe = idr;
  }

  /**
   * AQ: each macroblock's QP offset from its luma energy relative to the frame's mean (x264's
   * variance AQ, centred on the frame so the frame's QP stays what rate control planned).
   */
  private setAqOffsets(strength: number): void {
    const off = this.aqOffset;
    if (strength <= 0) {
      off.fill(0);
      return;
    }
    const e = this.analysis.logEnergy, n = off.length;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += e[i]!;
    mean /= n;
    for (let i = 0; i < n; i++) {
      const d = strength * 1.5 * (e[i]! - mean) / 2;
      off[i] = Math.max(-8, Math.min(8, Math.round(d)));
    }
  }

  /** Y-PSNR of the reconstruction against the source (visible area). */
  private psnrY(): number {
    const a = this.src.y, b = this.recon.y, s = this.src.strideY, w = this.width, h = this.height;
    let sse = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0, i = y * s; x < w; x++, i++) {
        const d = a[i]! - b[i]!;
        sse += d * d;
      }
    }
    return sse === 0 ? Infinity : 10 * Math.log10((255 * 255 * w * h) / sse);
  }

  /**
   * slice_data() — 7.3.4: every macroblock of the picture; in P slices mb_skip_run before every
   * coded macroblock and at the end. QP per macroblock: the row's QP (row rate control) plus the
   * AQ offset, within [qpMin, qpMax], sent as mb_qp_delta where the syntax has one.
   */
  private codeSlice(w: BitWriter, idr: boolean, plan: FramePlan): void {
    const { state, inter, intra, rc, analysis } = this;
    if (!idr && this.referenceStale) {
      inter.prepareReference();
      this.referenceStale = false;
    }
    const pos = this.position;
    const qpMin = rc.qpMin, qpMax = rc.qpMax, aq = this.aqOffset, qpY = this.mbQpY;
    const rowControl = rc.mode === 'cbr';
    const cost = idr ? analysis.intraCost : analysis.interCost;
    let total = 0, done = 0;
    if (rowControl) {
      for (let mb = 0; mb < state.count; mb++) total += idr ? cost[mb]! : Math.min(cost[mb]!, analysis.intraCost[mb]!);
    }
    const startBits = w.bitLength;
    let rowQp = plan.qp, qpPrev = plan.qp, skipRun = 0;
    for (let mby = 0, mb = 0; mby < state.mbHeight; mby++) {
      if (rowControl && mby > 0 && total > 0) rowQp = rc.rowQp(plan, rowQp, w.bitLength - startBits, done / total);
      for (let mbx = 0; mbx < state.mbWidth; mbx++, mb++) {
        const q = Math.min(qpMax, Math.max(qpMin, rowQp + aq[mb]!));
        const params = this.qpTable[q]!;
        pos.mb = mb; pos.mbx = mbx; pos.mby = mby; pos.qpDelta = wrapQpDelta(q - qpPrev);
        let kind: MbKind, cbp: number;
        if (idr) {
          kind = intra.encodeMacroblock(w, pos, params, 0);
          cbp = intra.committedCbp;
        } else {
          const jInter = inter.analyse(pos, params);
          // An early P_Skip is final. Otherwise intra competes on the same J = SSD + lambda2 * bits
          // when a cheap Intra_16x16 estimate says it might win (always, in the quality preset).
          let jIntra = Infinity;
          if (!(inter.bestIsPSkip && inter.decidedEarly)) {
            const gate = this.intraInPFactor;
            if (gate === Infinity || intra.estimate(pos, params, true) < gate * inter.searchCost) {
              jIntra = intra.analyse(pos, params, P_SLICE_INTRA_OFFSET, gate !== Infinity, true);
            }
          }
          if (jIntra < jInter) {
            w.ue(skipRun); // mb_skip_run
            skipRun = 0;
            kind = intra.commitBest(w, pos, P_SLICE_INTRA_OFFSET);
            cbp = intra.committedCbp;
          } else if (inter.bestIsPSkip) {
            kind = inter.commitBest(w, pos);
            cbp = 0;
            skipRun++;
          } else {
            w.ue(skipRun); // mb_skip_run
            skipRun = 0;
            kind = inter.commitBest(w, pos);
            cbp = inter.committedCbp;
          }
        }
        // 7.4.5: QP_Y changes only where mb_qp_delta is present (Intra_16x16 always; other
        // non-skip, non-PCM macroblocks with a coded residual); I_PCM filters with QP 0 (8.7.2.2).
        if (kind === MbKind.I16x16 || (cbp !== 0 && kind !== MbKind.IPcm && kind !== MbKind.PSkip)) qpPrev = q;
        qpY[mb] = qpPrev;
        state.qpDeblock[mb] = kind === MbKind.IPcm ? 0 : qpPrev;
        this.counts[kind]!++;
        if (rowControl) done += idr ? cost[mb]! : Math.min(cost[mb]!, analysis.intraCost[mb]!);
      }
    }
    if (!idr && skipRun > 0) w.ue(skipRun); // mb_skip_run of the macroblocks up to the end of the slice
  }
}
