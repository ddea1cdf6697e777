// conv.cl: convolution helpers around the GEMM (im2col, col2im, NCHW -> CNHW transpose), direct kernels for
// convolutions with one input channel per group (depthwise, with any channel multiplier), and per-channel sums
// (bias gradients).
//
// Geometry travels as one int16 argument in this order (host: `convGeometryArgument`):
//   0 C   1 H   2 W   3 OC   4 OH   5 OW   6 KH   7 KW   8 SH   9 SW   10 PH   11 PW   12 DH   13 DW   14 G
// x is NCHW [n][C][H][W], y NCHW [n][OC][OH][OW], weights [OC][C/G][KH][KW].

#define GC (geo.s0)
#define GH (geo.s1)
#define GW (geo.s2)
#define GOC (geo.s3)
#define GOH (geo.s4)
#define GOW (geo.s5)
#define GKH (geo.s6)
#define GKW (geo.s7)
#define GSH (geo.s8)
#define GSW (geo.s9)
#define GPH (geo.sa)
#define GPW (geo.sb)
#define GDH (geo.sc)
#define GDW (geo.sd)
#define GG (geo.se)

// Plane kernels (im2col, col2im, nchw_to_cnhw): see outerAndSample in common.cl.

// col[r][s*OH*OW + oh*OW + ow] for the `count` samples starting at x + xOff: r = c*KH*KW + p*KW + q runs over
// all input channels (every group's rows, group-major), columns over samples then output positions.
// Grid: (ow, oh, r x sample).
__kernel void im2col(__global const float* x, int xOff, __global float* col, int colOff, int count,
                     int countPad, int16 geo) {
    const int ow = get_global_id(0), oh = get_global_id(1);
    const int2 rs = outerAndSample(countPad);
    const int r = rs.x, s = rs.y;
    if (ow >= GOW || oh >= GOH || s >= count) return;
    const int khw = GKH * GKW, c = r / khw, pq = r - c * khw, p = pq / GKW, q = pq - p * GKW;
    const int ih = oh * GSH - GPH + p * GDH, iw = ow * GSW - GPW + q * GDW;
    float v = 0.0f;
    if (ih >= 0 && ih < GH && iw >= 0 && iw < GW) v = x[xOff + ((s * GC + c) * GH + ih) * GW + iw];
    col[colOff + r * (count * GOH * GOW) + (s * GOH + oh) * GOW + ow] = v;
}

// dx (+)= col2im(col): each input element gathers every (p, q) tap that read it, so no atomics are needed.
// Grid: (iw, ih, c x sample).
__kernel void col2im(__global const float* col, int colOff, __global float* dx, int dxOff, int count,
                     int countPad, int accumulate, int16 geo) {
    const int iw = get_global_id(0), ih = get_global_id(1);
    const int2 cs = outerAndSample(countPad);
    const int c = cs.x, s = cs.y;
    if (iw >= GW || ih >= GH || s >= count) return;
    const int ohw = GOH * GOW, cols = count * ohw;
    float sum = 0.0f;
    for (int p = 0; p < GKH; ++p) {
        int hh = ih + GPH - p * GDH;
        int oh = GSH == 1 ? hh : hh / GSH;
        if (hh < 0 || oh * GSH != hh || oh >= GOH) continue;
        for (int q = 0; q < GKW; ++q) {
            int ww = iw + GPW - q * GDW;
            int ow = GSW == 1 ? ww : ww / GSW;
            if (ww < 0 || ow * GSW != ww || ow >= GOW) continue;
            sum += col[colOff + ((c * GKH + p) * GKW + q) * cols + s * ohw + oh * GOW + ow];
        }
    }
    const int i = ((s * GC + c) * GH + ih) * GW + iw;
    dx[dxOff + i] = accumulate ? dx[dxOff + i] + sum : sum;
}

// y[c][s*plane + o] = x[s][c][o] for `count` samples of `channels` planes (dy -> the GEMM's CNHW operand).
// Grid: (o, 1, c x sample).
__kernel void nchw_to_cnhw(__global const float* x, int xOff, __global float* y, int yOff,
                           int count, int countPad, int channels, int plane) {
    const int o = get_global_id(0);
    const int2 cs = outerAndSample(countPad);
    const int c = cs.x, s = cs.y;
    if (o >= plane || s >= count) return;
    y[yOff + (c * count + s) * plane + o] = x[xOff + (s * channels + c) * plane + o];
}

// Direct convolution for C/G == 1 (depthwise with channel multiplier OC/G): one output per work-item.
__kernel void conv_direct(__global const float* x, int xOff, __global const float* w, int wOff,
                          __global const float* bias, int biasOff, int hasBias, __global float* y, int yOff,
                          int batch, int act, float actParam, int16 geo) {
    const int i = get_global_id(0);
    if (i >= batch * GOC * GOH * GOW) return;
    int ow = i % GOW, t = i / GOW, oh = t % GOH; t /= GOH;
    int o = t % GOC, s = t / GOC;
    int c = o / (GOC / GG);
    float sum = hasBias ? bias[biasOff + o] : 0.0f;
    __global const float* xp = x + xOff + (s * GC + c) * GH * GW;
    __global const float* wp = w + wOff + o * GKH * GKW;
    for (int p = 0; p < GKH; ++p) {
        int ih = oh * GSH - GPH + p * GDH;
        if (ih < 0 || ih >= GH) continue;
        for (int q = 0; q < GKW; ++q) {
            int iw = ow * GSW - GPW + q * GDW;
            if (iw >= 0 && iw < GW) sum += wp[p * GKW + q] * xp[ih * GW + iw];
        }
    }
    y[yOff + i] = activate(sum, act, actParam);
}

// dx (+)= for C/G == 1: each input element gathers from the OC/G outputs of its channel.
__kernel void conv_direct_backward_data(__global const float* dy, int dyOff, __global const float* w, int wOff,
                                        __global float* dx, int dxOff, int batch, int accumulate,
                                        int16 geo) {
    const int i = get_global_id(0);
    if (i >= batch * GC * GH * GW) return;
    int iw = i % GW, t = i / GW, ih = t % GH; t /= GH;
    int c = t % GC, s = t / GC;
    const int mult = GOC / GG;
    float sum = 0.0f;
    for (int o = c * mult; o < (c + 1) * mult; ++o) {
        __global const float* dyp = dy + dyOff + (s * GOC + o) * GOH * GOW;
        for (int p = 0; p < GKH; ++p) {
            int hh = ih + GPH - p * GDH;
            if (hh < 0 || hh % GSH != 0 || hh / GSH >= GOH) continue;
            for (int q = 0; q < GKW; ++q) {
                int ww = iw + GPW - q * GDW;
                if (ww < 0 || ww % GSW != 0 || ww / GSW >= GOW) continue;
                sum += w[wOff + (o * GKH + p) * GKW + q] * dyp[(hh / GSH) * GOW + ww / GSW];
            }
        }
    }
    dx[dxOff + i] = accumulate ? dx[dxOff + i] + sum : sum;
}

// dW (+)= for C/G == 1: one work-group per weight (o, p, q) reduces over the batch and output positions.
__kernel __attribute__((reqd_work_group_size(WGS, 1, 1)))
void conv_direct_backward_filter(__global const float* x, int xOff, __global const float* dy, int dyOff,
                                 __global float* dw, int dwOff, int batch, int accumulate, int16 geo) {
    __local float scratch[WGS];
    const int widx = get_group_id(0);
    const int o = widx / (GKH * GKW), pq = widx - o * GKH * GKW, p = pq / GKW, q = pq - p * GKW;
    const int c = o / (GOC / GG), ohw = GOH * GOW;
    float sum = 0.0f;
    for (int j = get_local_id(0); j < batch * ohw; j += WGS) {
        int s = j / ohw, r = j - s * ohw, oh = r / GOW, ow = r - oh * GOW;
        int ih = oh * GSH - GPH + p * GDH, iw = ow * GSW - GPW + q * GDW;
        if (ih >= 0 && ih < GH && iw >= 0 && iw < GW)
            sum += dy[dyOff + (s * GOC + o) * ohw + r] * x[xOff + ((s * GC + c) * GH + ih) * GW + iw];
    }
    float total = workGroupSum(sum, scratch);
    if (get_local_id(0) == 0) dw[dwOff + widx] = accumulate ? dw[dwOff + widx] + total : total;
}

// out[c] (+)= sum over s < outer, i < inner of x[(s * channels + c) * inner + i]: bias gradients of
// convolutions (inner = OH*OW) and linear layers (inner = 1). A 2-D grid of work-groups (dimension 0: chunk of
// samples, 1: channel); with one chunk each work-group writes its channel's sum, with more each writes its
// partial sum to out[outOff + chunk * channels + c] and `sum_slices` adds them up. No division per element.
__kernel __attribute__((reqd_work_group_size(WGS, 1, 1)))
void channel_sum(__global const float* x, int xOff, __global float* out, int outOff,
                 int channels, int inner, int outer, int accumulate, int chunks) {
    __local float scratch[WGS];
    const int k = get_group_id(0), c = get_group_id(1), lid = get_local_id(0);
    const int s0 = (int)(((long)k * outer) / chunks), s1 = (int)(((long)(k + 1) * outer) / chunks);
    float sum = 0.0f;
    FOR_CHANNEL_ELEMENTS(at, s0, s1, c, channels, inner, sum += x[xOff + at];)
    float total = workGroupSum(sum, scratch);
    if (lid != 0) return;
    if (chunks > 1) out[outOff + k * channels + c] = total;
    else out[outOff + c] = accumulate ? out[outOff + c] + total : total;
}
