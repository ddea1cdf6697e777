// pooling.cl: max/average pooling and adaptive average pooling over NCHW planes, forward and backward.
// Backward kernels gather (each input element sums the outputs whose window holds it), so they need no
// atomics and no zero-fill, and they can accumulate.
//
// Geometry as one int16 (host: `poolGeometryArgument`):
//   0 planes (batch*channels)   1 H   2 W   3 OH   4 OW   5 KH   6 KW   7 SH   8 SW   9 PH   10 PW
//   11 countIncludePad

#define PN (geo.s0)
#define PH_ (geo.s1)
#define PW_ (geo.s2)
#define POH (geo.s3)
#define POW (geo.s4)
#define PKH (geo.s5)
#define PKW (geo.s6)
#define PSH (geo.s7)
#define PSW (geo.s8)
#define PPH (geo.s9)
#define PPW (geo.sa)
#define PINCLUDE (geo.sb)

// Output rows whose window covers input row `i`: lo <= o < hi (windows start at o*S - P, span K).
inline int windowFirst(int i, int k, int s, int p) { int t = i + p - k + 1; return t <= 0 ? 0 : (t + s - 1) / s; }
inline int windowEnd(int i, int s, int p, int outSize) { return min((i + p) / s + 1, outSize); }

// Padding counts as -infinity; argmax is ih*W + iw of the first maximum in row-major window order.
// Max-pool kernels run on the plane grid (common.cl's outerAndSample; the planes are its samples).
__kernel void maxpool_forward(__global const float* x, int xOff, __global float* y, int yOff,
                              __global int* argmax, int argmaxOff, int countPad, int16 geo) {
    const int ow = get_global_id(0), oh = get_global_id(1), plane = outerAndSample(countPad).y;
    if (ow >= POW || oh >= POH || plane >= PN) return;
    const int i = (plane * POH + oh) * POW + ow;
    __global const float* xp = x + xOff + plane * PH_ * PW_;
    float best = -INFINITY;
    int where = -1;
    for (int p = 0; p < PKH; ++p) {
        int ih = oh * PSH - PPH + p;
        if (ih < 0 || ih >= PH_) continue;
        for (int q = 0; q < PKW; ++q) {
            int iw = ow * PSW - PPW + q;
            if (iw < 0 || iw >= PW_) continue;
            float v = xp[ih * PW_ + iw];
            if (where < 0 || v > best) { best = v; where = ih * PW_ + iw; }
        }
    }
    y[yOff + i] = best;
    argmax[argmaxOff + i] = where;
}

__kernel void maxpool_backward(__global const float* dy, int dyOff, __global const int* argmax, int argmaxOff,
                               __global float* dx, int dxOff, int accumulate, int countPad, int16 geo) {
    const int iw = get_global_id(0), ih = get_global_id(1), plane = outerAndSample(countPad).y;
    if (iw >= PW_ || ih >= PH_ || plane >= PN) return;
    const int i = (plane * PH_ + ih) * PW_ + iw;
    const int self = ih * PW_ + iw, base = plane * POH * POW;
    float sum = 0.0f;
    for (int oh = windowFirst(ih, PKH, PSH, PPH); oh < windowEnd(ih, PSH, PPH, POH); ++oh)
        for (int ow = windowFirst(iw, PKW, PSW, PPW); ow < windowEnd(iw, PSW, PPW, POW); ++ow)
            if (argmax[argmaxOff + base + oh * POW + ow] == self) sum += dy[dyOff + base + oh * POW + ow];
    dx[dxOff + i] = accumulate ? dx[dxOff + i] + sum : sum;
}

// maxpool_backward fused with the backward of the ReLU before the pool (from its output y, the pool's input):
// dx = scatter(dy)·[y > 0]. Positions the ReLU zeroed skip their windows.
__kernel void maxpool_relu_backward(__global const float* dy, int dyOff, __global const int* argmax, int argmaxOff,
                                    __global const float* y, int yOff, __global float* dx, int dxOff, int accumulate,
                                    int countPad, int16 geo) {
    const int iw = get_global_id(0), ih = get_global_id(1), plane = outerAndSample(countPad).y;
    if (iw >= PW_ || ih >= PH_ || plane >= PN) return;
    const int i = (plane * PH_ + ih) * PW_ + iw;
    const int self = ih * PW_ + iw, base = plane * POH * POW;
    float sum = 0.0f;
    if (y[yOff + i] > 0.0f)
        for (int oh = windowFirst(ih, PKH, PSH, PPH); oh < windowEnd(ih, PSH, PPH, POH); ++oh)
            for (int ow = windowFirst(iw, PKW, PSW, PPW); ow < windowEnd(iw, PSW, PPW, POW); ++ow)
                if (argmax[argmaxOff + base + oh * POW + ow] == self) sum += dy[dyOff + base + oh * POW + ow];
    dx[dxOff + i] = accumulate ? dx[dxOff + i] + sum : sum;
}

// Divisor of output (oh, ow): with countIncludePad the window's positions inside the padded input (KH*KW unless
// a ceil_mode window runs past it), else the in-bounds elements of its window.
inline float avgDivisor(int oh, int ow, int16 geo) {
    if (PINCLUDE) {
        int hs = oh * PSH - PPH, ws = ow * PSW - PPW;
        return (float)((min(hs + PKH, PH_ + PPH) - hs) * (min(ws + PKW, PW_ + PPW) - ws));
    }
    int h0 = max(oh * PSH - PPH, 0), h1 = min(oh * PSH - PPH + PKH, PH_);
    int w0 = max(ow * PSW - PPW, 0), w1 = min(ow * PSW - PPW + PKW, PW_);
    return (float)((h1 - h0) * (w1 - w0));
}

__kernel void avgpool_forward(__global const float* x, int xOff, __global float* y, int yOff, int16 geo) {
    const int i = get_global_id(0);
    if (i >= PN * POH * POW) return;
    int ow = i % POW, t = i / POW, oh = t % POH, plane = t / POH;
    __global const float* xp = x + xOff + plane * PH_ * PW_;
    float sum = 0.0f;
    for (int ih = max(oh * PSH - PPH, 0); ih < min(oh * PSH - PPH + PKH, PH_); ++ih)
        for (int iw = max(ow * PSW - PPW, 0); iw < min(ow * PSW - PPW + PKW, PW_); ++iw)
            sum += xp[ih * PW_ + iw];
    y[yOff + i] = sum / avgDivisor(oh, ow, geo);
}

__kernel void avgpool_backward(__global const float* dy, int dyOff, __global float* dx, int dxOff,
                               int accumulate, int16 geo) {
    const int i = get_global_id(0);
    if (i >= PN * PH_ * PW_) return;
    int iw = i % PW_, t = i / PW_, ih = t % PH_, plane = t / PH_;
    const int base = plane * POH * POW;
    float sum = 0.0f;
    for (int oh = windowFirst(ih, PKH, PSH, PPH); oh < windowEnd(ih, PSH, PPH, POH); ++oh)
        for (int ow = windowFirst(iw, PKW, PSW, PPW); ow < windowEnd(iw, PSW, PPW, POW); ++ow)
            sum += dy[dyOff + base + oh * POW + ow] / avgDivisor(oh, ow, geo);
    dx[dxOff + i] = accumulate ? dx[dxOff + i] + sum : sum;
}

// Adaptive average pooling: cell (i, j) averages rows floor(i*H/OH) ..< ceil((i+1)*H/OH), columns likewise.
inline int cellStart(int i, int in, int out) { return (i * in) / out; }
inline int cellEnd(int i, int in, int out) { return ((i + 1) * in + out - 1) / out; }

__kernel void adaptive_avgpool_forward(__global const float* x, int xOff, __global float* y, int yOff, int16 geo) {
    const int i = get_global_id(0);
    if (i >= PN * POH * POW) return;
    int ow = i % POW, t = i / POW, oh = t % POH, plane = t / POH;
    int h0 = cellStart(oh, PH_, POH), h1 = cellEnd(oh, PH_, POH);
    int w0 = cellStart(ow, PW_, POW), w1 = cellEnd(ow, PW_, POW);
    __global const float* xp = x + xOff + plane * PH_ * PW_;
    float sum = 0.0f;
    for (int ih = h0; ih < h1; ++ih)
        for (int iw = w0; iw < w1; ++iw) sum += xp[ih * PW_ + iw];
    y[yOff + i] = sum / (float)((h1 - h0) * (w1 - w0));
}

__kernel void adaptive_avgpool_backward(__global const float* dy, int dyOff, __global float* dx, int dxOff,
                                        int accumulate, int16 geo) {
    const int i = get_global_id(0);
    if (i >= PN * PH_ * PW_) return;
    int iw = i % PW_, t = i / PW_, ih = t % PH_, plane = t / PH_;
    float sum = 0.0f;
    for (int oh = 0; oh < POH; ++oh) {
        int h0 = cellStart(oh, PH_, POH), h1 = cellEnd(oh, PH_, POH);
        if (ih < h0 || ih >= h1) continue;
        for (int ow = 0; ow < POW; ++ow) {
            int w0 = cellStart(ow, PW_, POW), w1 = cellEnd(ow, PW_, POW);
            if (iw >= w0 && iw < w1)
                sum += dy[dyOff + (plane * POH + oh) * POW + ow] / (float)((h1 - h0) * (w1 - w0));
        }
    }
    dx[dxOff + i] = accumulate ? dx[dxOff + i] + sum : sum;
}
