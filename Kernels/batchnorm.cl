// batchnorm.cl: batch normalisation over NCHW (spatial = H*W) or [n][C] (spatial = 1).
// Absent optional tensors (scale, shift, dx, dScale, dShift) come with a has* flag of 0.

// Training kernels split each channel's batch into `chunks` runs of whole samples, one work-group per (chunk,
// channel) on a 2-D grid (dimension 0: chunk, 1: channel). With one chunk a work-group reduces its whole channel
// and normalises it in a single launch; with more, a first launch stores each chunk's partial sums in the
// workspace (`partial`, two floats per (channel, chunk)) and the second merges them before normalising, so a GPU
// gets channels x chunks work-groups instead of one per channel. Work-items walk the elements of their chunk
// with no division per element (PoCL vectorises across work-items; an integer division would stay scalar).

// First sample of chunk k.
inline int chunkStart(int k, int chunks, int batch) { return (int)(((long)k * batch) / chunks); }

// Sum and sum of squared deviations from the chunk's own mean over samples s0..<s1 of channel c.
inline float2 chunkMoments(__global const float* x, int xOff, int c, int s0, int s1, int channels, int spatial,
                           __local float* scratch) {
    float sum = 0.0f;
    FOR_CHANNEL_ELEMENTS(at, s0, s1, c, channels, spatial,
        sum += x[xOff + at];
    )
    const float total = workGroupSum(sum, scratch);
    const float mean = total / (float)max((s1 - s0) * spatial, 1);
    // Deviations from the chunk mean (not raw squares) keep the variance accurate for large means.
    float sq = 0.0f;
    FOR_CHANNEL_ELEMENTS(at, s0, s1, c, channels, spatial,
        float d = x[xOff + at] - mean;
        sq += d * d;
    )
    return (float2)(total, workGroupSum(sq, scratch));
}

__kernel __attribute__((reqd_work_group_size(WGS, 1, 1)))
void bn_stats_partial(__global const float* x, int xOff, __global float* partial, int partialOff,
                      int batch, int channels, int spatial, int chunks) {
    __local float scratch[WGS];
    const int k = get_group_id(0), c = get_group_id(1);
    const float2 m = chunkMoments(x, xOff, c, chunkStart(k, chunks, batch), chunkStart(k + 1, chunks, batch),
                                  channels, spatial, scratch);
    if (get_local_id(0) == 0) vstore2(m, c * chunks + k, partial + partialOff);
}

__kernel __attribute__((reqd_work_group_size(WGS, 1, 1)))
void bn_forward_train(__global const float* x, int xOff,
                      __global const float* scale, int scaleOff, int hasScale,
                      __global const float* shift, int shiftOff, int hasShift,
                      __global float* runMean, int runMeanOff, __global float* runVar, int runVarOff,
                      __global float* y, int yOff, __global float* savedMean, int savedMeanOff,
                      __global float* savedInvStd, int savedInvStdOff,
                      int batch, int channels, int spatial, float eps, float momentum, int act, float actParam,
                      __global const float* partial, int partialOff, int chunks) {
    __local float scratch[WGS];
    const int k = get_group_id(0), c = get_group_id(1), lid = get_local_id(0), m = batch * spatial;
    const int s0 = chunkStart(k, chunks, batch), s1 = chunkStart(k + 1, chunks, batch);
    float mean, var;
    if (chunks == 1) {
        const float2 mo = chunkMoments(x, xOff, c, 0, batch, channels, spatial, scratch);
        mean = mo.x / (float)m;
        var = mo.y / (float)m;
    } else {
        // Chan et al.'s merge: M2 = sum of chunk M2 + n_k (mean_k - mean)^2.
        float total = 0.0f;
        for (int t = 0; t < chunks; ++t) total += partial[partialOff + 2 * (c * chunks + t)];
        mean = total / (float)m;
        float m2 = 0.0f;
        for (int t = 0; t < chunks; ++t) {
            const float n = (float)((chunkStart(t + 1, chunks, batch) - chunkStart(t, chunks, batch)) * spatial);
            const float2 p = vload2(c * chunks + t, partial + partialOff);
            const float d = n > 0.0f ? p.x / n - mean : 0.0f;
            m2 += p.y + n * d * d;
        }
        var = m2 / (float)m;
    }
    const float invStd = 1.0f / sqrt(var + eps);
    if (k == 0 && lid == 0) {
        savedMean[savedMeanOff + c] = mean;
        savedInvStd[savedInvStdOff + c] = invStd;
        float unbiased = m > 1 ? var * (float)m / (float)(m - 1) : var;
        runMean[runMeanOff + c] = (1.0f - momentum) * runMean[runMeanOff + c] + momentum * mean;
        runVar[runVarOff + c] = (1.0f - momentum) * runVar[runVarOff + c] + momentum * unbiased;
    }
    const float g = hasScale ? scale[scaleOff + c] : 1.0f, b = hasShift ? shift[shiftOff + c] : 0.0f;
    const float a = g * invStd, bb = b - a * mean;
    FOR_CHANNEL_ELEMENTS(at, s0, s1, c, channels, spatial,
        y[yOff + at] = activate(a * x[xOff + at] + bb, act, actParam);
    )
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

// Sums of dy and dy * xhat over samples s0..<s1 of channel c.
inline float2 chunkGradientSums(__global const float* x, int xOff, __global const float* dy, int dyOff, float mean,
                                float invStd, int c, int s0, int s1, int channels, int spatial, __local float* scratch) {
    float sumDy = 0.0f, sumDyXhat = 0.0f;
    FOR_CHANNEL_ELEMENTS(at, s0, s1, c, channels, spatial,
        float g = dy[dyOff + at];
        sumDy += g;
        sumDyXhat += g * (x[xOff + at] - mean);
    )
    const float a = workGroupSum(sumDy, scratch);
    return (float2)(a, workGroupSum(sumDyXhat, scratch) * invStd);
}

__kernel __attribute__((reqd_work_group_size(WGS, 1, 1)))
void bn_backward_partial(__global const float* x, int xOff, __global const float* dy, int dyOff,
                         __global const float* savedMean, int savedMeanOff, __global const float* savedInvStd,
                         int savedInvStdOff, __global float* partial, int partialOff,
                         int batch, int channels, int spatial, int chunks) {
    __local float scratch[WGS];
    const int k = get_group_id(0), c = get_group_id(1);
    const float2 sums = chunkGradientSums(x, xOff, dy, dyOff, savedMean[savedMeanOff + c], savedInvStd[savedInvStdOff + c],
                                          c, chunkStart(k, chunks, batch), chunkStart(k + 1, chunks, batch),
                                          channels, spatial, scratch);
    if (get_local_id(0) == 0) vstore2(sums, c * chunks + k, partial + partialOff);
}

// dShift = sum dy, dScale = sum dy * xhat, dx = scale * invStd * (dy - dShift/m - xhat * dScale/m).
__kernel __attribute__((reqd_work_group_size(WGS, 1, 1)))
void bn_backward(__global const float* x, int xOff, __global const float* dy, int dyOff,
                 __global const float* scale, int scaleOff, int hasScale,
                 __global const float* savedMean, int savedMeanOff, __global const float* savedInvStd, int savedInvStdOff,
                 __global float* dx, int dxOff, int hasDx, __global float* dScale, int dScaleOff, int hasDScale,
                 __global float* dShift, int dShiftOff, int hasDShift, int accumulate, int accumulateParameters,
                 int batch, int channels, int spatial, __global const float* partial, int partialOff, int chunks) {
    __local float scratch[WGS];
    const int k = get_group_id(0), c = get_group_id(1), lid = get_local_id(0), m = batch * spatial;
    const int s0 = chunkStart(k, chunks, batch), s1 = chunkStart(k + 1, chunks, batch);
    const float mean = savedMean[savedMeanOff + c], invStd = savedInvStd[savedInvStdOff + c];
    float2 sums = (float2)(0.0f, 0.0f);
    if (chunks == 1) {
        sums = chunkGradientSums(x, xOff, dy, dyOff, mean, invStd, c, 0, batch, channels, spatial, scratch);
    } else {
        for (int t = 0; t < chunks; ++t) sums += vload2(c * chunks + t, partial + partialOff);
    }
    const float dBeta = sums.x, dGamma = sums.y;
    if (k == 0 && lid == 0) {
        if (hasDShift) dShift[dShiftOff + c] = accumulateParameters ? dShift[dShiftOff + c] + dBeta : dBeta;
        if (hasDScale) dScale[dScaleOff + c] = accumulateParameters ? dScale[dScaleOff + c] + dGamma : dGamma;
    }
    if (!hasDx) return;
    const float kk = (hasScale ? scale[scaleOff + c] : 1.0f) * invStd;
    const float meanDy = dBeta / (float)m, meanDyXhat = dGamma / (float)m;
    FOR_CHANNEL_ELEMENTS(at, s0, s1, c, channels, spatial,
        float xhat = (x[xOff + at] - mean) * invStd;
        float d = kk * (dy[dyOff + at] - meanDy - xhat * meanDyXhat);
        dx[dxOff + at] = accumulate ? dx[dxOff + at] + d : d;
    )
}
