import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 for the LLM client tests. It answers each request as `respond` says,
/// one thread per connection, and stops by itself after `lifetime` seconds or `maxRequests` requests, so a
/// failing test can never leave it running.
final class TestHTTPServer: @unchecked Sendable {
    enum Action {
        case reply(status: Int, body: String, headers: [String: String] = [:])
        /// Waits, then replies.
        case slow(seconds: Double, body: String)
        /// Reads the request and closes the connection without a byte of reply.
        case drop
        /// Sends a 200 with this many bytes of body.
        case huge(bytes: Int)
    }

    struct Request { var index: Int; var path: String; var body: String }

    private let lock = NSLock()
    private var requests: [Request] = []
    private var stopped = false
    private let socketFD: Int32
    let port: Int
    private let respond: @Sendable (Request) -> Action
    private let maxRequests: Int

    init(lifetime: Double = 30, maxRequests: Int = 64, respond: @escaping @Sendable (Request) -> Action) throws {
        self.respond = respond
        self.maxRequests = maxRequests
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        socketFD = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let deadline = Date().addingTimeInterval(lifetime)
        Thread.detachNewThread { [self] in self.acceptLoop(until: deadline) }
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    var received: [Request] { lock.withLock { requests } }

    func stop() {
        lock.withLock { stopped = true }
    }

    private func acceptLoop(until deadline: Date) {
        defer { close(socketFD) }
        while Date() < deadline {
            if lock.withLock({ stopped || requests.count >= maxRequests }) { return }
            var p = pollfd(fd: socketFD, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 100) > 0 else { continue }
            let client = accept(socketFD, nil, nil)
            guard client >= 0 else { continue }
            Thread.detachNewThread { [self] in self.serve(client) }
        }
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let (path, body) = readRequest(client) else { return }
        let request = lock.withLock { () -> Request in
            let r = Request(index: requests.count, path: path, body: body)
            requests.append(r)
            return r
        }
        switch respond(request) {
        case .reply(let status, let body, let headers):
            send(client, status: status, body: Array(body.utf8), headers: headers)
        case .slow(let seconds, let body):
            Thread.sleep(forTimeInterval: seconds)
            send(client, status: 200, body: Array(body.utf8), headers: [:])
        case .drop:
            return
        case .huge(let bytes):
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(bytes)\r\nConnection: close\r\n\r\n"
            write(client, Array(head.utf8))
            let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 65536)
            var sent = 0
            while sent < bytes {
                let n = min(chunk.count, bytes - sent)
                guard write(client, Array(chunk[0..<n])) else { return }
                sent += n
            }
        }
    }

    private func readRequest(_ client: Int32) -> (String, String)? {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var headerEnd: Int? = nil
        var contentLength = 0
        while true {
            let n = recv(client, &buffer, buffer.count, 0)
            guard n > 0 else { return nil }
            data += buffer[0..<n]
            if headerEnd == nil, let r = find(data, Array("\r\n\r\n".utf8)) {
                headerEnd = r + 4
                let head = String(decoding: data[0..<r], as: UTF8.self)
                for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                    contentLength = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            if let h = headerEnd, data.count >= h + contentLength {
                let head = String(decoding: data[0..<h], as: UTF8.self)
                let path = head.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
                return (path, String(decoding: data[h..<(h + contentLength)], as: UTF8.self))
            }
            if data.count > 8 << 20 { return nil }
        }
    }

    private func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where Array(haystack[i..<(i + needle.count)]) == needle { return i }
        return nil
    }

    private func send(_ client: Int32, status: Int, body: [UInt8], headers: [String: String]) {
        var head = "HTTP/1.1 \(status) \(status == 200 ? "OK" : "Error")\r\nContent-Type: application/json\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        _ = write(client, Array(head.utf8) + body)
    }

    @discardableResult
    private func write(_ client: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }

    /// An OpenAI chat-completions reply carrying `content`.
    static func chatReply(_ content: String) -> String {
        let object: [String: Any] = ["id": "x", "object": "chat.completion",
                                     "choices": [["index": 0, "message": ["role": "assistant", "content": content]]]]
        return String(decoding: (try? JSONSerialization.data(withJSONObject: object)) ?? Data(), as: UTF8.self)
    }

    static func completionReply(_ text: String) -> String {
        let object: [String: Any] = ["choices": [["index": 0, "text": text]]]
        return String(decoding: (try? JSONSerialization.data(withJSONObject: object)) ?? Data(), as: UTF8.self)
    }
}
