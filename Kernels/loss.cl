// loss.cl: softmax cross-entropy (loss, accuracy and gradient in one launch, sums kept on the device) and
// softmax / log-softmax with their backward passes. Rows are [classes] floats, one sample each.

// Softmax cross-entropy over `batch` rows, one work-group of WGS work-items striding over the rows.
// Rows whose label is outside 0..<classes are padding: no loss, no gradient, not counted.
// loss = -(1-eps)*logp[label] - (eps/K)*sum_k logp[k]; dLogits = (softmax - target) / counted;
// correct when the first maximum is at the label; metrics[0..2] += [loss sum, correct, counted].
__kernel __attribute__((reqd_work_group_size(WGS, 1, 1)))
void softmax_cross_entropy(__global const float* logits, int logitsOff, __global const int* labels, int labelsOff,
                           __global float* dLogits, int dLogitsOff, int hasGradient,
                           __global float* metrics, int metricsOff, int batch, int classes, float smoothing) {
    __local float scratch[WGS];
    const int lid = get_local_id(0);
    float valid = 0.0f;
    for (int r = lid; r < batch; r += WGS) {
        int label = labels[labelsOff + r];
        if (label >= 0 && label < classes) valid += 1.0f;
    }
    const float counted = workGroupSum(valid, scratch);
    const float onTarget = 1.0f - smoothing, spread = smoothing / (float)classes;
    float lossSum = 0.0f, correct = 0.0f;
    for (int r = lid; r < batch; r += WGS) {
        __global const float* row = logits + logitsOff + r * classes;
        const int label = labels[labelsOff + r];
        const bool counts = label >= 0 && label < classes;
        float maxValue = row[0];
        int maxAt = 0;
        for (int k = 1; k < classes; ++k) if (row[k] > maxValue) { maxValue = row[k]; maxAt = k; }
        float sumExp = 0.0f, sumLogits = 0.0f;
        for (int k = 0; k < classes; ++k) { sumExp += exp(row[k] - maxValue); sumLogits += row[k]; }
        const float logZ = maxValue + log(sumExp);
        if (counts) {
            // sum_k logp[k] = sum_k logits[k] - K*logZ
            lossSum += -onTarget * (row[label] - logZ) - spread * (sumLogits - (float)classes * logZ);
            if (maxAt == label) correct += 1.0f;
        }
        if (hasGradient) {
            __global float* d = dLogits + dLogitsOff + r * classes;
            for (int k = 0; k < classes; ++k) {
                float target = (k == label ? onTarget : 0.0f) + spread;
                d[k] = counts ? (exp(row[k] - logZ) - target) / counted : 0.0f;
            }
        }
    }
    const float totalLoss = workGroupSum(lossSum, scratch);
    const float totalCorrect = workGroupSum(correct, scratch);
    if (lid == 0) {
        metrics[metricsOff] += totalLoss;
        metrics[metricsOff + 1] += totalCorrect;
        metrics[metricsOff + 2] += counted;
    }
}

// Softmax (logMode = 0) or log-softmax (logMode = 1) of each row; one row per work-item.
__kernel void softmax_forward(__global const float* x, int xOff, __global float* y, int yOff,
                              int batch, int classes, int logMode) {
    const int r = get_global_id(0);
    if (r >= batch) return;
    __global const float* xr = x + xOff + r * classes;
    __global float* yr = y + yOff + r * classes;
    float maxValue = xr[0];
    for (int k = 1; k < classes; ++k) maxValue = fmax(maxValue, xr[k]);
    float sum = 0.0f;
    for (int k = 0; k < classes; ++k) sum += exp(xr[k] - maxValue);
    const float logSum = log(sum);
    for (int k = 0; k < classes; ++k) yr[k] = logMode ? xr[k] - maxValue - logSum : exp(xr[k] - maxValue) / sum;
}

// From the output y: softmax dx = y*(dy - sum dy*y); log-softmax dx = dy - exp(y)*sum dy.
__kernel void softmax_backward(__global const float* y, int yOff, __global const float* dy, int dyOff,
                               __global float* dx, int dxOff, int batch, int classes, int logMode, int accumulate) {
    const int r = get_global_id(0);
    if (r >= batch) return;
    __global const float* yr = y + yOff + r * classes;
    __global const float* gr = dy + dyOff + r * classes;
    __global float* dr = dx + dxOff + r * classes;
    float dot = 0.0f;
    for (int k = 0; k < classes; ++k) dot += logMode ? gr[k] : gr[k] * yr[k];
    for (int k = 0; k < classes; ++k) {
        float d = logMode ? gr[k] - exp(yr[k]) * dot : yr[k] * (gr[k] - dot);
        dr[k] = accumulate ? dr[k] + d : d;
    }
}
