/**
 * Sequence and picture parameter sets and the slice header — 7.3.2.1.1, 7.3.2.2, 7.3.3, E.1.1.
 * Constrained Baseline: profile_idc 66 with constraint_set0_flag and constraint_set1_flag (A.2.1.1).
 */
import type { BitSink } from './common/bitstream.js';

export interface SpsParams {
  levelIdc: number;
  widthMbs: number;
  heightMbs: number;
  /** Visible size: what frame cropping leaves. */
  width: number;
  height: number;
  log2MaxFrameNum: number;
  maxNumRefFrames: number;
  fps: number;
}

/** seq_parameter_set_data() + vui_parameters() — 7.3.2.1.1, E.1.1 */
export function writeSps(w: BitSink, sps: SpsParams): void {
  w.u(8, 66); // profile_idc: Baseline
  w.u(1, 1); // constraint_set0_flag: obeys A.2.1 (Baseline)
  w.u(1, 1); // constraint_set1_flag: obeys A.2.2 (Main) too — together: Constrained Baseline
  w.u(1, 0); // constraint_set2_flag
  w.u(1, 0); // constraint_set3_flag
  w.u(1, 0); // constraint_set4_flag
  w.u(1, 0); // constraint_set5_flag
  w.u(2, 0); // reserved_zero_2bits
  w.u(8, sps.levelIdc); // level_idc
  w.ue(0); // seq_parameter_set_id
  w.ue(sps.log2MaxFrameNum - 4); // log2_max_frame_num_minus4
  // POC type 2: output order = decoding order, nothing in slice headers (8.2.1.3). Allowed since
  // no two consecutive pictures are non-reference.
  w.ue(2); // pic_order_cnt_type
  w.ue(sps.maxNumRefFrames); // max_num_ref_frames
  w.u(1, 0); // gaps_in_frame_num_value_allowed_flag
  w.ue(sps.widthMbs - 1); // pic_width_in_mbs_minus1
  w.ue(sps.heightMbs - 1); // pic_height_in_map_units_minus1
  w.u(1, 1); // frame_mbs_only_flag
  w.u(1, 1); // direct_8x8_inference_flag
  const cropRight = (sps.widthMbs * 16 - sps.width) >> 1; // CropUnitX = 2 for 4:2:0 (7-19)
  const cropBottom = (sps.heightMbs * 16 - sps.height) >> 1; // CropUnitY = 2 (frame_mbs_only)
  const cropping = cropRight > 0 || cropBottom > 0;
  w.u(1, cropping ? 1 : 0); // frame_cropping_flag
  if (cropping) {
    w.ue(0); // frame_crop_left_offset
    w.ue(cropRight); // frame_crop_right_offset
    w.ue(0); // frame_crop_top_offset
    w.ue(cropBottom); // frame_crop_bottom_offset
  }
  w.u(1, 1); // vui_parameters_present_flag
  writeVui(w, sps);
}

/** vui_parameters() — E.1.1 */
function writeVui(w: BitSink, sps: SpsParams): void {
  w.u(1, 1); // aspect_ratio_info_present_flag
  w.u(8, 1); // aspect_ratio_idc: 1:1 square samples (Table E-1)
  w.u(1, 0); // overscan_info_present_flag
  w.u(1, 1); // video_signal_type_present_flag
  w.u(3, 5); // video_format: unspecified (Table E-2)
  w.u(1, 0); // video_full_range_flag: limited (16..235 / 16..240), as RGB input is converted
  w.u(1, 1); // colour_description_present_flag
  w.u(8, 6); // colour_primaries: SMPTE 170M / BT.601 525 (Table E-3)
  w.u(8, 6); // transfer_characteristics: BT.601 (Table E-4)
  w.u(8, 6); // matrix_coefficients: BT.601 (Table E-5), the matrix of our RGB conversion
  w.u(1, 0); // chroma_loc_info_present_flag
  w.u(1, 1); // timing_info_present_flag
  // E.2.1: a frame lasts 2 ticks for progressive frames, so time_scale = 2 * fps.
  w.u(32, 1); // num_units_in_tick
  w.u(32, 2 * sps.fps); // time_scale
  w.u(1, 1); // fixed_frame_rate_flag
  w.u(1, 0); // nal_hrd_parameters_present_flag
  w.u(1, 0); // vcl_hrd_parameters_present_flag
  w.u(1, 0); // pic_struct_present_flag
  w.u(1, 1); // bitstream_restriction_flag
  w.u(1, 1); // motion_vectors_over_pic_boundaries_flag
  w.ue(0); // max_bytes_per_pic_denom: no limit
  w.ue(0); // max_bits_per_mb_denom: no limit
  w.ue(15); // log2_max_mv_length_horizontal
  w.ue(15); // log2_max_mv_length_vertical
  w.ue(0); // max_num_reorder_frames: display each frame as soon as it is decoded
  w.ue(sps.maxNumRefFrames); // max_dec_frame_buffering
}

/** pic_parameter_set_rbsp() — 7.3.2.2 (without the rbsp_trailing_bits). */
export function writePps(w: BitSink, chromaQpIndexOffset: number): void {
  w.ue(0); // pic_parameter_set_id
  w.ue(0); // seq_parameter_set_id
  w.u(1, 0); // entropy_coding_mode_flag: CAVLC
  w.u(1, 0); // bottom_field_pic_order_in_frame_present_flag
  w.ue(0); // num_slice_groups_minus1
  w.ue(0); // num_ref_idx_l0_default_active_minus1
  w.ue(0); // num_ref_idx_l1_default_active_minus1
  w.u(1, 0); // weighted_pred_flag
  w.u(2, 0); // weighted_bipred_idc
  w.se(0); // pic_init_qp_minus26: slices carry slice_qp_delta
  w.se(0); // pic_init_qs_minus26
  w.se(chromaQpIndexOffset); // chroma_qp_index_offset
  w.u(1, 1); // deblocking_filter_control_present_flag
  w.u(1, 0); // constrained_intra_pred_flag
  w.u(1, 0); // redundant_pic_cnt_present_flag
}

export interface SliceHeaderParams {
  idr: boolean;
  /** slice_type: 7 (I, all slices of the picture) or 5 (P) — Table 7-6. */
  sliceType: number;
  frameNum: number;
  log2MaxFrameNum: number;
  idrPicId: number;
  sliceQp: number;
  /** 0: filter, 1: off (7.4.3). */
  disableDeblockingFilterIdc: number;
  sliceAlphaC0OffsetDiv2: number;
  sliceBetaOffsetDiv2: number;
}

/** slice_header() — 7.3.3, for pic_order_cnt_type 2, one slice per picture. */
export function writeSliceHeader(w: BitSink, h: SliceHeaderParams): void {
  w.ue(0); // first_mb_in_slice
  w.ue(h.sliceType); // slice_type
  w.ue(0); // pic_parameter_set_id
  w.u(h.log2MaxFrameNum, h.frameNum); // frame_num
  if (h.idr) w.ue(h.idrPicId); // idr_pic_id
  if (h.sliceType === 5 || h.sliceType === 0) {
    w.u(1, 0); // num_ref_idx_active_override_flag
    w.u(1, 0); // ref_pic_list_modification_flag_l0 (7.3.3.1)
  }
  // dec_ref_pic_marking() — 7.3.3.3 (nal_ref_idc != 0 for every picture we send)
  if (h.idr) {
    w.u(1, 0); // no_output_of_prior_pics_flag
    w.u(1, 0); // long_term_reference_flag
  } else {
    w.u(1, 0); // adaptive_ref_pic_marking_mode_flag: sliding window
  }
  w.se(h.sliceQp - 26); // slice_qp_delta
  w.ue(h.disableDeblockingFilterIdc); // disable_deblocking_filter_idc
  if (h.disableDeblockingFilterIdc !== 1) {
    w.se(h.sliceAlphaC0OffsetDiv2); // slice_alpha_c0_offset_div2
    w.se(h.sliceBetaOffsetDiv2); // slice_beta_offset_div2
  }
}
