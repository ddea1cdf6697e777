// data.cl: training batches built on the device from a resident uint8 data set (gather by an epoch
// permutation, random crop with zero padding, horizontal flip, per-channel normalisation).
// The host's loader computes pixel * scale + shift without fusing; keep it unfused so both agree exactly.
#pragma OPENCL FP_CONTRACT OFF

// One work-item per input element of the batch (n = batch * C * H * W). Row r < valid takes sample
// order[first + r]: out[c][y][x] = padded[c][y + oy][x' + ox] (x' = W-1-x when flipped, padded = image shifted
// by `padding` with zeros around), then * affine[c] + affine[C + c]. Rows from `valid` on are 0 with label -1.
__kernel void gather_batch(__global const uchar* pixels, __global const int* sampleLabels, __global const int* order,
                           __global const float* affine, __global float* x, int xOff, __global int* labels, int labelsOff,
                           int n, int channels, int height, int width, int padding, int flip, uint seed,
                           int first, int valid, uint step) {
    int i = get_global_id(0);
    if (i >= n) return;
    int plane = height * width;
    int sampleSize = channels * plane;
    int row = i / sampleSize;
    int rem = i - row * sampleSize;
    if (row >= valid) {
        x[xOff + i] = 0.0f;
        if (rem == 0) labels[labelsOff + row] = -1;
        return;
    }
    int sample = order[first + row];
    int c = rem / plane;
    int pos = rem - c * plane;
    int oy = padding, ox = padding;
    if (padding > 0) {
        uint bound = (uint)(2 * padding + 1);
        oy = (int)mul_hi(counterBits(seed, step, 0xA0u, (uint)row), bound);
        ox = (int)mul_hi(counterBits(seed, step, 0xA1u, (uint)row), bound);
    }
    int flipped = flip && (counterBits(seed, step, 0xA2u, (uint)row) >> 31) == 1u;
    int oxIndex = pos % width;
    int sy = pos / width + oy - padding;
    int sx = (flipped ? width - 1 - oxIndex : oxIndex) + ox - padding;
    float pixel = 0.0f;
    if (sy >= 0 && sy < height && sx >= 0 && sx < width) {
        pixel = (float)pixels[sample * sampleSize + c * plane + sy * width + sx];
    }
    x[xOff + i] = pixel * affine[c] + affine[channels + c];
    if (rem == 0) labels[labelsOff + row] = sampleLabels[sample];
}
