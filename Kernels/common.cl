// common.cl: helpers prepended to every program (activations and their derivatives, reduction size).
// OpenCL C 1.2 core only. Offsets and sizes are `int` element counts; the host checks they fit.

#ifndef WGS
#define WGS 256  // work-group size of the reduction kernels (a power of two the device accepts)
#endif

// Activation codes shared with the host: ACT_x is 1 + the case's position in `Activation.kinds`
// (Sources/NetIR/Activation.swift, the registry); EngineTests checks the two agree.
#define ACT_NONE 0
#define ACT_RELU 1
#define ACT_LEAKY_RELU 2
#define ACT_GELU 3
#define ACT_SILU 4
#define ACT_SIGMOID 5
#define ACT_TANH 6
#define ACT_ELU 7
#define ACT_RELU6 8
#define ACT_HARDTANH 9
#define ACT_HARDSWISH 10
#define ACT_HARDSIGMOID 11
#define ACT_SELU 12
#define ACT_CELU 13
#define ACT_MISH 14
#define ACT_SOFTPLUS 15
#define ACT_SOFTSIGN 16
#define ACT_GELU_TANH 17
#define ACT_LOGSIGMOID 18
#define ACT_SOFTSHRINK 19

#define INV_SQRT2 0.70710678118654752f
#define INV_SQRT2PI 0.39894228040143268f
#define SELU_ALPHA 1.6732632423543772848f
#define SELU_SCALE 1.0507009873554804934f
#define GELU_TANH_K 0.7978845608028654f

inline float sigmoidf(float x) { return 1.0f / (1.0f + exp(-x)); }
// log(1 + e^x) without overflow.
inline float softplusf(float x) { return x > 0.0f ? x + log1p(exp(-x)) : log1p(exp(x)); }

// y = act(x); `param`, `param2` are the activation's parameters in the registry's order (LeakyReLU's slope,
// ELU's alpha, Hardtanh's min and max, Softplus's beta and threshold).
inline float activate2(float x, int act, float param, float param2) {
    switch (act) {
    case ACT_RELU: return x > 0.0f ? x : 0.0f;
    case ACT_LEAKY_RELU: return x > 0.0f ? x : param * x;
    case ACT_GELU: return 0.5f * x * (1.0f + erf(x * INV_SQRT2));
    case ACT_SILU: return x * sigmoidf(x);
    case ACT_SIGMOID: return sigmoidf(x);
    case ACT_TANH: return tanh(x);
    case ACT_ELU: return x > 0.0f ? x : param * expm1(x);
    case ACT_RELU6: return fmin(fmax(x, 0.0f), 6.0f);
    case ACT_HARDTANH: return fmin(fmax(x, param), param2);
    case ACT_HARDSWISH: return x * fmin(fmax(x + 3.0f, 0.0f), 6.0f) * (1.0f / 6.0f);
    case ACT_HARDSIGMOID: return fmin(fmax(x + 3.0f, 0.0f), 6.0f) * (1.0f / 6.0f);
    case ACT_SELU: return SELU_SCALE * (x > 0.0f ? x : SELU_ALPHA * expm1(x));
    case ACT_CELU: return x > 0.0f ? x : param * expm1(x / param);
    case ACT_MISH: return x * tanh(softplusf(x));
    case ACT_SOFTPLUS: return param * x > param2 ? x : softplusf(param * x) / param;
    case ACT_SOFTSIGN: return x / (1.0f + fabs(x));
    case ACT_GELU_TANH: return 0.5f * x * (1.0f + tanh(GELU_TANH_K * (x + 0.044715f * x * x * x)));
    case ACT_LOGSIGMOID: return -softplusf(-x);
    case ACT_SOFTSHRINK: return x > param ? x - param : (x < -param ? x + param : 0.0f);
    default: return x;
    }
}

// The fused epilogues (conv, gemm, batch norm, add) carry one parameter: only one-parameter activations fuse.
inline float activate(float x, int act, float param) { return activate2(x, act, param, 0.0f); }

// dL/dx from the activation's output y (only for activations whose derivative the output determines).
inline float activationGradFromOutput(float y, float dy, int act, float param) {
    switch (act) {
    case ACT_RELU: return y > 0.0f ? dy : 0.0f;
    case ACT_LEAKY_RELU: return y > 0.0f ? dy : param * dy;
    case ACT_SIGMOID: return dy * y * (1.0f - y);
    case ACT_TANH: return dy * (1.0f - y * y);
    case ACT_ELU: return y > 0.0f ? dy : dy * (y + param);
    case ACT_RELU6: return y > 0.0f && y < 6.0f ? dy : 0.0f;
    case ACT_SELU: return y > 0.0f ? dy * SELU_SCALE : dy * (y + SELU_SCALE * SELU_ALPHA);
    case ACT_CELU: return y > 0.0f ? dy : dy * (y / param + 1.0f);
    case ACT_SOFTSIGN: { float d = 1.0f - fabs(y); return dy * d * d; }
    case ACT_LOGSIGMOID: return -dy * expm1(y);
    case ACT_SOFTSHRINK: return y != 0.0f ? dy : 0.0f;
    default: return dy;
    }
}

// dL/dx from the activation's input x.
inline float activationGradFromInput(float x, float dy, int act, float param, float param2) {
    switch (act) {
    case ACT_RELU: return x > 0.0f ? dy : 0.0f;
    case ACT_LEAKY_RELU: return x > 0.0f ? dy : param * dy;
    case ACT_GELU: {
        float cdf = 0.5f * (1.0f + erf(x * INV_SQRT2));
        float pdf = INV_SQRT2PI * exp(-0.5f * x * x);
        return dy * (cdf + x * pdf);
    }
    case ACT_SILU: {
        float s = sigmoidf(x);
        return dy * s * (1.0f + x * (1.0f - s));
    }
    case ACT_SIGMOID: {
        float s = sigmoidf(x);
        return dy * s * (1.0f - s);
    }
    case ACT_TANH: {
        float t = tanh(x);
        return dy * (1.0f - t * t);
    }
    case ACT_ELU: return x > 0.0f ? dy : dy * param * exp(x);
    case ACT_RELU6: return x > 0.0f && x < 6.0f ? dy : 0.0f;
    case ACT_HARDTANH: return x > param && x < param2 ? dy : 0.0f;
    case ACT_HARDSWISH: return x <= -3.0f ? 0.0f : (x < 3.0f ? dy * (x * (1.0f / 3.0f) + 0.5f) : dy);
    case ACT_HARDSIGMOID: return x > -3.0f && x < 3.0f ? dy * (1.0f / 6.0f) : 0.0f;
    case ACT_SELU: return x > 0.0f ? dy * SELU_SCALE : dy * SELU_SCALE * SELU_ALPHA * exp(x);
    case ACT_CELU: return x > 0.0f ? dy : dy * exp(x / param);
    case ACT_MISH: {
        float t = tanh(softplusf(x));
        return dy * (t + x * sigmoidf(x) * (1.0f - t * t));
    }
    case ACT_SOFTPLUS: return param * x > param2 ? dy : dy * sigmoidf(param * x);
    case ACT_SOFTSIGN: { float d = 1.0f + fabs(x); return dy / (d * d); }
    case ACT_GELU_TANH: {
        float t = tanh(GELU_TANH_K * (x + 0.044715f * x * x * x));
        return dy * (0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * GELU_TANH_K * (1.0f + 3.0f * 0.044715f * x * x));
    }
    case ACT_LOGSIGMOID: return dy * sigmoidf(-x);
    case ACT_SOFTSHRINK: return fabs(x) > param ? dy : 0.0f;
    default: return dy;
    }
}

// Sums `value` over the work-group (size WGS) through `scratch`; every work-item gets the total.
inline float workGroupSum(float value, __local float* scratch) {
    int lid = get_local_id(0);
    scratch[lid] = value;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int width = WGS / 2; width > 0; width >>= 1) {
        if (lid < width) scratch[lid] += scratch[lid + width];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float total = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);  // scratch may be reused right after
    return total;
}

// The engine's counter-based randomness (Sources/Engine/Randomness.swift), bit for bit: CounterRandom.mix is
// lowbias32, and the bits for (seed, step, salt, index) are mix(mix((mix(seed ^ C) ^ step) + salt * K) ^ index)
// (Swift's `^` and `&+` share one precedence level, left to right, and `&*` binds tighter). Dropout masks and
// the resident data set's crop/flip choices both draw from it.
inline uint mix32(uint v) {
    uint x = v;
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

inline uint counterBits(uint seed, uint step, uint salt, uint index) {
    return mix32(mix32((mix32(seed ^ 0x9e3779b9u) ^ step) + salt * 0x85ebca6bu) ^ index);
}

// Plane kernels (conv.cl, pooling.cl) run on a 3-D grid: dimension 0 along a row of the plane (contiguous), 1 down its rows,
// 2 over (outer index, sample) pairs with the samples padded to `countPad` (a multiple of the work-group's
// depth), so each work-group covers one outer index and every index comes from the grid without a division
// per element (PoCL vectorises along dimension 0; a per-element integer division would stay scalar).
// Host: Lowering.planeGrid.
inline int2 outerAndSample(int countPad) {
    const int groupsPer = countPad / (int)get_local_size(2);
    const int g = get_group_id(2), outer = g / groupsPer;
    return (int2)(outer, (g - outer * groupsPer) * (int)get_local_size(2) + (int)get_local_id(2));
}

// Runs the statements after the macro's arguments for every element `at` of samples s0..<s1 of channel c in an
// NCHW tensor ([s][channels][spatial]), split over the WGS work-items of a reduction work-group without a
// division per element: planes of at least WGS positions row by row (work-items on consecutive positions,
// which PoCL vectorises), smaller planes by a walk that steps (sample, position) by WGS. `body` is one macro
// argument, not variadic (OpenCL C forbids variadic macros; NVIDIA's compiler enforces it, PoCL did not): it
// may hold several statements but no comma outside parentheses.
#define FOR_CHANNEL_ELEMENTS(at, s0, s1, c, channels, spatial, body) \
    if ((spatial) >= WGS) { \
        for (int s_ = (s0); s_ < (s1); ++s_) \
            for (int i_ = (int)get_local_id(0); i_ < (spatial); i_ += WGS) { \
                const int at = (s_ * (channels) + (c)) * (spatial) + i_; body } \
    } else { \
        const int ds_ = WGS / (spatial), di_ = WGS % (spatial); \
        for (int s_ = (s0) + (int)get_local_id(0) / (spatial), i_ = (int)get_local_id(0) % (spatial); s_ < (s1);) { \
            const int at = (s_ * (channels) + (c)) * (spatial) + i_; body \
            i_ += di_; s_ += ds_; \
            if (i_ >= (spatial)) { i_ -= (spatial); ++s_; } \
        } \
    }
