import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Plain-`http` POST over a POSIX socket, for local model servers (llama.cpp on 127.0.0.1).
///
/// Why not URLSession: on Linux, FoundationNetworking keeps a libdispatch write source armed on the socket
/// while it waits for the reply. The socket is always writable, so the source fires, libcurl polls with a zero
/// timeout, finds nothing, and the source fires again: ~4,700 wake-ups per second, 0.6-1.7 CPU-seconds per
/// 3 s of waiting (strace: 14,000 `poll(..., 0)`, 28,000 `epoll_ctl` and 14,000 eventfd writes in 3 s),
/// taken from the trainer and the model server. Here one thread blocks in `poll` with the remaining
/// deadline (in slices of `slice` seconds, to notice cancellation), so waiting costs nothing.
enum SocketHTTP {
    static let slice = 0.25

    static func post(_ url: URL, headers: [String: String], body: Data, timeout: Double,
                     maxBytes: Int) async -> Result<HTTPReply, HTTPFailure> {
        let cancelled = CancelFlag()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Result<HTTPReply, HTTPFailure>, Never>) in
                Thread.detachNewThread {
                    let deadline = Date().addingTimeInterval(timeout)
                    c.resume(returning: exchange(url, headers: headers, body: body, deadline: deadline, maxBytes: maxBytes,
                                                 cancelled: cancelled))
                }
            }
        } onCancel: {
            cancelled.set()
        }
    }

    final class CancelFlag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.withLock { value = true } }
        var isSet: Bool { lock.withLock { value } }
    }

    /// The whole exchange on the calling thread: connect, send, read until the body is complete or EOF.
    static func exchange(_ url: URL, headers: [String: String], body: Data, deadline: Date, maxBytes: Int,
                         cancelled: CancelFlag) -> Result<HTTPReply, HTTPFailure> {
        guard let host = url.host, !host.isEmpty else { return .failure(.connection("no host in \(url)")) }
        let port = url.port ?? 80
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            return .failure(.connection("cannot resolve \(host)"))
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address for \(host)"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let a = candidate {
            candidate = a.pointee.ai_next
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            guard fd >= 0 else { lastError = errnoText(); continue }
            defer { close(fd) }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            if connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) != 0 {
                guard errno == EINPROGRESS else { lastError = errnoText(); continue }
                switch wait(fd, for: Int16(POLLOUT), until: deadline, cancelled: cancelled) {
                case .failure(let f): return .failure(f)
                case .success: break
                }
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                guard error == 0 else { lastError = String(cString: strerror(error)); continue }
            }
            return converse(fd, url: url, host: host, port: port, headers: headers, body: body, deadline: deadline,
                            maxBytes: maxBytes, cancelled: cancelled)
        }
        return .failure(.connection(lastError))
    }

    static func converse(_ fd: Int32, url: URL, host: String, port: Int, headers: [String: String], body: Data,
                         deadline: Date, maxBytes: Int, cancelled: CancelFlag) -> Result<HTTPReply, HTTPFailure> {
        var path = url.path.isEmpty ? "/" : url.path
        if let q = url.query { path += "?" + q }
        var head = "POST \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        for (k, v) in headers.sorted(by: { $0.key < $1.key }) where k.lowercased() != "content-length" {
            head += "\(k): \(v)\r\n"
        }
        let request = Array(head.utf8) + Array("\r\n".utf8) + Array(body)
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 { sent += n; continue }
            guard n < 0, errno == EAGAIN || errno == EWOULDBLOCK else { return .failure(.connection(errnoText())) }
            if case .failure(let f) = wait(fd, for: Int16(POLLOUT), until: deadline, cancelled: cancelled) { return .failure(f) }
        }
        var reader = ReplyReader(maxBytes: maxBytes)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !reader.complete {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                if let failure = reader.take(buffer[0..<n]) { return .failure(failure) }
                continue
            }
            if n == 0 { break }
            guard errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else { return .failure(.connection(errnoText())) }
            if case .failure(let f) = wait(fd, for: Int16(POLLIN), until: deadline, cancelled: cancelled) { return .failure(f) }
        }
        return reader.reply()
    }

    /// Blocks in `poll` until `fd` is ready, the deadline passes, or the exchange is cancelled.
    static func wait(_ fd: Int32, for events: Int16, until deadline: Date, cancelled: CancelFlag) -> Result<Void, HTTPFailure> {
        while true {
            if cancelled.isSet { return .failure(.connection("cancelled")) }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return .failure(.timeout) }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let r = poll(&p, 1, Int32(min(left, slice) * 1000) + 1)
            if r > 0 { return .success(()) }
            if r < 0 && errno != EINTR { return .failure(.connection(errnoText())) }
        }
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// Parses an HTTP/1.1 reply as its bytes arrive: status line, headers, then a body framed by Content-Length,
/// chunked transfer coding, or the end of the connection.
struct ReplyReader {
    let maxBytes: Int
    private var bytes: [UInt8] = []
    private var headerEnd: Int?
    private var status = 0
    private var contentLength: Int?
    private var chunked = false
    private var retryAfter: Double?
    private(set) var complete = false

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    /// Adds bytes; a failure when the body outgrows `maxBytes` or the head is malformed.
    mutating func take(_ chunk: ArraySlice<UInt8>) -> HTTPFailure? {
        bytes += chunk
        if headerEnd == nil {
            guard let end = find(Array("\r\n\r\n".utf8), in: bytes, from: 0) else {
                return bytes.count > 65536 ? .connection("reply header larger than 64 KiB") : nil
            }
            headerEnd = end + 4
            if let failure = parseHead(String(decoding: bytes[0..<end], as: UTF8.self)) { return failure }
        }
        guard let start = headerEnd else { return nil }
        if bytes.count - start > maxBytes + (chunked ? 65536 : 0) { return .tooLarge(maxBytes) }
        if let length = contentLength, bytes.count - start >= length { complete = true }
        if chunked, decodeChunks() != nil { complete = true }
        return nil
    }

    private mutating func parseHead(_ head: String) -> HTTPFailure? {
        let lines = head.components(separatedBy: "\r\n")
        let parts = lines.first?.split(separator: " ") ?? []
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let code = Int(parts[1]) else {
            return .connection("not an HTTP reply: \(lines.first ?? "")")
        }
        status = code
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch name {
            case "content-length": contentLength = Int(value)
            case "transfer-encoding": chunked = value.lowercased().contains("chunked")
            case "retry-after": retryAfter = Double(value)
            default: break
            }
        }
        if let length = contentLength, length > maxBytes { return .tooLarge(maxBytes) }
        return nil
    }

    /// The body of a chunked reply once its last chunk has arrived, else nil.
    private func decodeChunks() -> [UInt8]? {
        guard var i = headerEnd else { return nil }
        var body: [UInt8] = []
        while true {
            guard let lineEnd = find(Array("\r\n".utf8), in: bytes, from: i) else { return nil }
            let sizeText = String(decoding: bytes[i..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return nil }
            let dataStart = lineEnd + 2
            if size == 0 { return body }
            guard bytes.count >= dataStart + size + 2 else { return nil }
            body += bytes[dataStart..<(dataStart + size)]
            i = dataStart + size + 2
        }
    }

    /// The reply once the connection ended or the body is complete.
    func reply() -> Result<HTTPReply, HTTPFailure> {
        guard let start = headerEnd else {
            return .failure(.connection(bytes.isEmpty ? "the server closed the connection without a reply"
                                                      : "the server closed the connection inside the reply header"))
        }
        let body: [UInt8]
        if chunked {
            guard let decoded = decodeChunks() else { return .failure(.connection("chunked reply cut short")) }
            body = decoded
        } else if let length = contentLength {
            guard bytes.count - start >= length else { return .failure(.connection("reply cut short")) }
            body = Array(bytes[start..<(start + length)])
        } else {
            body = Array(bytes[start...])
        }
        guard body.count <= maxBytes else { return .failure(.tooLarge(maxBytes)) }
        return .success(HTTPReply(status: status, body: Data(body), retryAfter: retryAfter))
    }

    private func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard haystack.count >= needle.count + from else { return nil }
        var i = from
        while i + needle.count <= haystack.count {
            if haystack[i] == needle[0] && Array(haystack[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }
}
