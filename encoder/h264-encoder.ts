/**
 * H264Encoder: the public encoder, mirroring the ESP32-P4 `h264` module's API. An IDR picture
 * (preceded by SPS and PPS, so a stream can be joined at any keyframe) every `gop` frames or on
 * requestKeyframe(); P pictures predicted from the previous frame in between.
 */
import { BitWriter } from './common/bitstream.js';
import { deblockPicture, setInterBs, setIntraBs } from './common/deblock.js';
import { chooseLevel } from './common/levels.js';
import { concatBytes, nalUnit, NalUnitType } from './common/nal.js';
import { CHROMA_PAD, LUMA_PAD, PaddedPlane } from './common/padded-plane.js';
import { Picture } from './common/picture.js';
import { CHROMA_QP } from './common/transform.js';
import { closedError, describe, rangeError, typeError } from './errors.js';
import type { EncoderImage } from './image.js';
import { convertImage, validateImage } from './image-convert.js';
import { InterCoder } from './inter.js';
import { IntraCoder, qpParams, type QpParams } from './intra.js';
import { MB_KIND_COUNT, MbKind, MbState } from './mb-state.js';
import { PRESET_CHOICES } from './presets.js';
import { resolveOptions, type EncoderOptions, type ResolvedOptions } from './options.js';
import { writePps, writeSliceHeader, writeSps, type SpsParams } from './parameter-sets.js';

/** Level 5.1's limits on the picture (Table A-1: MaxFS 36864; A.3.1 f: sqrt(8 * MaxFS) = 543 MBs a side). */
const MAX_FRAME_MBS = 36864;
const MAX_SIDE_MBS = 543;
const CHROMA_QP_INDEX_OFFSET = 0;
/** mb_type offset of intra macroblocks in P slices (Table 7-13 is followed by Table 7-11). */
const P_SLICE_INTRA_OFFSET = 5;

/** What the last encode() produced (grows with rate control: QP ranges, timing, PSNR). */
export interface FrameStats {
  keyframe: boolean;
  /** Bytes of the access unit, parameter sets included. */
  bytes: number;
  qp: number;
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
  private readonly sps: SpsParams;
  private readonly src: Picture;
  private readonly recon: Picture;
  private readonly state: MbState;
  private readonly intra: IntraCoder;
  private readonly inter: InterCoder;
  private readonly intraInPFactor: number;
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
  private readonly position = { mb: 0, mbx: 0, mby: 0 };
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
    keyframe: false, bytes: 0, qp: 0, mbI4x4: 0, mbI16x16: 0, mbPcm: 0, mbPSkip: 0, mbP16x16: 0, mbP16x8: 0, mbP8x16: 0, mbP8x8: 0,
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
    this.src = new Picture(widthMbs, heightMbs);
    this.recon = new Picture(widthMbs, heightMbs);
    this.state = new MbState(widthMbs, heightMbs);
    this.parameterSets = this.writeParameterSets();
    const choices = PRESET_CHOICES[this.options.preset];
    this.intra = new IntraCoder(this.src, this.recon, this.state, choices.intra);
    this.intraInPFactor = choices.intraInPFactor;
    // Table A-1 MaxMvsPer2Mb is 16 from level 3.1: no sub-8x8 partitions there (x264 does the same).
    const interSearch = level.levelIdc > 30 && choices.inter.partitions === 'sub8x8'
      ? { ...choices.inter, partitions: 'p8x8' as const }
      : choices.inter;
    this.inter = new InterCoder(this.src, this.recon, this.state, interSearch, level.levelIdc);
    this.refY = new PaddedPlane(widthMbs * 16, heightMbs * 16, LUMA_PAD);
    this.refU = new PaddedPlane(widthMbs * 8, heightMbs * 8, CHROMA_PAD);
    this.refV = new PaddedPlane(widthMbs * 8, heightMbs * 8, CHROMA_PAD);
    this.prevMvx = new Int16Array(this.state.count * 16);
    this.prevMvy = new Int16Array(this.state.count * 16);
    this.inter.setReference(this.refY, this.refU, this.refV, this.prevMvx, this.prevMvy);
  }

  /** Encodes one frame and returns its Annex-B NAL units (SPS and PPS before an IDR slice). */
  encode(image: EncoderImage): Uint8Array {
    if (this.closed) throw closedError();
    validateImage(image, this.width, this.height);
    convertImage(image, this.src);
    const idr = this.framesSinceIdr < 0 || this.keyframeRequested || this.framesSinceIdr + 1 >= this.options.gop;
    this.framesSinceIdr = idr ? 0 : this.framesSinceIdr + 1;
    this.keyframeRequested = false;
    const au = this.encodePicture(idr);
    this.frameCount++;
    return au;
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

  private encodePicture(idr: boolean): Uint8Array {
    const w = this.writer;
    const qp = this.options.qp;
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
    const params = qpParams(qp, CHROMA_QP[Math.min(51, Math.max(0, qp + CHROMA_QP_INDEX_OFFSET))]!);
    this.counts.fill(0);
    if (idr) this.codeIntraSlice(w, params, qp);
    else this.codePSlice(w, params, qp);
    w.trailingBits();
    const slice = nalUnit(3, idr ? NalUnitType.Idr : NalUnitType.Slice, w.bytes());
    deblockPicture(this.recon, this.state.qpDeblock, this.state.bs, {
      filterOffsetA: 0,
      filterOffsetB: 0,
      chromaQpIndexOffset: CHROMA_QP_INDEX_OFFSET,
    });
    // The deblocked picture is the next P picture's reference (8.2.5: sliding window, one frame).
    this.refY.fillFrom(this.recon.y, this.recon.strideY);
    this.refU.fillFrom(this.recon.u, this.recon.strideC);
    this.refV.fillFrom(this.recon.v, this.recon.strideC);
    this.prevMvx.set(this.state.mvx);
    this.prevMvy.set(this.state.mvy);
    this.referenceStale = true;

    if (idr) this.idrCount++;
    this.lastWasKeyframe = idr;
    const au = idr ? concatBytes([...this.parameterSets, slice]) : slice;
    const c = this.counts;
    Object.assign(this.lastStats, {
      keyframe: idr, bytes: au.length, qp,
      mbI4x4: c[MbKind.I4x4], mbI16x16: c[MbKind.I16x16], mbPcm: c[MbKind.IPcm], mbPSkip: c[MbKind.PSkip],
      mbP16x16: c[MbKind.P16x16], mbP16x8: c[MbKind.P16x8], mbP8x16: c[MbKind.P8x16], mbP8x8: c[MbKind.P8x8],
    });
    return au;
  }

  private codeIntraSlice(w: BitWriter, params: QpParams, qp: number): void {
    const { state } = this;
    const pos = this.position;
    for (let mby = 0, mb = 0; mby < state.mbHeight; mby++) {
      for (let mbx = 0; mbx < state.mbWidth; mbx++, mb++) {
        pos.mb = mb; pos.mbx = mbx; pos.mby = mby;
        const kind = this.intra.encodeMacroblock(w, pos, params, 0);
        this.counts[kind]!++;
        state.qpDeblock[mb] = kind === MbKind.IPcm ? 0 : qp;
        state.setIntraMotion(mb);
        setIntraBs(state.bs, mb);
      }
    }
  }

  /** slice_data() of a P slice — 7.3.4: mb_skip_run before every coded macroblock and at the end. */
  private codePSlice(w: BitWriter, params: QpParams, qp: number): void {
    const { state, inter, intra } = this;
    if (this.referenceStale) {
      inter.prepareReference();
      this.referenceStale = false;
    }
    const pos = this.position;
    let skipRun = 0;
    for (let mby = 0, mb = 0; mby < state.mbHeight; mby++) {
      for (let mbx = 0; mbx < state.mbWidth; mbx++, mb++) {
        pos.mb = mb; pos.mbx = mbx; pos.mby = mby;
        const jInter = inter.analyse(pos, params);
        // An early P_Skip is final. Otherwise intra competes on the same J = SSD + lambda2 * bits
        // when a cheap Intra_16x16 estimate says it might win (always, in the quality preset).
        let jIntra = Infinity;
        if (!(inter.bestIsPSkip && inter.decidedEarly)) {
          const gate = this.intraInPFactor;
          if (gate === Infinity || intra.estimate(pos, params) < gate * inter.searchCost) {
            jIntra = intra.analyse(pos, params, P_SLICE_INTRA_OFFSET);
          }
        }
        let kind: MbKind;
        if (jIntra < jInter) {
          w.ue(skipRun); // mb_skip_run
          skipRun = 0;
          kind = intra.commitBest(w, pos, P_SLICE_INTRA_OFFSET);
          state.setIntraMotion(mb);
        } else if (inter.bestIsPSkip) {
          kind = inter.commitBest(w, pos);
          skipRun++;
        } else {
          w.ue(skipRun); // mb_skip_run
          skipRun = 0;
          kind = inter.commitBest(w, pos);
        }
        this.counts[kind]!++;
        state.qpDeblock[mb] = kind === MbKind.IPcm ? 0 : qp;
        setInterBs(state, mb, mbx, mby);
      }
    }
    if (skipRun > 0) w.ue(skipRun); // mb_skip_run of the macroblocks up to the end of the slice
  }
}
