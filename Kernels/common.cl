// common.cl: helpers prepended to every program (activations and their derivatives, reduction size).
// OpenCL C 1.2 core only. Offsets and sizes are `int` element counts; the host checks they fit.

#ifndef WGS
#define WGS 256  // work-group size of the reduction kernels (a power of two the device accepts)
#endif

// Activation codes shared with the host (OpenCLLowering.swift, `ActivationCode`).
#define ACT_NONE 0
#define ACT_RELU 1
#define ACT_LEAKY_RELU 2
#define ACT_GELU 3
#define ACT_SILU 4
#define ACT_SIGMOID 5
#define ACT_TANH 6
#define ACT_ELU 7

#define INV_SQRT2 0.70710678118654752f
#define INV_SQRT2PI 0.39894228040143268f

inline float sigmoidf(float x) { return 1.0f / (1.0f + exp(-x)); }

// y = act(x); `param` is LeakyReLU's slope or ELU's alpha.
inline float activate(float x, int act, float param) {
    switch (act) {
    case ACT_RELU: return x > 0.0f ? x : 0.0f;
    case ACT_LEAKY_RELU: return x > 0.0f ? x : param * x;
    case ACT_GELU: return 0.5f * x * (1.0f + erf(x * INV_SQRT2));
    case ACT_SILU: return x * sigmoidf(x);
    case ACT_SIGMOID: return sigmoidf(x);
    case ACT_TANH: return tanh(x);
    case ACT_ELU: return x > 0.0f ? x : param * expm1(x);
    default: return x;
    }
}

// dL/dx from the activation's output y (only for activations whose derivative the output determines).
inline float activationGradFromOutput(float y, float dy, int act, float param) {
    switch (act) {
    case ACT_RELU: return y > 0.0f ? dy : 0.0f;
    case ACT_LEAKY_RELU: return y > 0.0f ? dy : param * dy;
    case ACT_SIGMOID: return dy * y * (1.0f - y);
    case ACT_TANH: return dy * (1.0f - y * y);
    case ACT_ELU: return y > 0.0f ? dy : dy * (y + param);
    default: return dy;
    }
}

// dL/dx from the activation's input x.
inline float activationGradFromInput(float x, float dy, int act, float param) {
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
