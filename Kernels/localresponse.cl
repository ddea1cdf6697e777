// localresponse.cl: normalisation across channels (LocalResponseNorm, and F.normalize as the window over every
// channel; Sources/Engine/ChannelWindowGeometry.swift). One work-item per (sample, position) walks the channels
// with a running window sum: entering channel c adds channel c + after and drops channel c - before - 1.
// D_c = k + alpha * sum over the window of x^2; y_c = x_c * D_c^(-beta). The saved D is optional (hasBase).

__kernel void lrn_forward(__global const float* x, int xOff, __global float* y, int yOff,
                          __global float* base, int baseOff, int hasBase,
                          int batch, int channels, int spatial, int before, int after, float alpha, float beta, float k) {
    const int id = get_global_id(0);
    if (id >= batch * spatial) return;
    const int n = id / spatial, s = id - n * spatial;
    const int at = n * channels * spatial + s;
    float window = 0.0f;
    for (int c = 0; c <= min(after, channels - 1); c++) { float v = x[xOff + at + c * spatial]; window += v * v; }
    for (int c = 0; c < channels; c++) {
        if (c > 0) {
            int enter = c + after, leave = c - before - 1;
            if (enter < channels) { float v = x[xOff + at + enter * spatial]; window += v * v; }
            if (leave >= 0) { float v = x[xOff + at + leave * spatial]; window -= v * v; }
        }
        const int i = at + c * spatial;
        const float d = k + alpha * fmax(window, 0.0f);
        if (hasBase) base[baseOff + i] = d;
        y[yOff + i] = x[xOff + i] * pow(d, -beta);
    }
}

// dx (+)= dy * D^(-beta) - 2 alpha beta x * T, T_j = sum over c = j-after ... j+before of dy_c x_c D_c^(-beta-1).
__kernel void lrn_backward(__global const float* x, int xOff, __global const float* dy, int dyOff,
                           __global const float* base, int baseOff, __global float* dx, int dxOff, int accumulate,
                           int batch, int channels, int spatial, int before, int after, float alpha, float beta) {
    const int id = get_global_id(0);
    if (id >= batch * spatial) return;
    const int n = id / spatial, s = id - n * spatial;
    const int at = n * channels * spatial + s;
    float window = 0.0f;
    for (int c = 0; c <= min(before, channels - 1); c++) {
        int i = at + c * spatial;
        window += dy[dyOff + i] * x[xOff + i] * pow(base[baseOff + i], -beta - 1.0f);
    }
    for (int j = 0; j < channels; j++) {
        if (j > 0) {
            int enter = j + before, leave = j - after - 1;
            if (enter < channels) {
                int i = at + enter * spatial;
                window += dy[dyOff + i] * x[xOff + i] * pow(base[baseOff + i], -beta - 1.0f);
            }
            if (leave >= 0) {
                int i = at + leave * spatial;
                window -= dy[dyOff + i] * x[xOff + i] * pow(base[baseOff + i], -beta - 1.0f);
            }
        }
        const int i = at + j * spatial;
        const float d = dy[dyOff + i] * pow(base[baseOff + i], -beta) - 2.0f * alpha * beta * x[xOff + i] * window;
        dx[dxOff + i] = accumulate ? dx[dxOff + i] + d : d;
    }
}
