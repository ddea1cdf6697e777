import COpenCL
import Engine

/// A data set held on the device for one executor: uint8 pixels, int32 labels, the current epoch's order and
/// the per-channel affine map, with the gather kernel bound to them and to the plan's input and label regions.
final class ResidentDataSet {
    let count: Int
    let pixels: Buffer
    let labels: Buffer
    let order: Buffer
    let affine: Buffer
    let kernel: Kernel
    /// Host copy the non-blocking order write reads from; kept until that write has completed.
    let orderHost: UnsafeMutableBufferPointer<Int32>
    var orderEvent: cl_event?

    init(count: Int, pixels: Buffer, labels: Buffer, order: Buffer, affine: Buffer, kernel: Kernel) {
        self.count = count
        self.pixels = pixels; self.labels = labels; self.order = order; self.affine = affine
        self.kernel = kernel
        orderHost = .allocate(capacity: max(count, 1))
        orderHost.initialize(repeating: 0)
    }

    /// Runs after the executor's deinit has finished its queue (stored properties go after the deinit body),
    /// or after `releaseResidentData` waited for the order write.
    deinit {
        if let orderEvent { clReleaseEvent(orderEvent) }
        orderHost.deallocate()
    }

    /// Argument indices of gather_batch (Kernels/data.cl) set per step.
    static let firstArgument = 15, validArgument = 16, stepArgument = 17
}

extension OpenCLExecutor: ResidentDataExecutor {
    public func loadResidentData(images: UnsafeBufferPointer<UInt8>, labels: UnsafeBufferPointer<Int32>,
                                 recipe: ResidentBatchRecipe) throws {
        releaseResidentData()
        let batch = plan.options.batchSize
        let shape = plan.inputShape
        let sampleSize = shape.count
        let count = labels.count
        precondition(images.count == count * sampleSize, "\(images.count) pixels are not \(count) images of \(shape)")
        precondition(recipe.scale.count == shape.channels, "the recipe has \(recipe.scale.count) channels, the plan \(shape.channels)")
        // Kernel indices are 32-bit.
        guard images.count <= Int(Int32.max) else {
            throw OpenCLError.unsupported("a resident data set of \(images.count) pixels exceeds 32-bit indices")
        }
        if let failure { throw failure }

        // Rounded up to whole 4-byte words: buffers are zero-filled with a 4-byte pattern.
        let pixels = try runtime.buffer(bytes: (images.count + 3) / 4 * 4, queue: queue, what: "resident images")
        let labelBuffer = try runtime.buffer(bytes: 4 * count, queue: queue, what: "resident labels")
        let order = try runtime.buffer(bytes: 4 * count, queue: queue, what: "resident order")
        let affine = try runtime.buffer(bytes: 4 * 2 * shape.channels, queue: queue, what: "normalisation")
        let program = try runtime.program(["common.cl", "data.cl"])
        let kernel = try program.kernel("gather_batch")
        let coefficients = recipe.scale + recipe.shift
        // Blocking writes: once per data set, and the caller's memory is free on return.
        func write(_ buffer: Buffer, _ source: UnsafeRawPointer?, _ bytes: Int, _ what: String) throws {
            guard bytes > 0 else { return }
            try check(clEnqueueWriteBuffer(queue.queue, buffer.mem, cl_bool(CL_TRUE), 0, bytes, source, 0, nil, nil),
                      "clEnqueueWriteBuffer(\(what))")
            waitCount += 1
            uploadedBytes += bytes
        }
        try write(pixels, images.baseAddress, images.count, "resident images")
        try write(labelBuffer, labels.baseAddress, 4 * count, "resident labels")
        try coefficients.withUnsafeBytes { try write(affine, $0.baseAddress, $0.count, "normalisation") }

        guard let input = buffers[.input], let labelRegion = buffers[.labels] else {
            throw OpenCLError.unsupported("the plan has no input or label region")
        }
        try kernel.set(0, pixels.mem)
        try kernel.set(1, labelBuffer.mem)
        try kernel.set(2, order.mem)
        try kernel.set(3, affine.mem)
        try kernel.set(4, input.mem)
        try kernel.set(5, int: 0)
        try kernel.set(6, labelRegion.mem)
        try kernel.set(7, int: 0)
        try kernel.set(8, int: Int32(batch * sampleSize))
        try kernel.set(9, int: Int32(shape.channels))
        try kernel.set(10, int: Int32(shape.height))
        try kernel.set(11, int: Int32(shape.width))
        try kernel.set(12, int: Int32(recipe.cropPadding))
        try kernel.set(13, int: recipe.horizontalFlip ? 1 : 0)
        try kernel.set(14, int: Int32(bitPattern: recipe.seed))
        // The order buffer stays zero until the caller sets an epoch's order.
        resident = ResidentDataSet(count: count, pixels: pixels, labels: labelBuffer, order: order, affine: affine,
                                   kernel: kernel)
    }

    public func setResidentOrder(_ order: [Int32]) {
        guard let data = resident, failure == nil else { return }
        precondition(order.count == data.count, "the order has \(order.count) entries, the data set \(data.count) images")
        // The previous epoch's write finished long ago in practice; wait only if it has not.
        if let pending = data.orderEvent {
            var list: cl_event? = pending
            record(clWaitForEvents(1, &list), "clWaitForEvents")
            clReleaseEvent(pending)
            data.orderEvent = nil
        }
        _ = data.orderHost.update(fromContentsOf: order)
        guard data.count > 0 else { return }
        // In-order queue: steps enqueued before this write still read the old order.
        var event: cl_event?
        record(clEnqueueWriteBuffer(queue.queue, data.order.mem, cl_bool(CL_FALSE), 0, 4 * data.count,
                                    data.orderHost.baseAddress, 0, nil, &event), "clEnqueueWriteBuffer(resident order)")
        data.orderEvent = event
        uploadedBytes += 4 * data.count
    }

    public func setResidentBatch(first: Int, valid: Int, step: UInt32) {
        guard let data = resident, failure == nil else { return }
        let batch = plan.options.batchSize
        precondition(valid >= 0 && valid <= batch && first >= 0 && first + valid <= data.count,
                     "batch rows \(first)..<\(first + valid) do not fit \(data.count) images and batch \(batch)")
        do {
            try data.kernel.set(ResidentDataSet.firstArgument, int: Int32(first))
            try data.kernel.set(ResidentDataSet.validArgument, int: Int32(valid))
            try data.kernel.set(ResidentDataSet.stepArgument, int: Int32(bitPattern: step))
            var global = plan.inputCount
            try check(clEnqueueNDRangeKernel(queue.queue, data.kernel.kernel, 1, nil, &global, nil, 0, nil, nil),
                      "clEnqueueNDRangeKernel(gather_batch)")
            enqueueCount += 1
        } catch let e as OpenCLError {
            failure = e
        } catch {
            failure = .unsupported("\(error)")
        }
    }

    public func releaseResidentData() {
        guard resident != nil else { return }
        // Pending gathers or the order write may still read the buffers' host copy; finish first.
        synchronize()
        resident = nil
    }
}
