// bias.cl: a per-channel bias added to NCHW planes (ConvTranspose2d's bias): y = x + b[c], one work-item per
// element; y may be x itself. Its gradient is conv.cl's channel_sum.

__kernel void channel_bias(__global const float* x, int xOff, __global const float* b, int bOff,
                           __global float* y, int yOff, int n, int channels, int spatial) {
    const int i = get_global_id(0);
    if (i >= n) return;
    y[yOff + i] = x[xOff + i] + b[bOff + (i / spatial) % channels];
}
