// The ring of preallocated batch slots shared by the loader's worker (producer) and the trainer
// (consumer), guarded by one pthread mutex and two condition variables. Nothing is allocated per
// batch: the worker writes into a free slot, publishes it, and the consumer reads it in place.
import Foundation

/// Where one slot's batch came from; written by the worker before it publishes the slot.
struct SlotInfo {
    var validCount = 0
    var epoch = 0
    var indexInEpoch = 0
}

final class BatchRing: @unchecked Sendable {
    let slotCount: Int
    let imagesPerSlot: Int
    let labelsPerSlot: Int
    // Fixed-address storage: the consumer holds views into it while the worker fills other slots.
    let images: UnsafeMutablePointer<Float>
    let labels: UnsafeMutablePointer<Int32>
    let info: UnsafeMutablePointer<SlotInfo>

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let notEmpty: UnsafeMutablePointer<pthread_cond_t>  // consumer waits: a batch was published, or the end
    private let notFull: UnsafeMutablePointer<pthread_cond_t>   // worker waits: a slot was freed, or stop
    private let exited: UnsafeMutablePointer<pthread_cond_t>    // stop() waits: the worker has returned

    // State below is only touched with `mutex` held.
    private var readIndex = 0       // next slot the consumer takes
    private var writeIndex = 0      // next slot the worker fills
    private var ready = 0           // published slots not yet taken
    private var holding = false     // the consumer still reads the slot before readIndex
    private var finished = false    // the worker produced its last batch
    private var stopRequested = false
    private var workerExited = false
    private var waited = Duration.zero

    init(slots: Int, imagesPerSlot: Int, labelsPerSlot: Int) {
        precondition(slots >= 2, "the ring needs a slot to read and one to fill")
        slotCount = slots
        self.imagesPerSlot = imagesPerSlot
        self.labelsPerSlot = labelsPerSlot
        images = .allocate(capacity: slots * imagesPerSlot)
        images.initialize(repeating: 0, count: slots * imagesPerSlot)
        labels = .allocate(capacity: slots * labelsPerSlot)
        labels.initialize(repeating: -1, count: slots * labelsPerSlot)
        info = .allocate(capacity: slots)
        info.initialize(repeating: SlotInfo(), count: slots)
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        notEmpty = Self.makeCondition()
        notFull = Self.makeCondition()
        exited = Self.makeCondition()
    }

    deinit {
        for condition in [notEmpty, notFull, exited] {
            pthread_cond_destroy(condition)
            condition.deallocate()
        }
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        images.deallocate()
        labels.deallocate()
        info.deallocate()
    }

    private static func makeCondition() -> UnsafeMutablePointer<pthread_cond_t> {
        let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, nil)
        return condition
    }

    private func withLock<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    // MARK: Worker side

    /// Blocks until a slot is free and returns it, or nil once stop was requested.
    func acquireFreeSlot() -> Int? {
        withLock {
            while !stopRequested && ready + (holding ? 1 : 0) == slotCount {
                pthread_cond_wait(notFull, mutex)
            }
            return stopRequested ? nil : writeIndex
        }
    }

    /// Hands the slot from `acquireFreeSlot` (now filled) to the consumer.
    func publish() {
        withLock {
            writeIndex = (writeIndex + 1) % slotCount
            ready += 1
            pthread_cond_signal(notEmpty)
        }
    }

    /// No more batches will come; the consumer drains what is left, then gets nil.
    func finish() {
        withLock {
            finished = true
            pthread_cond_broadcast(notEmpty)
        }
    }

    /// The worker's last act, so stop() knows no thread touches the slots any more.
    func markExited() {
        withLock {
            workerExited = true
            pthread_cond_broadcast(exited)
        }
    }

    var isStopRequested: Bool { withLock { stopRequested } }

    // MARK: Consumer side

    /// Releases the slot the consumer held, then blocks until the next batch is published.
    /// Returns that slot, or nil at the end or after stop.
    func takeReadySlot() -> Int? {
        withLock {
            if holding {
                holding = false
                pthread_cond_signal(notFull)
            }
            if ready == 0 && !finished && !stopRequested {
                let start = ContinuousClock.now
                while ready == 0 && !finished && !stopRequested {
                    pthread_cond_wait(notEmpty, mutex)
                }
                waited += start.duration(to: .now)
            }
            guard ready > 0, !stopRequested else { return nil }
            let slot = readIndex
            readIndex = (readIndex + 1) % slotCount
            ready -= 1
            holding = true
            return slot
        }
    }

    var waitSeconds: Double {
        let components = withLock { waited.components }
        return Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }

    /// Asks the worker to stop and waits until it has returned. Idempotent.
    func stop() {
        withLock {
            stopRequested = true
            pthread_cond_broadcast(notFull)
            pthread_cond_broadcast(notEmpty)
            while !workerExited {
                pthread_cond_wait(exited, mutex)
            }
        }
    }
}
