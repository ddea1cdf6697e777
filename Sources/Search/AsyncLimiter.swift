/// At most `limit` holders at a time; the rest wait in arrival order. Bounds concurrent requests to a
/// language-model server (a local llama.cpp serves one or two at a time; a hosted API rate-limits).
public actor AsyncLimiter {
    private let limit: Int
    private var active = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(limit: Int) { self.limit = max(1, limit) }

    public func acquire() async {
        if active < limit { active += 1; return }
        await withCheckedContinuation { waiting.append($0) }
    }

    public func release() {
        if waiting.isEmpty { active = max(0, active - 1) } else { waiting.removeFirst().resume() }
    }

    public func run<T: Sendable, E: Error>(_ body: @Sendable () async throws(E) -> T) async throws(E) -> T {
        await acquire()
        do {
            let value = try await body()
            release()
            return value
        } catch {
            release()
            throw error
        }
    }
}
