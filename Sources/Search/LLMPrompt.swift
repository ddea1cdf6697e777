/// The text a language model sees. Completion models get LLMatic's own format (the parent's code followed by
/// the instruction as a docstring, to be continued); chat models get the same plus the constraints our
/// parser and trainer need, stated once in a system message.
public struct LLMPrompt: Sendable {
    /// e.g. `1x28x28` and 10.
    public var inputDescription: String
    public var classes: Int

    public init(inputDescription: String, classes: Int) {
        self.inputDescription = inputDescription; self.classes = classes
    }

    public var system: String {
        """
        You are an expert in deep learning who writes PyTorch image classifiers. Reply with one complete Python \
        file in a ```python block: `import torch`, `import torch.nn as nn`, `import torch.nn.functional as F` \
        and one class `Net(nn.Module)` with `__init__(self)` and `forward(self, x)`. The input is a batch of \
        images of shape [N, \(inputDescription.replacingX())]; forward returns logits of shape [N, \(classes)]. Use \
        only Conv2d, Linear, BatchNorm1d/2d, ReLU, LeakyReLU, GELU, SiLU, Sigmoid, Tanh, ELU, MaxPool2d, \
        AvgPool2d, AdaptiveAvgPool2d, Dropout, Flatten, torch.cat, + for residuals, torch.flatten and x.view. \
        No recurrent layers, no data loading, no training code.
        """
    }

    /// The user message (chat) or the whole prompt (completions).
    public func body(for operation: Variation, parents: [String]) -> String {
        let instruction: String
        switch operation {
        case .mutation(let m): instruction = m.prompt
        case .crossover: instruction = Variation.crossoverPrompt
        case .seed: instruction = MutationInstruction.improve.prompt
        }
        let code = parents.map { $0.hasSuffix("\n") ? $0 : $0 + "\n" }.joined(separator: "\n")
        return code + "\"\"\"" + instruction + "\"\"\"\n"
    }

    public func chatMessages(for operation: Variation, parents: [String]) -> [(role: String, content: String)] {
        let fenced = parents.map { "```python\n" + ($0.hasSuffix("\n") ? $0 : $0 + "\n") + "```" }.joined(separator: "\n\n")
        let instruction: String
        switch operation {
        case .mutation(let m): instruction = m.prompt
        case .crossover: instruction = Variation.crossoverPrompt
        case .seed: instruction = MutationInstruction.improve.prompt
        }
        return [("system", system), ("user", fenced + "\n\n" + instruction + ".")]
    }
}

extension String {
    /// `1x28x28` -> `1, 28, 28`.
    func replacingX() -> String { split(separator: "x").joined(separator: ", ") }
}
