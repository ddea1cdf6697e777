// padding.cl: spatial padding of NCHW planes (constant, reflect, replicate), forward and backward.
// The backward gathers (each input element sums the outputs that copy it), so it needs no atomics and
// no zero-fill, and it can accumulate.
//
// Geometry as one int16 (host: `padGeometry`; entries past 7 unused):
//   0 planes   1 H   2 W   3 OH   4 OW   5 top   6 left   7 mode (0 constant, 1 reflect, 2 replicate)

#define DN (geo.s0)
#define DH (geo.s1)
#define DW (geo.s2)
#define DOH (geo.s3)
#define DOW (geo.s4)
#define DTOP (geo.s5)
#define DLEFT (geo.s6)
#define DMODE (geo.s7)

#define PAD_CONSTANT 0
#define PAD_REFLECT 1
#define PAD_REPLICATE 2

// Input index that output index o copies along a dimension of `size` with `before` padded in front; -1 for
// the constant. Reflect padding is less than the size (checked on the host), so one reflection suffices.
inline int padSource(int o, int before, int size, int mode) {
    int i = o - before;
    if (i >= 0 && i < size) return i;
    if (mode == PAD_REFLECT) return i < 0 ? -i : 2 * (size - 1) - i;
    if (mode == PAD_REPLICATE) return i < 0 ? 0 : size - 1;
    return -1;
}

__kernel void pad_forward(__global const float* x, int xOff, __global float* y, int yOff, float value, int16 geo) {
    const int i = get_global_id(0);
    if (i >= DN * DOH * DOW) return;
    int ow = i % DOW, t = i / DOW, oh = t % DOH, plane = t / DOH;
    int ih = padSource(oh, DTOP, DH, DMODE), iw = padSource(ow, DLEFT, DW, DMODE);
    y[yOff + i] = (ih >= 0 && iw >= 0) ? x[xOff + (plane * DH + ih) * DW + iw] : value;
}

// The outputs copying input index i along one dimension lie in at most three runs [lo, hi): the interior
// copy, and for reflect its mirror images in the front and back borders; for replicate the edge element's
// run extends over its whole border.
inline void padRuns(int i, int before, int size, int outSize, int mode, int* lo, int* hi) {
    int own = i + before;
    lo[0] = own; hi[0] = own + 1;
    lo[1] = 0; hi[1] = 0;
    lo[2] = 0; hi[2] = 0;
    if (mode == PAD_REFLECT) {
        int front = before - i;                 // o - before = -i
        if (i >= 1 && front >= 0) { lo[1] = front; hi[1] = front + 1; }
        int back = before + 2 * (size - 1) - i; // o - before = 2(size-1) - i
        if (i <= size - 2 && back < outSize) { lo[2] = back; hi[2] = back + 1; }
    } else if (mode == PAD_REPLICATE) {
        if (i == 0) lo[0] = 0;
        if (i == size - 1) hi[0] = outSize;
    }
}

__kernel void pad_backward(__global const float* dy, int dyOff, __global float* dx, int dxOff, int accumulate, int16 geo) {
    const int i = get_global_id(0);
    if (i >= DN * DH * DW) return;
    int iw = i % DW, t = i / DW, ih = t % DH, plane = t / DH;
    int rlo[3], rhi[3], clo[3], chi[3];
    padRuns(ih, DTOP, DH, DOH, DMODE, rlo, rhi);
    padRuns(iw, DLEFT, DW, DOW, DMODE, clo, chi);
    __global const float* dyp = dy + dyOff + plane * DOH * DOW;
    float sum = 0.0f;
    for (int a = 0; a < 3; ++a)
        for (int oh = rlo[a]; oh < rhi[a]; ++oh)
            for (int b = 0; b < 3; ++b)
                for (int ow = clo[b]; ow < chi[b]; ++ow) sum += dyp[oh * DOW + ow];
    dx[dxOff + i] = accumulate ? dx[dxOff + i] + sum : sum;
}
