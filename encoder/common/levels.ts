/**
 * Level limits — H.264 (08/2021) Annex A, Table A-1, and the level choice the encoder makes from them.
 */

export interface LevelLimit {
  /** level_idc as written in the SPS (10 * level number; 9 for level 1b, see LEVEL_LIMITS). */
  levelIdc: number;
  /** Level number as the standard names it ('1b', '3.1'). */
  name: string;
  /** MaxMBPS: maximum macroblock processing rate (MB/s). */
  maxMbps: number;
  /** MaxFS: maximum frame size (MBs). */
  maxFs: number;
  /** MaxDpbMbs: maximum decoded picture buffer size (MBs). */
  maxDpbMbs: number;
  /** MaxBR: maximum video bit rate, in units of cpbBrVclFactor / cpbBrNalFactor bits/s. */
  maxBr: number;
  /** MaxCPB: maximum CPB size, in units of cpbBrVclFactor / cpbBrNalFactor bits. */
  maxCpb: number;
  /** MaxVmvR: vertical motion vector component range [-maxVmvR, maxVmvR - 0.25] in luma frame samples. */
  maxVmvR: number;
  /** MinCR: minimum compression ratio. */
  minCr: number;
  /** MaxMvsPer2Mb: maximum number of motion vectors per two consecutive MBs; undefined where Table A-1 has '-'. */
  maxMvsPer2Mb: number | undefined;
}

/**
 * Table A-1, levels 1 to 5.2 in increasing order.
 *
 * Level 1b is listed with level_idc 9, the value High profiles use. In Baseline, Constrained Baseline,
 * Main and Extended it is signalled as level_idc 11 with constraint_set3_flag = 1 (7.4.2.1.1), which
 * the SPS writer must do instead.
 */
export const LEVEL_LIMITS: readonly LevelLimit[] = [
  // level(levelIdc, name, MaxMBPS, MaxFS, MaxDpbMbs, MaxBR, MaxCPB, MaxVmvR, MinCR, MaxMvsPer2Mb)
  level(10, '1', 1485, 99, 396, 64, 175, 64, 2, undefined),
  level(9, '1b', 1485, 99, 396, 128, 350, 64, 2, undefined),
  level(11, '1.1', 3000, 396, 900, 192, 500, 128, 2, undefined),
  level(12, '1.2', 6000, 396, 2376, 384, 1000, 128, 2, undefined),
  level(13, '1.3', 11880, 396, 2376, 768, 2000, 128, 2, undefined),
  level(20, '2', 11880, 396, 2376, 2000, 2000, 128, 2, undefined),
  level(21, '2.1', 19800, 792, 4752, 4000, 4000, 256, 2, undefined),
  level(22, '2.2', 20250, 1620, 8100, 4000, 4000, 256, 2, undefined),
  level(30, '3', 40500, 1620, 8100, 10000, 10000, 256, 2, 32),
  level(31, '3.1', 108000, 3600, 18000, 14000, 14000, 512, 4, 16),
  level(32, '3.2', 216000, 5120, 20480, 20000, 20000, 512, 4, 16),
  level(40, '4', 245760, 8192, 32768, 20000, 25000, 512, 4, 16),
  level(41, '4.1', 245760, 8192, 32768, 50000, 62500, 512, 2, 16),
  level(42, '4.2', 522240, 8704, 34816, 50000, 62500, 512, 2, 16),
  level(50, '5', 589824, 22080, 110400, 135000, 135000, 512, 2, 16),
  level(51, '5.1', 983040, 36864, 184320, 240000, 240000, 512, 2, 16),
  level(52, '5.2', 2073600, 36864, 184320, 240000, 240000, 512, 2, 16),
];

function level(
  levelIdc: number, name: string, maxMbps: number, maxFs: number, maxDpbMbs: number, maxBr: number,
  maxCpb: number, maxVmvR: number, minCr: number, maxMvsPer2Mb: number | undefined,
): LevelLimit {
  return Object.freeze({ levelIdc, name, maxMbps, maxFs, maxDpbMbs, maxBr, maxCpb, maxVmvR, minCr, maxMvsPer2Mb });
}

/**
 * cpbBrVclFactor and cpbBrNalFactor for Baseline, Constrained Baseline, Main and Extended profiles
 * (Table A-1 units; Table A-2 gives the High profiles' factors): MaxBR and MaxCPB count 1000 bits for
 * VCL HRD parameters and 1200 bits for NAL HRD parameters.
 */
export const CPB_BR_VCL_FACTOR = 1000;
export const CPB_BR_NAL_FACTOR = 1200;

/**
 * The lowest level (1b skipped) whose Table A-1 limits admit the stream, or undefined if even level 5.2
 * does not (the caller reports it). Checks, per A.3.1:
 * - PicWidthInMbs * FrameHeightInMbs <= MaxFS, and PicWidthInMbs and FrameHeightInMbs <= Sqrt(MaxFS * 8);
 * - the macroblock rate mbPerSecond <= MaxMBPS;
 * - bitrate <= cpbBrVclFactor * MaxBR: with no HRD parameters in the VUI the VCL limit is the
 *   binding one (the stricter of the two), as FFmpeg's and x264's level checks use it;
 * - MaxDpbMbs >= frameMbs, so MaxDpbFrames >= 1 and max_dec_frame_buffering = 1 fits.
 */
export function chooseLevel(
  frameMbs: number, widthMbs: number, heightMbs: number, mbPerSecond: number, bitrate: number,
): LevelLimit | undefined {
  for (const limit of LEVEL_LIMITS) {
    if (limit.levelIdc === 9) continue; // 1b: level 1.1 admits every stream 1b does, and is signalled the same way in all profiles
    if (frameMbs > limit.maxFs) continue;
    // x <= Sqrt(MaxFS * 8) compared in integers: x * x <= MaxFS * 8.
    if (widthMbs * widthMbs > limit.maxFs * 8 || heightMbs * heightMbs > limit.maxFs * 8) continue;
    if (mbPerSecond > limit.maxMbps) continue;
    if (bitrate > limit.maxBr * CPB_BR_VCL_FACTOR) continue;
    if (frameMbs > limit.maxDpbMbs) continue;
    return limit;
  }
  return undefined;
}
