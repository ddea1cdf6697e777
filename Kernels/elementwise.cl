// elementwise.cl: activations, add, copies (plain, strided blocks for concat), fill, dropout.
// One work-item per element; the host rounds the global size up, so every kernel checks its bound.

// y = act(x)
__kernel void activation_forward(__global const float* x, int xOff, __global float* y, int yOff,
                                 int n, int act, float param, float param2) {
    int i = get_global_id(0);
    if (i < n) y[yOff + i] = activate2(x[xOff + i], act, param, param2);
}

// dx (+)= act'(src) * dy with src = y (fromOutput) or x.
__kernel void activation_backward(__global const float* src, int srcOff, __global const float* dy, int dyOff,
                                  __global float* dx, int dxOff, int n, int act, float param,
                                  float param2, int fromOutput, int accumulate) {
    int i = get_global_id(0);
    if (i >= n) return;
    float s = src[srcOff + i], g = dy[dyOff + i];
    float d = fromOutput ? activationGradFromOutput(s, g, act, param) : activationGradFromInput(s, g, act, param, param2);
    dx[dxOff + i] = accumulate ? dx[dxOff + i] + d : d;
}

// y = act(a + b); more inputs are chained by the host with act = none until the last.
__kernel void add2(__global const float* a, int aOff, __global const float* b, int bOff,
                   __global float* y, int yOff, int n, int act, float param) {
    int i = get_global_id(0);
    if (i < n) y[yOff + i] = activate(a[aOff + i] + b[bOff + i], act, param);
}

// `count` blocks of `block` elements: y[yOff + r*yStride + c] (+)= x[xOff + r*xStride + c]. A plain copy is
// one block; concat and its backward copy one channel block per sample.
__kernel void copy_blocks(__global const float* x, int xOff, int xStride, __global float* y, int yOff, int yStride,
                          int block, int count, int accumulate) {
    int i = get_global_id(0);
    if (i >= block * count) return;
    int r = i / block, c = i - r * block;
    float v = x[xOff + r * xStride + c];
    int at = yOff + r * yStride + c;
    y[at] = accumulate ? y[at] + v : v;
}

__kernel void fill(__global float* y, int yOff, int n, float value) {
    int i = get_global_id(0);
    if (i < n) y[yOff + i] = value;
}

inline float counterUniform(uint seed, uint step, uint salt, uint index) {
    return (float)(counterBits(seed, step, salt, index) >> 8) * (1.0f / 16777216.0f);
}

// y = x * mask, mask = keep ? scale : 0 with keep = uniform(seed, step, salt, i) >= p and scale = 1/(1-p).
__kernel void dropout_forward(__global const float* x, int xOff, __global float* y, int yOff,
                              __global float* mask, int maskOff, int n, float p, float scale,
                              uint seed, uint step, uint salt) {
    int i = get_global_id(0);
    if (i >= n) return;
    float m = counterUniform(seed, step, salt, (uint)i) >= p ? scale : 0.0f;
    mask[maskOff + i] = m;
    y[yOff + i] = x[xOff + i] * m;
}

// dx (+)= dy * mask
__kernel void multiply(__global const float* a, int aOff, __global const float* b, int bOff,
                       __global float* y, int yOff, int n, int accumulate) {
    int i = get_global_id(0);
    if (i >= n) return;
    float v = a[aOff + i] * b[bOff + i];
    y[yOff + i] = accumulate ? y[yOff + i] + v : v;
}

// y[i] (beta*y +)= sum over t < slices of x[t*sliceStride + i]: the partial products of a split-K GEMM.
__kernel void sum_slices(__global const float* x, int xOff, int sliceStride, int slices,
                         __global float* y, int yOff, int n, float beta) {
    int i = get_global_id(0);
    if (i >= n) return;
    float sum = 0.0f;
    for (int t = 0; t < slices; ++t) sum += x[xOff + t * sliceStride + i];
    y[yOff + i] = beta != 0.0f ? beta * y[yOff + i] + sum : sum;
}

// y[i] = act(sum of the slices' partial results + bias[i % columns]): the end of a split-K GEMM whose bias and
// activation the slices cannot apply (a linear layer's forward on a GPU).
__kernel void sum_slices_bias_act(__global const float* x, int xOff, int sliceStride, int slices,
                                  __global float* y, int yOff, int n, int columns,
                                  __global const float* bias, int biasOff, int hasBias, int act, float actParam) {
    int i = get_global_id(0);
    if (i >= n) return;
    float sum = 0.0f;
    for (int t = 0; t < slices; ++t) sum += x[xOff + t * sliceStride + i];
    if (hasBias) sum += bias[biasOff + i % columns];
    y[yOff + i] = activate(sum, act, actParam);
}

// y (+)= a * b over `outer` rows of `inner` elements; b holds one value per row when perRow (a channel gate).
__kernel void multiply_rows(__global const float* a, int aOff, __global const float* b, int bOff, __global float* y, int yOff,
                       int n, int inner, int perRow, int accumulate) {
    int i = get_global_id(0);
    if (i >= n) return;
    float v = a[aOff + i] * b[bOff + (perRow ? i / inner : i)];
    y[yOff + i] = accumulate ? y[yOff + i] + v : v;
}

// d[r] (+)= sum over row r of dy * other; one work-item per row (rows are channels, inner a plane).
__kernel void row_dot(__global const float* dy, int dyOff, __global const float* other, int otherOff,
                      __global float* d, int dOff, int outer, int inner, int accumulate) {
    int r = get_global_id(0);
    if (r >= outer) return;
    float sum = 0.0f;
    for (int e = r * inner; e < (r + 1) * inner; ++e) sum += dy[dyOff + e] * other[otherOff + e];
    d[dOff + r] = accumulate ? d[dOff + r] + sum : sum;
}

// y (+)= scale * x + shift.
__kernel void affine(__global const float* x, int xOff, __global float* y, int yOff, int n, float scale, float shift,
                     int accumulate) {
    int i = get_global_id(0);
    if (i >= n) return;
    float v = scale * x[xOff + i] + shift;
    y[yOff + i] = accumulate ? y[yOff + i] + v : v;
}
