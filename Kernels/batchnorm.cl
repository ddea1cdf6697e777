// batchnorm.cl: batch normalisation over NCHW (spatial = H*W) or [n][C] (spatial = 1).
// Training forward and backward run one work-group per channel: work-group reductions give the channel's
// statistics, then the same work-group normalises its channel, so each op is a single launch.
// Absent optional tensors (scale, shift, dx, dScale, dShift) come with a has* flag of 0.

// Element j of channel c: sample j / spatial, position j % spatial.
inline int channelElement(int j, int c, int channels, int spatial) {
    int s = j / spatial;
    return (s * channels + c) * spatial + (j - s * spatial);
}

__kernel __attribute__((reqd_work_group_size(WGS, 1, 1)))
void bn_forward_train(__global const float* x, int xOff,
                      __global const float* scale, int scaleOff, int hasScale,
                      __global const float* shift, int shiftOff, int hasShift,
                      __global float* runMean, int runMeanOff, __global float* runVar, int runVarOff,
                      __global float* y, int yOff, __global float* savedMean, int savedMeanOff,
                      __global float* savedInvStd, int savedInvStdOff,
                      int batch, int channels, int spatial, float eps, float momentum, int act, float actParam) {
    __local float scratch[WGS];
    const int c = get_group_id(0), lid = get_local_id(0), m = batch * spatial;
    float sum = 0.0f;
    for (int j = lid; j < m; j += WGS) sum += x[xOff + channelElement(j, c, channels, spatial)];
    const float mean = workGroupSum(sum, scratch) / (float)m;
    // Two passes (mean first, then squared deviations) keep the variance accurate for large means.
    float sq = 0.0f;
    for (int j = lid; j < m; j += WGS) {
        float d = x[xOff + channelElement(j, c, channels, spatial)] - mean;
        sq += d * d;
    }
    const float var = workGroupSum(sq, scratch) / (float)m;
    const float invStd = 1.0f / sqrt(var + eps);
    if (lid == 0) {
        savedMean[savedMeanOff + c] = mean;
        savedInvStd[savedInvStdOff + c] = invStd;
        float unbiased = m > 1 ? var * (float)m / (float)(m - 1) : var;
        runMean[runMeanOff + c] = (1.0f - momentum) * runMean[runMeanOff + c] + momentum * mean;
        runVar[runVarOff + c] = (1.0f - momentum) * runVar[runVarOff + c] + momentum * unbiased;
    }
    const float g = hasScale ? scale[scaleOff + c] : 1.0f, b = hasShift ? shift[shiftOff + c] : 0.0f;
    for (int j = lid; j < m; j += WGS) {
        int at = channelElement(j, c, channels, spatial);
        y[yOff + at] = activate(g * (x[xOff + at] - mean) * invStd + b, act, actParam);
    }
}

// Eval: y = act(scale * (x - runMean) / sqrt(runVar + eps) + shift), one element per work-item.
__kernel void bn_forward_eval(__global const float* x, int xOff,
                              __global const float* scale, int scaleOff, int hasScale,
                              __global const float* shift, int shiftOff, int hasShift,
                              __global const float* runMean, int runMeanOff, __global const float* runVar, int runVarOff,
                              __global float* y, int yOff, int batch, int channels, int spatial, float eps,
                              int act, float actParam) {
    const int i = get_global_id(0);
    if (i >= batch * channels * spatial) return;
    const int c = (i / spatial) % channels;
    const float g = hasScale ? scale[scaleOff + c] : 1.0f, b = hasShift ? shift[shiftOff + c] : 0.0f;
    const float invStd = 1.0f / sqrt(runVar[runVarOff + c] + eps);
    y[yOff + i] = activate(g * (x[xOff + i] - runMean[runMeanOff + c]) * invStd + b, act, actParam);
}

// dShift = sum dy, dScale = sum dy * xhat, dx = scale * invStd * (dy - dShift/m - xhat * dScale/m).
__kernel __attribute__((reqd_work_group_size(WGS, 1, 1)))
void bn_backward(__global const float* x, int xOff, __global const float* dy, int dyOff,
                 __global const float* scale, int scaleOff, int hasScale,
                 __global const float* savedMean, int savedMeanOff, __global const float* savedInvStd, int savedInvStdOff,
                 __global float* dx, int dxOff, int hasDx, __global float* dScale, int dScaleOff, int hasDScale,
                 __global float* dShift, int dShiftOff, int hasDShift, int accumulate, int accumulateParameters,
                 int batch, int channels, int spatial) {
    __local float scratch[WGS];
    const int c = get_group_id(0), lid = get_local_id(0), m = batch * spatial;
    const float mean = savedMean[savedMeanOff + c], invStd = savedInvStd[savedInvStdOff + c];
    float sumDy = 0.0f, sumDyXhat = 0.0f;
    for (int j = lid; j < m; j += WGS) {
        int at = channelElement(j, c, channels, spatial);
        float g = dy[dyOff + at];
        sumDy += g;
        sumDyXhat += g * (x[xOff + at] - mean) * invStd;
    }
    const float dBeta = workGroupSum(sumDy, scratch);
    const float dGamma = workGroupSum(sumDyXhat, scratch);
    if (lid == 0) {
        if (hasDShift) dShift[dShiftOff + c] = accumulateParameters ? dShift[dShiftOff + c] + dBeta : dBeta;
        if (hasDScale) dScale[dScaleOff + c] = accumulateParameters ? dScale[dScaleOff + c] + dGamma : dGamma;
    }
    if (!hasDx) return;
    const float k = (hasScale ? scale[scaleOff + c] : 1.0f) * invStd;
    const float meanDy = dBeta / (float)m, meanDyXhat = dGamma / (float)m;
    for (int j = lid; j < m; j += WGS) {
        int at = channelElement(j, c, channels, spatial);
        float xhat = (x[xOff + at] - mean) * invStd;
        float d = k * (dy[dyOff + at] - meanDy - xhat * meanDyXhat);
        dx[dxOff + at] = accumulate ? dx[dxOff + at] + d : d;
    }
}
