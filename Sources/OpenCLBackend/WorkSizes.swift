/// Work-group sizes and how far reductions are split, chosen per device in this one place.
///
/// PoCL and other CPU devices run a work-group on one thread and vectorise across its work-items, so they want
/// few, large work-groups (a couple per core) whose work-items walk contiguous memory; every extra work-group
/// costs scheduling time. GPUs want many work-groups (several per compute unit) to hide memory latency.
struct WorkSizes {
    /// Work-group size of reduction kernels (the WGS define of every family program): a power of two.
    var reduction: Int
    /// Work-group size of one-element-per-work-item kernels.
    var element: Int
    /// Work-groups one reduction launch should have to fill the device.
    var reductionGroups: Int
    /// Fewest elements a reduction work-group should get (below that, launch overhead dominates).
    var minimumPerGroup: Int
    /// Work-items per work-group of the plane kernels (im2col, col2im): large on CPUs, where each work-group
    /// is one task, a usual GPU size elsewhere.
    var planeGroup: Int
    /// The device's compute units: how many work-groups a GEMM needs before it fills the device (split-K).
    var computeUnits: Int

    init(kind: OpenCLDevice.Kind, computeUnits: Int, maxWorkGroupSize: Int) {
        var r = 1
        while r * 2 <= min(256, maxWorkGroupSize) { r *= 2 }
        reduction = r
        element = min(256, maxWorkGroupSize)
        let units = max(computeUnits, 1)
        self.computeUnits = units
        if kind == .cpu {
            reductionGroups = 4 * units
            minimumPerGroup = 16384
            planeGroup = min(1024, maxWorkGroupSize)
        } else {
            reductionGroups = 8 * units
            minimumPerGroup = 2048
            planeGroup = min(256, maxWorkGroupSize)
        }
    }

    /// Explicit sizes (tests): reductions and long-K GEMMs split for `computeUnits` like a GPU would.
    init(reduction: Int, element: Int, computeUnits: Int = 1) {
        self.reduction = reduction; self.element = element
        self.computeUnits = max(computeUnits, 1)
        reductionGroups = 8 * max(computeUnits, 1); minimumPerGroup = 2048
        planeGroup = element
    }

    /// Chunks of whole samples each of `channels` per-channel reductions over `batch` x `spatial` elements is
    /// split into, so that channels x chunks work-groups fill the device without starving any of work.
    func chunks(channels: Int, batch: Int, spatial: Int) -> Int {
        let wanted = (reductionGroups + max(channels, 1) - 1) / max(channels, 1)
        let affordable = max(1, batch * spatial / minimumPerGroup)
        return max(1, min(wanted, affordable, batch, 64))
    }

    /// The 3-D grid of a plane kernel (conv.cl): `width` x `height` positions for each of `outer` x `count`
    /// (index, sample) pairs. A work-group spans whole rows, then whole planes, then several samples (at most
    /// 64 deep, a common device limit), within `planeGroup` work-items; samples are padded to `countPad`.
    func planeGrid(width: Int, height: Int, count: Int, outer: Int) -> (global: [Int], local: [Int], countPad: Int) {
        let lx = max(1, min(width, planeGroup))
        let ly = max(1, min(height, planeGroup / lx))
        let lz = ly >= height ? max(1, min(count, planeGroup / (lx * ly), 64)) : 1
        let countPad = (count + lz - 1) / lz * lz
        return ([(width + lx - 1) / lx * lx, (height + ly - 1) / ly * ly, max(outer, 1) * countPad], [lx, ly, lz], countPad)
    }
}
