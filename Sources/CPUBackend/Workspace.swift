import Engine

/// Scratch memory sized once at load from every instruction of both programs: one im2col column buffer per
/// worker and one partial weight-gradient buffer per worker (worker 0 writes the real gradient).
final class Workspace {
    let cols: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    let partials: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    let workers: Int
    private var buffers: [AlignedBuffer] = []
    /// Total floats held, for the memory report.
    private(set) var floats = 0

    init(programs: [[Instruction]], workers: Int) throws {
        var col = 0, partial = 0
        for program in programs {
            for ins in program {
                switch ins.op {
                case .conv2d(let g, _), .conv2dBackwardData(let g), .conv2dBackwardFilter(let g):
                    let need = ConvolutionKernel.workspaceNeeds(g)
                    col = max(col, need.col)
                    if case .conv2dBackwardFilter = ins.op, g.batch >= workers, workers > 1 {
                        partial = max(partial, need.partial)
                    }
                default:
                    break
                }
            }
        }
        self.workers = workers
        cols = .allocate(capacity: workers)
        partials = .allocate(capacity: workers)
        for w in 0..<workers {
            let c = try AlignedBuffer(count: col)
            // Worker 0 accumulates into the real gradient and needs no partial buffer.
            let p = try AlignedBuffer(count: w == 0 ? 0 : partial)
            buffers += [c, p]
            (cols + w).initialize(to: c.floats)
            (partials + w).initialize(to: p.floats)
            floats += col + (w == 0 ? 0 : partial)
        }
    }

    deinit {
        cols.deallocate()
        partials.deallocate()
    }
}
