/**
 * H264Encoder: the public encoder, mirroring the ESP32-P4 `h264` module's API. Intra-only for now:
 * every frame is an IDR picture preceded by SPS and PPS, so a stream can be joined anywhere.
 */
import { BitWriter } from './common/bitstream.js';
import { deblockPicture, setIntraBs } from './common/deblock.js';
import { chooseLevel } from './common/levels.js';
import { concatBytes, nalUnit, NalUnitType } from './common/nal.js';
import { Picture } from './common/picture.js';
import { CHROMA_QP } from './common/transform.js';
import { closedError, describe, rangeError, typeError } from './errors.js';
import type { EncoderImage } from './image.js';
import { convertImage, validateImage } from './image-convert.js';
import { IntraCoder, qpParams } from './intra.js';
import { MbKind, MbState } from './mb-state.js';
import { PRESET_CHOICES } from './presets.js';
import { resolveOptions, type EncoderOptions, type ResolvedOptions } from './options.js';
import { writePps, writeSliceHeader, writeSps, type SpsParams } from './parameter-sets.js';

/** Level 5.1's limits on the picture (Table A-1: MaxFS 36864; A.3.1 f: sqrt(8 * MaxFS) = 543 MBs a side). */
const MAX_FRAME_MBS = 36864;
const MAX_SIDE_MBS = 543;
const CHROMA_QP_INDEX_OFFSET = 0;

/** What the last encode() produced (grows with rate control: QP ranges, timing, PSNR). */
export interface FrameStats {
  keyframe: boolean;
  /** Bytes of the access unit, parameter sets included. */
  bytes: number;
  qp: number;
  /** Macroblocks coded as Intra_4x4, Intra_16x16 and I_PCM. */
  mbI4x4: number;
  mbI16x16: number;
  mbPcm: number;
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
  private readonly writer = new BitWriter(1 << 16);
  /** SPS and PPS NAL units: fixed for the encoder's life, sent before every IDR. */
  private readonly parameterSets: Uint8Array[];
  private readonly position = { mb: 0, mbx: 0, mby: 0 };
  private closed = false;
  private lastWasKeyframe = false;
  private frameCount = 0;
  private idrCount = 0;
  private readonly lastStats: FrameStats = { keyframe: false, bytes: 0, qp: 0, mbI4x4: 0, mbI16x16: 0, mbPcm: 0 };

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
      log2MaxFrameNum: 4,
      maxNumRefFrames: 1,
      fps: this.options.fps,
    };
    this.src = new Picture(widthMbs, heightMbs);
    this.recon = new Picture(widthMbs, heightMbs);
    this.state = new MbState(widthMbs, heightMbs);
    this.parameterSets = this.writeParameterSets();
    this.intra = new IntraCoder(this.src, this.recon, this.state, PRESET_CHOICES[this.options.preset].intra);
  }

  /** Encodes one frame and returns its Annex-B NAL units (SPS, PPS and the IDR slice). */
  encode(image: EncoderImage): Uint8Array {
    if (this.closed) throw closedError();
    validateImage(image, this.width, this.height);
    convertImage(image, this.src);
    const au = this.encodeIdr();
    this.frameCount++;
    return au;
  }

  /** True when the last encoded frame was an IDR (key) frame. */
  keyframe(): boolean {
    if (this.closed) throw closedError();
    return this.lastWasKeyframe;
  }

  /** The last frame as a decoder reconstructs it (after deblocking), cropped, contiguous I420. */
  reconstructed(): EncoderImage {
    if (this.closed) throw closedError();
    return { width: this.width, height: this.height, format: 'i420', data: this.recon.toI420(this.width, this.height) };
  }

  /** Frees the encoder; every later call throws ERR_ENCODER_CLOSED. */
  close(): void {
    if (this.closed) throw closedError();
    this.closed = true;
  }

  /** Statistics of the last encoded frame (a copy). */
  stats(): FrameStats {
    if (this.closed) throw closedError();
    return { ...this.lastStats };
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

  private encodeIdr(): Uint8Array {
    const w = this.writer;
    const qp = this.options.qp;
    w.reset();
    writeSliceHeader(w, {
      idr: true,
      sliceType: 7,
      frameNum: 0,
      log2MaxFrameNum: this.sps.log2MaxFrameNum,
      // 7.4.3: consecutive IDR pictures shall differ in idr_pic_id.
      idrPicId: this.idrCount & 0xffff,
      sliceQp: qp,
      disableDeblockingFilterIdc: 0,
      sliceAlphaC0OffsetDiv2: 0,
      sliceBetaOffsetDiv2: 0,
    });
    const params = qpParams(qp, CHROMA_QP[Math.min(51, Math.max(0, qp + CHROMA_QP_INDEX_OFFSET))]!);
    const { state } = this;
    const { mbWidth, mbHeight } = state;
    const counts = [0, 0, 0];
    const pos = this.position;
    for (let mby = 0, mb = 0; mby < mbHeight; mby++) {
      for (let mbx = 0; mbx < mbWidth; mbx++, mb++) {
        pos.mb = mb; pos.mbx = mbx; pos.mby = mby;
        const kind = this.intra.encodeMacroblock(w, pos, params, 0);
        counts[kind]!++;
        state.qpDeblock[mb] = kind === MbKind.IPcm ? 0 : qp;
        setIntraBs(state.bs, mb);
      }
    }
    w.trailingBits();
    const slice = nalUnit(3, NalUnitType.Idr, w.bytes());
    deblockPicture(this.recon, state.qpDeblock, state.bs, {
      filterOffsetA: 0,
      filterOffsetB: 0,
      chromaQpIndexOffset: CHROMA_QP_INDEX_OFFSET,
    });
    this.idrCount++;
    this.lastWasKeyframe = true;
    const au = concatBytes([...this.parameterSets, slice]);
    Object.assign(this.lastStats, {
      keyframe: true, bytes: au.length, qp,
      mbI4x4: counts[MbKind.I4x4], mbI16x16: counts[MbKind.I16x16], mbPcm: counts[MbKind.IPcm],
    });
    return au;
  }
}
