import XCTest
@testable import Search

final class CodeExtractionTests: XCTestCase {
    let net = "import torch.nn as nn\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(784, 10)\n\n    def forward(self, x):\n        return self.fc(x.view(x.size(0), -1))\n"

    func testPythonFence() {
        let reply = "Here is the improved network:\n\n```python\n\(net)```\n\nIt adds nothing."
        XCTAssertEqual(CodeExtraction.extract(from: reply), net)
    }

    func testBareFenceAndCRLF() {
        let reply = "Sure.\r\n```\r\n" + net.replacingOccurrences(of: "\n", with: "\r\n") + "```\r\n"
        XCTAssertEqual(CodeExtraction.extract(from: reply), net)
    }

    func testPrefersTheLongestBlockWithAClassAndSkipsOtherLanguages() {
        let reply = "```bash\npip install torch\n```\nA fragment:\n```python\nclass A: pass\n```\nFull code:\n```py\n\(net)```"
        XCTAssertEqual(CodeExtraction.extract(from: reply), net)
    }

    func testUnterminatedFenceRunsToTheEnd() {
        XCTAssertEqual(CodeExtraction.extract(from: "```python\n" + net), net)
    }

    func testBareCodeStopsAtProse() {
        let reply = "The network:\n" + net + "\nThis network flattens the input and applies one layer.\n"
        XCTAssertEqual(CodeExtraction.extract(from: reply), net)
    }

    func testBareCodeFromClass() {
        let body = "class Net(nn.Module):\n    pass\n"
        XCTAssertEqual(CodeExtraction.extract(from: body), body)
    }

    func testFenceClosedOnTheLastCodeLine() {
        let reply = "```python\n" + net.dropLast() + "```\nThat is all."
        XCTAssertEqual(CodeExtraction.extract(from: reply), net)
    }

    func testNoCode() {
        XCTAssertNil(CodeExtraction.extract(from: "I cannot help with that."))
        XCTAssertNil(CodeExtraction.extract(from: ""))
        XCTAssertNil(CodeExtraction.extract(from: "```json\n{\"class \": 1}\n```"))
    }

    func testHugeReplyIsCut() {
        let reply = "```python\n" + String(repeating: "# x\n", count: 600_000) + "class Net: pass\n```"
        let code = CodeExtraction.extract(from: reply)
        XCTAssert((code?.count ?? 0) <= CodeExtraction.maxReplyCharacters)
    }
}
