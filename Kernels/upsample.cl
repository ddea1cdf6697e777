// upsample.cl: nearest and bilinear (align_corners=False) upsampling of NCHW planes, forward and backward.
// Source taps as UpsampleGeometry.taps (Sources/Engine/Upsample.swift), with scale = in / out computed by the
// host in float: nearest reads i0 = min(floor(o * scale), in - 1); bilinear reads src = max(scale * (o + 0.5) - 0.5,
// 0) between i0 = (int)src and i1 = min(i0 + 1, in - 1) with weights 1 - w1 and w1 = src - i0.
// The backward gathers by input row: one work-item per (plane, input row) adds the outputs of every output row
// whose taps read that row, so no two work-items write one element (no atomics, no zero-fill pass).

#pragma OPENCL FP_CONTRACT OFF

inline void upsample_tap(int o, int inSize, float scale, int bilinear, int* i0, int* i1, float* w1) {
    if (!bilinear) {
        *i0 = min((int)floor((float)o * scale), inSize - 1);
        *i1 = *i0;
        *w1 = 0.0f;
        return;
    }
    float src = fmax(scale * ((float)o + 0.5f) - 0.5f, 0.0f);
    int i = (int)src;
    *i0 = i;
    *i1 = i < inSize - 1 ? i + 1 : i;
    *w1 = src - (float)i;
}

// One work-item per output element: y = h0·(w0·x[i0,j0] + w1·x[i0,j1]) + h1·(w0·x[i1,j0] + w1·x[i1,j1]).
__kernel void upsample_forward(__global const float* x, int xOff, __global float* y, int yOff,
                               int planes, int H, int W, int OH, int OW, float scaleH, float scaleW, int bilinear) {
    const int i = get_global_id(0);
    if (i >= planes * OH * OW) return;
    int ow = i % OW, t = i / OW, oh = t % OH, p = t / OH;
    int h0, h1, w0, w1;
    float lh, lw;
    upsample_tap(oh, H, scaleH, bilinear, &h0, &h1, &lh);
    upsample_tap(ow, W, scaleW, bilinear, &w0, &w1, &lw);
    __global const float* xp = x + xOff + p * H * W;
    if (!bilinear) { y[yOff + i] = xp[h0 * W + w0]; return; }
    float ch = 1.0f - lh, cw = 1.0f - lw;
    y[yOff + i] = ch * (cw * xp[h0 * W + w0] + lw * xp[h0 * W + w1]) + lh * (cw * xp[h1 * W + w0] + lw * xp[h1 * W + w1]);
}

// One work-item per (plane, input row): dx row (+)= Σ over the output rows reading it of the row weight times
// each output's gradient, spread over its two columns.
__kernel void upsample_backward(__global const float* dy, int dyOff, __global float* dx, int dxOff, int accumulate,
                                int planes, int H, int W, int OH, int OW, float scaleH, float scaleW, int bilinear) {
    const int i = get_global_id(0);
    if (i >= planes * H) return;
    int ih = i % H, p = i / H;
    __global float* row = dx + dxOff + (p * H + ih) * W;
    if (!accumulate) for (int k = 0; k < W; ++k) row[k] = 0.0f;
    __global const float* dyp = dy + dyOff + p * OH * OW;
    for (int oh = 0; oh < OH; ++oh) {
        int h0, h1;
        float lh;
        upsample_tap(oh, H, scaleH, bilinear, &h0, &h1, &lh);
        if (h0 != ih && h1 != ih) continue;
        float wr = (h0 == ih ? 1.0f - lh : 0.0f) + (h1 == ih ? lh : 0.0f);
        for (int ow = 0; ow < OW; ++ow) {
            int w0, w1;
            float lw;
            upsample_tap(ow, W, scaleW, bilinear, &w0, &w1, &lw);
            float d = wr * dyp[oh * OW + ow];
            row[w0] += (1.0f - lw) * d;
            if (bilinear) row[w1] += lw * d;
        }
    }
}
