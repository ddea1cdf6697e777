import NetIR

/// The text a language model sees. Completion models get LLMatic's own format (the parent's code followed by
/// the instruction as a docstring, to be continued); chat models get the same plus the constraints our
/// parser and trainer need, stated once in a system message. Small code models (0.5B-1.5B) follow what is
/// next to the code better than what is far from it, so the input shape and class count are also a comment
/// right above each network class, and the faults they make most often are named.
public struct LLMPrompt: Sendable {
    /// e.g. `1x28x28` and 10.
    public var inputDescription: String
    public var classes: Int
    /// How a chat mutation prompt states the task.
    public enum Style: String, Sendable, CaseIterable {
        /// LLMatic's one-line instruction under the parent's code.
        case paper
        /// The parent's layers with their shapes and one concrete edit (`PromptTask`); the default: measured with
        /// `llmatic llm-yield`, far fewer replies repeat their parent.
        case focused
    }
    public var style: Style

    /// Sampling temperature of a repair round: a fix, not a new idea.
    public static let repairTemperature = 0.2

    public init(inputDescription: String, classes: Int, style: Style = .focused) {
        self.inputDescription = inputDescription; self.classes = classes; self.style = style
    }

    var input: TensorShape? {
        let dims = inputDescription.split(separator: "x").compactMap { Int($0) }
        return dims.count == 3 ? TensorShape(dims) : nil
    }

    var inputShape: String { "[N, \(inputDescription.replacingX())]" }

    public var system: String {
        """
        You are an expert in deep learning who writes PyTorch image classifiers. Reply with one complete Python \
        file in a ```python block: `import torch`, `import torch.nn as nn`, `import torch.nn.functional as F` \
        and one class `Net(nn.Module)` with `__init__(self)` and `forward(self, x)`. The input is a batch of \
        images of shape \(inputShape); forward returns logits of shape [N, \(classes)]. Use \
        only Conv2d, Linear, BatchNorm1d/2d, ReLU, LeakyReLU, GELU, SiLU, Sigmoid, Tanh, ELU, MaxPool2d, \
        AvgPool2d, AdaptiveAvgPool2d, Dropout, Flatten, nn.Sequential, torch.cat, + for residuals, \
        torch.flatten and x.view. No recurrent layers (no RNN, LSTM, GRU), no attention, no data loading, no \
        training code.
        Check before you answer: every module used in forward is defined in __init__ (self.relu, self.flatten \
        too); a Conv2d's in_channels equals the channels reaching it; the first Linear's in_features equals the \
        flattened size (channels x height x width after the last pooling); tensors added for a residual have \
        equal shapes; the last layer outputs \(classes) features.
        """
    }

    /// The comment put right above a network's code.
    var shapeComment: String { "# Input x: \(inputShape) images. Output: [N, \(classes)] class logits.\n" }

    func annotated(_ code: String) -> String {
        shapeComment + terminated(code)
    }

    func instruction(_ operation: Variation) -> String {
        switch operation {
        case .mutation(let m): return m.prompt
        case .crossover: return Variation.crossoverPrompt
        case .seed: return MutationInstruction.improve.prompt
        }
    }

    /// The user message (chat) or the whole prompt (completions).
    public func body(for operation: Variation, parents: [String]) -> String {
        let code = parents.map(annotated).joined(separator: "\n")
        return code + "\"\"\"" + instruction(operation) + "\"\"\"\n"
    }

    public func chatMessages(for operation: Variation, parents: [String], example: String? = nil,
                             seed: UInt64 = 0) -> [(role: String, content: String)] {
        let fenced = parents.map { "```python\n" + annotated($0) + "```" }.joined(separator: "\n\n")
        var user = ""
        if let example {
            user += "An example of a valid network for this data:\n```python\n" + annotated(example) + "```\n\n"
        }
        user += fenced + "\n\n"
        if style == .focused, case .mutation(let m) = operation, parents.count == 1, let input,
           let layers = PromptTask(parent: parents[0], input: input), let task = layers.task(m, seed: seed) {
            user += "Task: " + task + "\nKeep the rest of the network. Returning the network unchanged is wrong. " +
                "Reply with the complete new file."
        } else {
            user += instruction(operation) + "."
        }
        return [("system", system), ("user", user)]
    }

    /// The repair round: the model's own code and the located error (`file:line:column: message`).
    /// The code goes back exactly as the model wrote it (no comment line added), so the error's line numbers match.
    public func repairMessages(source: String, error: String) -> [(role: String, content: String)] {
        [("system", system), ("user", "```python\n" + terminated(source) + "```\n\n" + repairRequest(error))]
    }

    public func repairBody(source: String, error: String) -> String {
        terminated(source) + "\"\"\"" + repairRequest(error) + "\"\"\"\n"
    }

    func repairRequest(_ error: String) -> String {
        "This network fails to load with the error:\n\(error)\nThe input x is \(inputShape) images and the output " +
            "must be [N, \(classes)] class logits. Fix the error and give the complete corrected file."
    }

    /// The second round for a reply that is its parent again (same structure, names and formatting aside).
    public func unchangedMessages(source: String, operation: Variation) -> [(role: String, content: String)] {
        [("system", system), ("user", "```python\n" + terminated(source) + "```\n\n" + unchangedRequest(operation))]
    }

    public func unchangedBody(source: String, operation: Variation) -> String {
        terminated(source) + "\"\"\"" + unchangedRequest(operation) + "\"\"\"\n"
    }

    func unchangedRequest(_ operation: Variation) -> String {
        "This network is the original network unchanged: the task was not done. Task: " + instruction(operation) +
            ". Make that change now (at least one layer must be added, removed or resized) and give the complete new file."
    }

    func terminated(_ code: String) -> String { code.hasSuffix("\n") ? code : code + "\n" }
}

extension String {
    /// `1x28x28` -> `1, 28, 28`.
    func replacingX() -> String { split(separator: "x").joined(separator: ", ") }
}
