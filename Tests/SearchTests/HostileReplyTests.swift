import XCTest
import NetIR
@testable import Search

/// No reply from a language model, however hostile, writes outside the run folder, runs anything, or breaks
/// the report's HTML.
final class HostileReplyTests: XCTestCase {
    static let marker = "/tmp/llmatic-pwned-\(getpid())"

    /// A valid, large network whose comments and docstrings carry markup. It trains once (its repeats are
    /// duplicates), and the fake evaluator makes it the best network so that it reaches the report.
    static let markupNet = """
    # filename: ../../../../tmp/evil.py
    import torch
    import torch.nn as nn

    class Net(nn.Module):
        \"\"\"</code></pre></details><script>alert('docstring')</script><img src=x onerror=alert(1)>\"\"\"
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 64, 3, padding=1)  # </pre><script>alert("comment")</script>
            self.fc1 = nn.Linear(64 * 28 * 28, 10)

        def forward(self, x):
            x = torch.relu(self.conv1(x))
            return self.fc1(x.view(x.size(0), -1))
    """

    static let replies: [String] = [
        "Saving to `../../../../tmp/evil.py`:\n```python\n\(markupNet)\n```",
        "```python\nimport os\nos.system('touch \(marker)')\nopen('\(marker)', 'w').write('x')\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        os.system('touch \(marker)')\n        self.fc = nn.Linear(784, 10)\n    def forward(self, x):\n        return self.fc(x.flatten(1))\n```",
        "```python\nclass Net(nn.Module):\n    def forward(self, x):  <script>alert('syntax')</script>\n```",
        "<html><body><script>alert('no code')</script></body></html>",
        "```python\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.rnn = nn.LSTM(28, 64)\n    def forward(self, x):\n        return self.rnn(x)\n```",
    ]

    func testHostileRepliesStayInsideTheRunAndTheReportStaysClean() async throws {
        let parent = NSTemporaryDirectory() + "llmatic-hostile-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let dir = RunDirectory(parent + "/run")
        let tmpBefore = Set((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? [])

        let replies = Self.replies
        let server = try TestHTTPServer(maxRequests: 200) { r in
            if r.index % 6 == 5 { return .huge(bytes: 3 << 20) }
            return .reply(status: 200, body: TestHTTPServer.chatReply(replies[r.index % 6 % replies.count]))
        }
        defer { server.stop() }
        let llm = LLMConfig(baseURL: server.baseURL, model: "hostile", timeoutSeconds: 5, retries: 0,
                            concurrency: 2, maxReplyBytes: 1 << 20)
        let mutator = LLMMutator(client: LLMClient(config: llm, environment: [:]),
                                 prompt: LLMPrompt(inputDescription: "1x28x28", classes: 10))
        var config = TestRun.config(evaluations: 25, batch: 4)
        config.mutator = MutatorSettings(kind: .llm, llm: llm)
        let fake = FakeEvaluator()
        let markupCode = try XCTUnwrap(CodeExtraction.extract(from: Self.replies[0]))
        fake.fixedAccuracy[try NetworkCodec.pytorch(input: TestRun.fashion).parse(markupCode, "m.py").structuralHash] = 0.99
        let summary = try await TestRun.engine(dir, config: config, evaluator: fake, mutator: mutator).run()
        XCTAssertEqual(summary.evaluations, 25)
        try Report.write(dir)

        // Only the run folder appeared under the parent, and nothing new in /tmp.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent), ["run"])
        let tmpAfter = Set((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? [])
        XCTAssertFalse(tmpAfter.contains("evil.py"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: Self.marker), "model code must never run")
        XCTAssert(tmpAfter.subtracting(tmpBefore).allSatisfy { !$0.contains("evil") && !$0.contains("pwned") })
        // Every file of the run is a known name in a known place.
        let known = Set(["config.json", "seed.py", "events.jsonl", "archives.json", "report.html", "candidates"])
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.root) { XCTAssert(known.contains(name), name) }
        let files = Set(RunDirectory.CandidateFile.allNames)
        for id in dir.candidateFolders() {
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.candidateFolder(id)) {
                XCTAssert(files.contains(name), "\(id)/\(name)")
            }
        }

        let records = TestRun.candidates(dir)
        let kinds = Set(records.compactMap { $0.failure?.kind })
        XCTAssert(kinds.contains("parse"), "\(kinds)")
        XCTAssert(kinds.contains("generation"), "\(kinds)")
        XCTAssert(records.contains { $0.succeeded && $0.operation != .seed }, "the markup network is valid and trains")

        let html = try XCTUnwrap(dir.read(dir.reportPath))
        let lower = html.lowercased()
        XCTAssertFalse(lower.contains("<script"), "no script element may reach the page")
        XCTAssertFalse(lower.contains("<img"))
        XCTAssertFalse(lower.contains("</details><script"))
        XCTAssert(html.contains("&lt;script&gt;alert("), "the markup shows as text")
        // The page's own structure is intact: as many closing as opening tags for the blocks we emit.
        for tag in ["details", "pre", "code", "table", "svg"] {
            XCTAssertEqual(html.components(separatedBy: "<\(tag)").count, html.components(separatedBy: "</\(tag)>").count, tag)
        }
        for fetch in ["src=\"", "href=\"", "<link", "url(", "@import"] { XCTAssertFalse(lower.contains(fetch), "nothing is fetched: \(fetch)") }
    }

    func testEscapeCoversEveryMarkupCharacter() {
        XCTAssertEqual(HTML.escape("<a href=\"x\" title='y'>&</a>"), "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;")
        XCTAssertEqual(HTML.escape("a\u{0}b\u{7}c\nd"), "a\u{FFFD}b\u{FFFD}c\nd")
    }
}
