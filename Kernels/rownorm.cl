// rownorm.cl: normalisation over rows (GroupNorm, InstanceNorm, LayerNorm; Sources/Engine/RowNormGeometry.swift).
// `rows` rows of `inner` contiguous elements, each normalised by its own mean and biased variance; element e of
// row r takes affine parameter k = ((r % period) * inner + e) / divisor. Forward and the dx part of backward run
// one work-group per row; the parameter gradients one work-group per parameter. Absent optional tensors come
// with a has* flag of 0.

inline int rowParameter(int r, int e, int inner, int period, int divisor) {
    return ((r % period) * inner + e) / divisor;
}

__kernel __attribute__((reqd_work_group_size(WGS, 1, 1)))
void rownorm_forward(__global const float* x, int xOff,
                     __global const float* scale, int scaleOff, int hasScale,
                     __global const float* shift, int shiftOff, int hasShift,
                     __global float* y, int yOff,
                     __global float* savedMean, int savedMeanOff, int hasSaved,
                     __global float* savedInvStd, int savedInvStdOff,
                     int inner, int period, int divisor, float eps) {
    __local float scratch[WGS];
    const int r = get_group_id(0), lid = get_local_id(0);
    const int base = r * inner;
    float sum = 0.0f;
    for (int e = lid; e < inner; e += WGS) sum += x[xOff + base + e];
    const float mean = workGroupSum(sum, scratch) / (float)inner;
    // Two passes (mean first, then squared deviations) keep the variance accurate for large means.
    float sq = 0.0f;
    for (int e = lid; e < inner; e += WGS) {
        float d = x[xOff + base + e] - mean;
        sq += d * d;
    }
    const float invStd = 1.0f / sqrt(workGroupSum(sq, scratch) / (float)inner + eps);
    if (lid == 0 && hasSaved) {
        savedMean[savedMeanOff + r] = mean;
        savedInvStd[savedInvStdOff + r] = invStd;
    }
    for (int e = lid; e < inner; e += WGS) {
        int k = rowParameter(r, e, inner, period, divisor);
        float g = hasScale ? scale[scaleOff + k] : 1.0f, b = hasShift ? shift[shiftOff + k] : 0.0f;
        y[yOff + base + e] = g * (x[xOff + base + e] - mean) * invStd + b;
    }
}

// dx (+)= invStd * (c - mean(c) - xhat * mean(c * xhat)) over the row, c = scale * dy.
__kernel __attribute__((reqd_work_group_size(WGS, 1, 1)))
void rownorm_backward_data(__global const float* x, int xOff, __global const float* dy, int dyOff,
                           __global const float* scale, int scaleOff, int hasScale,
                           __global const float* savedMean, int savedMeanOff,
                           __global const float* savedInvStd, int savedInvStdOff,
                           __global float* dx, int dxOff, int accumulate, int inner, int period, int divisor) {
    __local float scratch[WGS];
    const int r = get_group_id(0), lid = get_local_id(0);
    const int base = r * inner;
    const float mean = savedMean[savedMeanOff + r], invStd = savedInvStd[savedInvStdOff + r];
    float sumC = 0.0f, sumCXhat = 0.0f;
    for (int e = lid; e < inner; e += WGS) {
        int k = rowParameter(r, e, inner, period, divisor);
        float c = (hasScale ? scale[scaleOff + k] : 1.0f) * dy[dyOff + base + e];
        sumC += c;
        sumCXhat += c * (x[xOff + base + e] - mean) * invStd;
    }
    const float meanC = workGroupSum(sumC, scratch) / (float)inner;
    const float meanCXhat = workGroupSum(sumCXhat, scratch) / (float)inner;
    for (int e = lid; e < inner; e += WGS) {
        int k = rowParameter(r, e, inner, period, divisor);
        float c = (hasScale ? scale[scaleOff + k] : 1.0f) * dy[dyOff + base + e];
        float xhat = (x[xOff + base + e] - mean) * invStd;
        float d = invStd * (c - meanC - xhat * meanCXhat);
        dx[dxOff + base + e] = accumulate ? dx[dxOff + base + e] + d : d;
    }
}

// dScale[k] (+)= sum dy * xhat, dShift[k] (+)= sum dy over the elements taking parameter k: one run of `divisor`
// elements at offset (k % runs) * divisor in every row r = k / runs + m * period (runs = inner / divisor).
__kernel __attribute__((reqd_work_group_size(WGS, 1, 1)))
void rownorm_backward_params(__global const float* x, int xOff, __global const float* dy, int dyOff,
                             __global const float* savedMean, int savedMeanOff,
                             __global const float* savedInvStd, int savedInvStdOff,
                             __global float* dScale, int dScaleOff, int hasDScale,
                             __global float* dShift, int dShiftOff, int hasDShift, int accumulate,
                             int rows, int inner, int period, int divisor) {
    __local float scratch[WGS];
    const int k = get_group_id(0), lid = get_local_id(0);
    const int runs = inner / divisor, first = k / runs, offset = (k % runs) * divisor;
    const int count = ((rows - first + period - 1) / period) * divisor;
    float sumDy = 0.0f, sumDyXhat = 0.0f;
    for (int j = lid; j < count; j += WGS) {
        int r = first + (j / divisor) * period;
        int at = r * inner + offset + j % divisor;
        float g = dy[dyOff + at];
        sumDy += g;
        sumDyXhat += g * (x[xOff + at] - savedMean[savedMeanOff + r]) * savedInvStd[savedInvStdOff + r];
    }
    const float dBeta = workGroupSum(sumDy, scratch);
    const float dGamma = workGroupSum(sumDyXhat, scratch);
    if (lid == 0) {
        if (hasDShift) dShift[dShiftOff + k] = accumulate ? dShift[dShiftOff + k] + dBeta : dBeta;
        if (hasDScale) dScale[dScaleOff + k] = accumulate ? dScale[dScaleOff + k] + dGamma : dGamma;
    }
}
