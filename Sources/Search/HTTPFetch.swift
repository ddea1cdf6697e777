import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP exchange's result.
struct HTTPReply: Sendable {
    var status: Int
    var body: Data
    /// Seconds the server asked us to wait (`Retry-After`), if it said.
    var retryAfter: Double?
}

/// Why an exchange produced no reply.
enum HTTPFailure: Error, Sendable {
    case timeout
    case tooLarge(Int)
    case connection(String)
}

/// One POST: `http` through `SocketHTTP`, `https` through URLSession with a hard size cap and a watchdog. The cap stops a hostile or runaway server
/// from filling memory (the delegate cancels the task as soon as the body passes it); the watchdog enforces
/// the overall deadline even if URLSession's own timers do not fire (seen with stalled bodies on Linux).
enum HTTPFetch {
    static func post(_ url: URL, headers: [String: String], body: Data, timeout: Double,
                     maxBytes: Int) async -> Result<HTTPReply, HTTPFailure> {
        // Plain http (a local model server) goes over our own socket: URLSession spins while it waits on Linux.
        if url.scheme?.lowercased() == "http" {
            return await SocketHTTP.post(url, headers: headers, body: body, timeout: timeout, maxBytes: maxBytes)
        }
        // URLSession on Linux truncates sub-second timeouts (0.5 s fired after 30 ms, measured), so its own
        // timers get whole seconds with a margin and the watchdog below enforces the real deadline.
        let slack = (timeout + 1).rounded(.up)
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: slack)
        request.httpMethod = "POST"
        request.httpBody = body
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = slack
        configuration.timeoutIntervalForResource = slack
        configuration.httpMaximumConnectionsPerHost = 1
        let delegate = FetchDelegate(maxBytes: maxBytes)
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
        defer { session.invalidateAndCancel() }
        return await withCheckedContinuation { continuation in
            delegate.start(continuation)
            let task = session.dataTask(with: request)
            delegate.watch(task, after: timeout)
            task.resume()
        }
    }
}

/// Collects one task's reply; resumes the continuation exactly once, whichever of completion, overflow or
/// watchdog comes first.
private final class FetchDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let lock = NSLock()
    private let maxBytes: Int
    private var data = Data()
    private var response: HTTPURLResponse?
    private var continuation: CheckedContinuation<Result<HTTPReply, HTTPFailure>, Never>?
    private var overflowed = false
    private var timedOut = false

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    func start(_ c: CheckedContinuation<Result<HTTPReply, HTTPFailure>, Never>) {
        lock.withLock { continuation = c }
    }

    func watch(_ task: URLSessionDataTask, after seconds: Double) {
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [weak self, weak task] in
            guard let self else { return }
            let pending = self.lock.withLock { () -> Bool in
                if self.continuation != nil { self.timedOut = true; return true }
                return false
            }
            if pending { task?.cancel(); self.finish(.failure(.timeout)) }
        }
    }

    private func finish(_ result: Result<HTTPReply, HTTPFailure>) {
        let c = lock.withLock { () -> CheckedContinuation<Result<HTTPReply, HTTPFailure>, Never>? in
            defer { continuation = nil }
            return continuation
        }
        c?.resume(returning: result)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        lock.withLock { self.response = response as? HTTPURLResponse }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive chunk: Data) {
        let over = lock.withLock { () -> Bool in
            data.append(chunk)
            if data.count > maxBytes && !overflowed { overflowed = true; return true }
            return false
        }
        if over {
            dataTask.cancel()
            finish(.failure(.tooLarge(maxBytes)))
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let (body, response) = lock.withLock { (data, self.response) }
        if let error {
            let ns = error as NSError
            if ns.domain == NSURLErrorDomain && ns.code == NSURLErrorTimedOut {
                finish(.failure(.timeout))
            } else {
                finish(.failure(.connection(ns.localizedDescription)))
            }
            return
        }
        guard let response else { finish(.failure(.connection("no HTTP response"))); return }
        let retryAfter = (response.value(forHTTPHeaderField: "Retry-After")).flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        finish(.success(HTTPReply(status: response.statusCode, body: body, retryAfter: retryAfter)))
    }
}
