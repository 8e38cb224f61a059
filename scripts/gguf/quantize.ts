/**
 * Float16 conversion and the Q8_0 / Q4_0 block quantizers, bit-compatible with ggml's
 * reference implementations (`quantize_row_q8_0_ref`, `quantize_row_q4_0_ref`), plus
 * the matching dequantizers so tests can check what was written.
 *
 * Arithmetic goes through Math.fround where ggml computes in float32, so that scales
 * round the same way.
 */

/** Elements per Q8_0 / Q4_0 block. */
export const quantizationBlockSize = 32;
export const q8_0BytesPerBlock = 34;
export const q4_0BytesPerBlock = 18;

const floatView = new Float32Array(1);
const bitsView = new Uint32Array(floatView.buffer);

/** IEEE half-precision bits of `value`, rounded to nearest, ties to even (like F16C). */
export function float32ToFloat16Bits(value: number): number {
  floatView[0] = value;
  const bits = bitsView[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    // Subnormal half: the implicit leading 1 becomes explicit and is shifted down.
    return sign | roundShift(mantissa | 0x800000, 14 - halfExponent);
  }
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  return sign | (((halfExponent << 10) | (mantissa >>> 13)) + roundingCarry(mantissa, 13, mantissa >>> 13));
}

function roundShift(value: number, shift: number): number {
  const shifted = value >>> shift;
  return shifted + roundingCarry(value, shift, shifted);
}

/** 1 when the `shift` bits dropped from `value` round `kept` up (ties to even). */
function roundingCarry(value: number, shift: number, kept: number): number {
  const dropped = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return dropped > half || (dropped === half && (kept & 1) === 1) ? 1 : 0;
}

export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** C's roundf: halves round away from zero (Math.round rounds them up). */
function roundHalfAwayFromZero(value: number): number {
  return Math.sign(value) * Math.round(Math.abs(value));
}

/** Q8_0: per block of 32, an f16 scale d = max|x| / 127, then 32 int8 values round(x / d). */
export function quantizeQ8_0Block(values: Float32Array, start: number, output: Buffer, at: number): void {
  let absoluteMax = 0;
  for (let index = 0; index < quantizationBlockSize; index++) absoluteMax = Math.max(absoluteMax, Math.abs(values[start + index]!));
  const scale = Math.fround(absoluteMax / 127);
  const inverseScale = scale === 0 ? 0 : Math.fround(1 / scale);
  output.writeUInt16LE(float32ToFloat16Bits(scale), at);
  for (let index = 0; index < quantizationBlockSize; index++) {
    // Two's complement byte; plain indexing is much faster than writeInt8 on big tensors.
    output[at + 2 + index] = roundHalfAwayFromZero(Math.fround(values[start + index]! * inverseScale)) & 0xff;
  }
}

/**
 * Q4_0: per block of 32, an f16 scale d = max / -8 where max is the value of largest
 * magnitude (sign kept), then 16 bytes of nibbles min(15, trunc(x / d + 8.5)); the low
 * nibbles hold elements 0..15 and the high nibbles elements 16..31.
 */
export function quantizeQ4_0Block(values: Float32Array, start: number, output: Buffer, at: number): void {
  let absoluteMax = 0;
  let signedMax = 0;
  for (let index = 0; index < quantizationBlockSize; index++) {
    const value = values[start + index]!;
    if (Math.abs(value) > absoluteMax) {
      absoluteMax = Math.abs(value);
      signedMax = value;
    }
  }
  const scale = Math.fround(signedMax / -8);
  const inverseScale = scale === 0 ? 0 : Math.fround(1 / scale);
  output.writeUInt16LE(float32ToFloat16Bits(scale), at);
  const half = quantizationBlockSize / 2;
  for (let index = 0; index < half; index++) {
    const low = Math.min(15, Math.trunc(Math.fround(Math.fround(values[start + index]! * inverseScale) + 8.5)));
    const high = Math.min(15, Math.trunc(Math.fround(Math.fround(values[start + half + index]! * inverseScale) + 8.5)));
    output[at + 2 + index] = low | (high << 4);
  }
}

/** The 32 values a Q8_0 block at `at` stands for. */
export function dequantizeQ8_0Block(input: Buffer, at: number): Float32Array {
  const scale = float16BitsToFloat32(input.readUInt16LE(at));
  return Float32Array.from({ length: quantizationBlockSize }, (_, index) => scale * input.readInt8(at + 2 + index));
}

/** The 32 values a Q4_0 block at `at` stands for. */
export function dequantizeQ4_0Block(input: Buffer, at: number): Float32Array {
  const scale = float16BitsToFloat32(input.readUInt16LE(at));
  const half = quantizationBlockSize / 2;
  return Float32Array.from({ length: quantizationBlockSize }, (_, index) => {
    const byte = input.readUInt8(at + 2 + (index % half));
    const nibble = index < half ? byte & 0x0f : byte >>> 4;
    return scale * (nibble - 8);
  });
}
