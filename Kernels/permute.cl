// permute.cl: each sample's dimensions reordered (PermuteGeometry.kernelForm): output element
// (n, i0, i1, i2, i3) = input element n * perSample + i0*s0 + i1*s1 + i2*s2 + i3*s3. One work-item per element.
// geo (an int16): s0..s3 = output dims d0..d3, s4..s7 = input strides, the rest unused.

__kernel void permute(__global const float* x, int xOff, __global float* y, int yOff, int n, int perSample,
                      int accumulate, int16 geo) {
    const int i = get_global_id(0);
    if (i >= n) return;
    int t = i;
    int i3 = t % geo.s3; t /= geo.s3;
    int i2 = t % geo.s2; t /= geo.s2;
    int i1 = t % geo.s1; t /= geo.s1;
    int i0 = t % geo.s0, s = t / geo.s0;
    float v = x[xOff + s * perSample + i0 * geo.s4 + i1 * geo.s5 + i2 * geo.s6 + i3 * geo.s7];
    y[yOff + i] = accumulate ? y[yOff + i] + v : v;
}
