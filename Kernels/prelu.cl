// prelu.cl: y = x > 0 ? x : a * x over NCHW (spatial = H*W) or [n][C] (spatial = 1), with one slope a for every
// element (slopes == 1) or one per channel. Forward and dx one element per work-item; dSlopes one work-group per
// slope. Absent optional outputs come with a has* flag of 0.

inline int preluSlope(int i, int channels, int spatial, int slopes) {
    return slopes == 1 ? 0 : (i / spatial) % channels;
}

__kernel void prelu_forward(__global const float* x, int xOff, __global const float* a, int aOff,
                            __global float* y, int yOff, int count, int channels, int spatial, int slopes) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const float v = x[xOff + i];
    y[yOff + i] = v > 0.0f ? v : a[aOff + preluSlope(i, channels, spatial, slopes)] * v;
}

// dx (+)= x > 0 ? dy : a * dy.
__kernel void prelu_backward_data(__global const float* x, int xOff, __global const float* dy, int dyOff,
                                  __global const float* a, int aOff, __global float* dx, int dxOff, int accumulate,
                                  int count, int channels, int spatial, int slopes) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const float g = dy[dyOff + i];
    const float d = x[xOff + i] > 0.0f ? g : a[aOff + preluSlope(i, channels, spatial, slopes)] * g;
    dx[dxOff + i] = accumulate ? dx[dxOff + i] + d : d;
}

// dSlopes[k] (+)= sum of x * dy over the elements with x <= 0 that take slope k: all of them when slopes == 1,
// else channel k of every sample.
__kernel __attribute__((reqd_work_group_size(WGS, 1, 1)))
void prelu_backward_slopes(__global const float* x, int xOff, __global const float* dy, int dyOff,
                           __global float* dSlopes, int dSlopesOff, int accumulate,
                           int batch, int channels, int spatial, int slopes) {
    __local float scratch[WGS];
    const int k = get_group_id(0), lid = get_local_id(0);
    const int m = slopes == 1 ? batch * channels * spatial : batch * spatial;
    float sum = 0.0f;
    for (int j = lid; j < m; j += WGS) {
        int at = slopes == 1 ? j : ((j / spatial) * channels + k) * spatial + j % spatial;
        float v = x[xOff + at];
        if (v <= 0.0f) sum += v * dy[dyOff + at];
    }
    const float total = workGroupSum(sum, scratch);
    if (lid == 0) dSlopes[dSlopesOff + k] = accumulate ? dSlopes[dSlopesOff + k] + total : total;
}
