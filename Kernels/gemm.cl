// gemm.cl: C = act(alpha * op(A) * op(B) + beta * C + bias), register-blocked and tiled.
//
// Each work-group computes an MWG x NWG tile of C with MDIMC x NDIMC work-items; each work-item holds an
// MWI x NWI block of accumulators in registers. K advances KWG at a time; with LOCAL_STAGING the A and B
// tiles are first copied to local memory by the whole work-group (coalesced global reads). Without it, the
// CPU path (VWN > 1) copies only B's KWG x NWG block into local memory (one contiguous, L1-resident block
// whatever ldb is) and reads A directly, with VWN-wide vector accumulators and a vector epilogue; VWN == 1
// reads both operands straight from global memory (scalar).
// With local staging a work-item's rows are spread in chunks of VWM across the tile, so neighbouring
// work-items read neighbouring local memory (no bank conflicts) and each chunk is one vector load; columns
// likewise. On the CPU path a work-item's rows and columns are contiguous instead.
//
// Layouts (row-major, element offsets): A is M x K (lda) or, transposed, K x M; B is K x N (ldb) or N x K.
// The columns of B (not transposed) and of C may be "split": column n lives at
// (n / split) * splitStride + n % split, which lets N run over batch x spatial for NCHW tensors (convolution
// as one GEMM over the whole batch). get_group_id(2) selects a batch entry (groups of a convolution), each
// operand offset by its own stride, and optionally a slice of K (split K: more work-groups when M x N is
// small and K large; the host sums the slices). Edges of M, N and K are handled by bounds checks (zero fill),
// on the CPU path by clamping (see there).

#ifndef MWG
#define MWG 64  // rows of C per work-group
#endif
#ifndef NWG
#define NWG 64  // columns of C per work-group
#endif
#ifndef KWG
#define KWG 16  // depth of one K step
#endif
#ifndef MDIMC
#define MDIMC 16  // work-items along M
#endif
#ifndef NDIMC
#define NDIMC 16  // work-items along N
#endif
#ifndef VWM
#define VWM 4  // vector width of a work-item's row chunk (1, 2, 4 or 8)
#endif
#ifndef VWN
#define VWN 4  // vector width of a work-item's column chunk (1, 2, 4 or 8)
#endif
#ifndef LOCAL_STAGING
#define LOCAL_STAGING 1  // 1: stage tiles in local memory; 0: read operands from global memory directly
#endif
#ifndef PADA
#define PADA 1  // floats of padding per local A row (against bank conflicts on transposed loads)
#endif
#ifndef PADB
#define PADB 1  // floats of padding per local B row
#endif

// Derived sizes.
#define THREADS (MDIMC * NDIMC)
#define MWI (MWG / MDIMC)          // rows per work-item
#define NWI (NWG / NDIMC)          // columns per work-item
#define LDAL (MWG + PADA)          // local A row length (one row per k)
#define LDBL (NWG + PADB)          // local B row length

#if (MWI % VWM) != 0 || (NWI % VWN) != 0 || (MWG * KWG) % THREADS != 0 || (NWG * KWG) % THREADS != 0
#error "GEMM parameters: MWG/MDIMC must divide by VWM, NWG/NDIMC by VWN, tiles by the work-group size"
#endif

// Row of the tile held in a work-item's register i: chunks of VWM rows, MDIMC*VWM apart.
#define TILE_ROW(i, t) (((i) / VWM) * (MDIMC * VWM) + (t) * VWM + ((i) % VWM))
#define TILE_COL(j, t) (((j) / VWN) * (NDIMC * VWN) + (t) * VWN + ((j) % VWN))
#define CPU_PATH (!LOCAL_STAGING && VWN > 1)
#if CPU_PATH
// CPU path: a work-item's rows and columns are contiguous (work-items past an edge of C can then idle).
#define ROW_OF(i, t) ((t) * MWI + (i))
#define COL_OF(j, t) ((t) * NWI + (j))
#else
#define ROW_OF(i, t) TILE_ROW(i, t)
#define COL_OF(j, t) TILE_COL(j, t)
#endif

// Reads W consecutive floats at p into dst[base ... base+W-1] (a vector load where W > 1).
#if VWM == 1
#define LOAD_A(dst, base, p) dst[base] = (p)[0]
#elif VWM == 2
#define LOAD_A(dst, base, p) { float2 v_ = vload2(0, p); dst[base] = v_.s0; dst[base + 1] = v_.s1; }
#elif VWM == 4
#define LOAD_A(dst, base, p) { float4 v_ = vload4(0, p); dst[base] = v_.s0; dst[base + 1] = v_.s1; \
    dst[base + 2] = v_.s2; dst[base + 3] = v_.s3; }
#elif VWM == 8
#define LOAD_A(dst, base, p) { float8 v_ = vload8(0, p); dst[base] = v_.s0; dst[base + 1] = v_.s1; \
    dst[base + 2] = v_.s2; dst[base + 3] = v_.s3; dst[base + 4] = v_.s4; dst[base + 5] = v_.s5; \
    dst[base + 6] = v_.s6; dst[base + 7] = v_.s7; }
#endif
#if VWN == 1
#define LOAD_B(dst, base, p) dst[base] = (p)[0]
#elif VWN == 2
#define LOAD_B(dst, base, p) { float2 v_ = vload2(0, p); dst[base] = v_.s0; dst[base + 1] = v_.s1; }
#elif VWN == 4
#define LOAD_B(dst, base, p) { float4 v_ = vload4(0, p); dst[base] = v_.s0; dst[base + 1] = v_.s1; \
    dst[base + 2] = v_.s2; dst[base + 3] = v_.s3; }
#elif VWN == 8
#define LOAD_B(dst, base, p) { float8 v_ = vload8(0, p); dst[base] = v_.s0; dst[base + 1] = v_.s1; \
    dst[base + 2] = v_.s2; dst[base + 3] = v_.s3; dst[base + 4] = v_.s4; dst[base + 5] = v_.s5; \
    dst[base + 6] = v_.s6; dst[base + 7] = v_.s7; }
#endif

// The vector type of a column chunk (direct-read path).
#if VWN == 2
#define VECN float2
#define VLOADN vload2
#define VSTOREN vstore2
#elif VWN == 4
#define VECN float4
#define VLOADN vload4
#define VSTOREN vstore4
#elif VWN == 8
#define VECN float8
#define VLOADN vload8
#define VSTOREN vstore8
#endif

inline int splitColumn(int n, int split, int splitStride) {
    int s = n / split;
    return s * splitStride + (n - s * split);
}

__kernel __attribute__((reqd_work_group_size(MDIMC, NDIMC, 1)))
void gemm(int M, int N, int K, float alpha, float beta, int transA, int transB,
          __global const float* A, int offA, int lda, int strideA,
          __global const float* B, int offB, int ldb, int strideB, int splitB, int splitStrideB,
          __global float* C, int offC, int ldc, int strideC, int splitC, int splitStrideC,
          __global const float* bias, int offBias, int strideBias, int biasMode, int act, float actParam,
          int slices, int kSlice, int sliceStrideC) {
    const int tm = get_local_id(0), tn = get_local_id(1);
    const int m0 = get_group_id(0) * MWG, n0 = get_group_id(1) * NWG;
    // Split K: slice s of batch entry z sums k in [kBegin, kEnd) into its own copy of C (summed afterwards).
    const int z = get_group_id(2) / slices, slice = get_group_id(2) - z * slices;
    const int kBegin = slice * kSlice, kEnd = min(K, kBegin + kSlice);
    A += offA + z * strideA;
    B += offB + z * strideB;
    C += offC + z * strideC + slice * sliceStrideC;

    float acc[MWI][NWI];
    #pragma unroll
    for (int i = 0; i < MWI; ++i) {
        #pragma unroll
        for (int j = 0; j < NWI; ++j) acc[i][j] = 0.0f;
    }

#if LOCAL_STAGING
    __local float Al[KWG * LDAL];
    __local float Bl[KWG * LDBL];
    const int tid = tn * MDIMC + tm;
    // Column offsets of the B elements this work-item stages (fixed across K steps when B is not transposed).
    int bCol[(NWG * KWG) / THREADS];
    #pragma unroll
    for (int e = 0; e < (NWG * KWG) / THREADS; ++e) {
        int idx = tid + e * THREADS;
        int nn = transB ? idx / KWG : idx % NWG;
        int gn = n0 + nn;
        bCol[e] = (!transB && gn < N) ? splitColumn(gn, splitB, splitStrideB) : 0;
    }
    for (int k0 = kBegin; k0 < kEnd; k0 += KWG) {
        // Stage A: consecutive work-items take consecutive addresses of A's contiguous dimension.
        #pragma unroll
        for (int e = 0; e < (MWG * KWG) / THREADS; ++e) {
            int idx = tid + e * THREADS;
            int kk = transA ? idx / MWG : idx % KWG;
            int mm = transA ? idx % MWG : idx / KWG;
            int gm = m0 + mm, gk = k0 + kk;
            float v = 0.0f;
            if (gm < M && gk < kEnd) v = transA ? A[gk * lda + gm] : A[gm * lda + gk];
            Al[kk * LDAL + mm] = v;
        }
        #pragma unroll
        for (int e = 0; e < (NWG * KWG) / THREADS; ++e) {
            int idx = tid + e * THREADS;
            int kk = transB ? idx % KWG : idx / NWG;
            int nn = transB ? idx / KWG : idx % NWG;
            int gn = n0 + nn, gk = k0 + kk;
            float v = 0.0f;
            if (gn < N && gk < kEnd) v = transB ? B[gn * ldb + gk] : B[gk * ldb + bCol[e]];
            Bl[kk * LDBL + nn] = v;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        #pragma unroll
        for (int kk = 0; kk < KWG; ++kk) {
            float a[MWI], b[NWI];
            #pragma unroll
            for (int i = 0; i < MWI; i += VWM) LOAD_A(a, i, Al + kk * LDAL + TILE_ROW(i, tm));
            #pragma unroll
            for (int j = 0; j < NWI; j += VWN) LOAD_B(b, j, Bl + kk * LDBL + TILE_COL(j, tn));
            #pragma unroll
            for (int i = 0; i < MWI; ++i) {
                #pragma unroll
                for (int j = 0; j < NWI; ++j) acc[i][j] += a[i] * b[j];
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
#elif CPU_PATH
    // CPU path. K advances in blocks of KWG: the group's KWG x NWG block of B is copied into local memory
    // (contiguous, so it stays in L1 whatever ldb is, and every work-item of the group reuses it), then each
    // work-item multiplies its MWI rows of A (read straight from global memory, a few cache lines per k) by
    // its NWI columns of the block, accumulating in VECN registers. The barriers make PoCL run the copy for
    // the whole group before any work-item computes, so the block is reused while it is hot.
    // Rows and columns past M and N are clamped into the matrices: they read valid memory, compute values the
    // epilogue drops, and the inner loop needs no bounds checks.
    __local float Bl[KWG * NWG];
    const int tid = tn * MDIMC + tm;
    // The copy: chunk c (VWN columns) of block row kk is done by work-item tid = c + CHUNKS * (kk % passes),
    // `passes` rows at a time; with fewer work-items than chunks each takes several chunks of every row.
#define CHUNKS (NWG / VWN)
#define PASSES (THREADS >= CHUNKS ? THREADS / CHUNKS : 1)
#define MY_CHUNKS ((CHUNKS + THREADS - 1) / THREADS)
#define CHUNK_OF(j) (tid % CHUNKS + (j) * THREADS)
    const bool copies = tid < PASSES * CHUNKS;
    // Where the chunks this work-item copies start in B: one vector load per k when the chunk's VWN columns
    // lie inside N and inside one split segment (and B is not transposed), else lane by lane.
    int chunkAt[MY_CHUNKS], laneAt[MY_CHUNKS][VWN];
    #pragma unroll
    for (int j = 0; j < MY_CHUNKS; ++j) {
        int gn = n0 + min(CHUNK_OF(j), CHUNKS - 1) * VWN, last = gn + VWN - 1;
        chunkAt[j] = (!transB && last < N && gn / splitB == last / splitB) ? splitColumn(gn, splitB, splitStrideB) : -1;
        #pragma unroll
        for (int v = 0; v < VWN; ++v) {
            int n = min(gn + v, N - 1);
            laneAt[j][v] = chunkAt[j] >= 0 ? 0 : transB ? n * ldb : splitColumn(n, splitB, splitStrideB);
        }
    }
    const int bStep = transB ? 1 : ldb, aStep = transA ? lda : 1;
    int aRow[MWI];
    #pragma unroll
    for (int i = 0; i < MWI; ++i) {
        int gm = min(m0 + ROW_OF(i, tm), M - 1);
        aRow[i] = transA ? gm : gm * lda;
    }
    // Work-items wholly past the edge of C skip the arithmetic (not the barriers).
    const bool idle = m0 + ROW_OF(0, tm) >= M || n0 + COL_OF(0, tn) >= N;
    VECN accv[MWI][NWI / VWN];
    #pragma unroll
    for (int i = 0; i < MWI; ++i) {
        #pragma unroll
        for (int c = 0; c < NWI / VWN; ++c) accv[i][c] = (VECN)(0.0f);
    }
    for (int k0 = kBegin; k0 < kEnd; k0 += KWG) {
        const int kn = min(KWG, kEnd - k0);
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = copies ? tid / CHUNKS : kn; kk < kn; kk += PASSES) {
            const int gk = k0 + kk;
            #pragma unroll
            for (int j = 0; j < MY_CHUNKS; ++j) {
                if (CHUNK_OF(j) >= CHUNKS) break;
                VECN v;
                if (chunkAt[j] >= 0) {
                    v = VLOADN(0, B + chunkAt[j] + gk * ldb);
                } else {
                    float lanes[VWN];
                    #pragma unroll
                    for (int l = 0; l < VWN; ++l) lanes[l] = B[laneAt[j][l] + gk * bStep];
                    v = VLOADN(0, lanes);
                }
                VSTOREN(v, 0, Bl + kk * NWG + CHUNK_OF(j) * VWN);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (!idle) {
            __global const float* Ak = A + k0 * aStep;
            for (int kk = 0; kk < kn; ++kk) {
                VECN b[NWI / VWN];
                #pragma unroll
                for (int c = 0; c < NWI / VWN; ++c) b[c] = VLOADN(0, Bl + kk * NWG + COL_OF(c * VWN, tn));
                #pragma unroll
                for (int i = 0; i < MWI; ++i) {
                    const float a = Ak[aRow[i] + kk * aStep];
                    #pragma unroll
                    for (int c = 0; c < NWI / VWN; ++c) accv[i][c] = a * b[c] + accv[i][c];
                }
            }
        }
    }
    // Vector epilogue: a chunk of VWN columns inside N and inside one split segment of C is one vector
    // load/store; other chunks go lane by lane through the scalar epilogue's arithmetic.
    bias += offBias + z * strideBias;
    #pragma unroll
    for (int c = 0; c < NWI / VWN; ++c) {
        const int gn = n0 + COL_OF(c * VWN, tn), last = gn + VWN - 1;
        if (gn >= N) continue;
        const bool whole = last < N && gn / splitC == last / splitC;
        const int col = splitColumn(gn, splitC, splitStrideC);
        #pragma unroll
        for (int i = 0; i < MWI; ++i) {
            const int gm = m0 + ROW_OF(i, tm);
            if (gm >= M) continue;
            if (whole) {
                __global float* out = C + gm * ldc + col;
                VECN v = alpha * accv[i][c];
                if (beta != 0.0f) v += beta * VLOADN(0, out);
                if (biasMode == 1) v += bias[gm];
                else if (biasMode == 2) v += VLOADN(0, bias + gn);
                if (act == ACT_RELU) v = fmax(v, (VECN)(0.0f));
                else if (act != ACT_NONE) {
                    float lanes[VWN];
                    VSTOREN(v, 0, lanes);
                    #pragma unroll
                    for (int l = 0; l < VWN; ++l) lanes[l] = activate(lanes[l], act, actParam);
                    v = VLOADN(0, lanes);
                }
                VSTOREN(v, 0, out);
            } else {
                float lanes[VWN];
                VSTOREN(accv[i][c], 0, lanes);
                for (int l = 0; l < VWN && gn + l < N; ++l) {
                    const int at = gm * ldc + splitColumn(gn + l, splitC, splitStrideC);
                    float v = alpha * lanes[l];
                    if (beta != 0.0f) v += beta * C[at];
                    if (biasMode == 1) v += bias[gm];
                    else if (biasMode == 2) v += bias[gn + l];
                    C[at] = activate(v, act, actParam);
                }
            }
        }
    }
#else
    // Direct global reads: each work-item precomputes where its rows of A and columns of B start.
    int aRow[MWI], bColumn[NWI];
    #pragma unroll
    for (int i = 0; i < MWI; ++i) {
        int gm = m0 + TILE_ROW(i, tm);
        aRow[i] = gm < M ? (transA ? gm : gm * lda) : -1;
    }
    #pragma unroll
    for (int j = 0; j < NWI; ++j) {
        int gn = n0 + TILE_COL(j, tn);
        bColumn[j] = gn < N ? (transB ? gn * ldb : splitColumn(gn, splitB, splitStrideB)) : -1;
    }
    const int aStep = transA ? lda : 1, bStep = transB ? 1 : ldb;
    for (int k = kBegin; k < kEnd; ++k) {
        float a[MWI], b[NWI];
        #pragma unroll
        for (int i = 0; i < MWI; ++i) a[i] = aRow[i] >= 0 ? A[aRow[i] + k * aStep] : 0.0f;
        #pragma unroll
        for (int j = 0; j < NWI; ++j) b[j] = bColumn[j] >= 0 ? B[bColumn[j] + k * bStep] : 0.0f;
        #pragma unroll
        for (int i = 0; i < MWI; ++i) {
            #pragma unroll
            for (int j = 0; j < NWI; ++j) acc[i][j] += a[i] * b[j];
        }
    }
#endif

#if !CPU_PATH
    // Epilogue: scale, accumulate into C (never read when beta == 0, so stale NaNs cannot leak), bias, act.
    bias += offBias + z * strideBias;
    #pragma unroll
    for (int j = 0; j < NWI; ++j) {
        int gn = n0 + COL_OF(j, tn);
        if (gn >= N) continue;
        int col = splitColumn(gn, splitC, splitStrideC);
        #pragma unroll
        for (int i = 0; i < MWI; ++i) {
            int gm = m0 + ROW_OF(i, tm);
            if (gm >= M) continue;
            int at = gm * ldc + col;
            float v = alpha * acc[i][j];
            if (beta != 0.0f) v += beta * C[at];
            if (biasMode == 1) v += bias[gm];
            else if (biasMode == 2) v += bias[gn];
            C[at] = activate(v, act, actParam);
        }
    }
#endif
}
