import Foundation
import NetIR
import Search

/// What rank 0 and the workers say to each other. Each message is an `Envelope`: the header is this enum as
/// JSON, weights are the envelope's binary parts.
public enum ClusterMessage: Equatable, Sendable {
    /// Rank 0 -> worker: the run's configuration (from the run folder, which only rank 0 has).
    case hello(SearchConfig)
    /// Worker -> rank 0: ready, one entry per local device (one worker slot each).
    case ready(devices: [String])
    /// Worker -> rank 0: it cannot serve (no data, no device); rank 0 stops the job with this message.
    case unavailable(String)
    /// Rank 0 -> worker: train `graph` on local device `device`; `parents` weights files are the parts, in
    /// order; `keepWeights` asks for the trained weights back.
    case job(JobHeader)
    /// Worker -> rank 0: what training measured, or the typed failure; the trained weights are the part.
    case result(ResultHeader)
    /// Rank 0 -> worker: the search is over.
    case stop

    public struct JobHeader: Codable, Equatable, Sendable {
        public var candidate: Int
        public var device: Int
        public var graph: Graph
        public var keepWeights: Bool
        public init(candidate: Int, device: Int, graph: Graph, keepWeights: Bool) {
            self.candidate = candidate; self.device = device; self.graph = graph; self.keepWeights = keepWeights
        }
    }

    public struct ResultHeader: Codable, Equatable, Sendable {
        public var candidate: Int
        public var device: Int
        public var metrics: CandidateMetrics?
        public var failure: CandidateFailure?
        public init(candidate: Int, device: Int, metrics: CandidateMetrics?, failure: CandidateFailure?) {
            self.candidate = candidate; self.device = device; self.metrics = metrics; self.failure = failure
        }
    }
}

extension ClusterMessage: Codable {
    enum CodingKeys: String, CodingKey { case kind, config, devices, reason, job, result }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .kind) {
        case "hello": self = .hello(try c.decode(SearchConfig.self, forKey: .config))
        case "ready": self = .ready(devices: try c.decode([String].self, forKey: .devices))
        case "unavailable": self = .unavailable(try c.decode(String.self, forKey: .reason))
        case "job": self = .job(try c.decode(JobHeader.self, forKey: .job))
        case "result": self = .result(try c.decode(ResultHeader.self, forKey: .result))
        case "stop": self = .stop
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown message kind '\(other)'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .hello(let config): try c.encode("hello", forKey: .kind); try c.encode(config, forKey: .config)
        case .ready(let devices): try c.encode("ready", forKey: .kind); try c.encode(devices, forKey: .devices)
        case .unavailable(let reason): try c.encode("unavailable", forKey: .kind); try c.encode(reason, forKey: .reason)
        case .job(let job): try c.encode("job", forKey: .kind); try c.encode(job, forKey: .job)
        case .result(let result): try c.encode("result", forKey: .kind); try c.encode(result, forKey: .result)
        case .stop: try c.encode("stop", forKey: .kind)
        }
    }
}

/// A message with its binary parts, as it travels. Non-finite numbers (a diverged child's NaN train loss)
/// travel as the strings the event log uses.
public struct Letter: Equatable, Sendable {
    public var message: ClusterMessage
    public var parts: [Data]

    public init(_ message: ClusterMessage, parts: [Data] = []) { self.message = message; self.parts = parts }

    public func encoded() throws(ClusterError) -> Data {
        do {
            let encoder = RunJSON.encoder()
            return Envelope(header: try encoder.encode(message), parts: parts).encoded()
        } catch {
            throw .malformed("cannot encode \(message): \(error)")
        }
    }

    public init(decoding bytes: Data) throws(ClusterError) {
        let envelope = try Envelope(decoding: bytes)
        do {
            let decoder = RunJSON.decoder()
            message = try decoder.decode(ClusterMessage.self, from: envelope.header)
        } catch {
            throw .malformed("header is not a message: \(error)")
        }
        parts = envelope.parts
    }
}
