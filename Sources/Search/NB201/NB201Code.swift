/// NAS-Bench-201 cells as PyTorch source: the benchmark's whole network (Dong & Yang 2020, `TinyNetwork`), with
/// the cell written as its own `class Cell` whose forward sums one named operation per edge, node by node. This
/// is what a language model reads and edits; `NB201Recognizer` reads it (or an edited copy) back into a cell.
///
/// The network: 3x3 stem convolution to `channels` (16) + BatchNorm; three stages of `cellsPerStage` cells at
/// 16/32/64 channels with a residual reduction block between stages (ReLU-Conv3x3/s2-BN, ReLU-Conv3x3-BN, plus a
/// shortcut AvgPool2d(2) -> Conv1x1, summed); BatchNorm, ReLU, global average pool, Linear. Convolutions in cells
/// and blocks are ReLU-Conv(no bias)-BN; `avg_pool_3x3` is AvgPool2d(3, stride 1, padding 1,
/// count_include_pad=False), as in the benchmark.
///
/// Only edges that can change the output are written (`canonical`): an edge leaving a node that no path of
/// non-`none` edges reaches from the input acts on zeros, and an edge into a node that never reaches the
/// output is dead code. The benchmark trained such cells with those edges present (the first kind adds a
/// BatchNorm bias, nothing else), so their table entries differ slightly from their canonical cell's; the
/// code form, and so the search, uses the canonical cell. A cell whose output is cut off from its input
/// (`!isConnected`) computes zeros and has no code form.
public struct NB201Network: Sendable, Hashable {
    public static let defaultCellsPerStage = 5
    public static let defaultChannels = 16
    public static let stages = 3

    public var cell: NB201Cell
    public var cellsPerStage: Int
    public var inputChannels: Int
    public var classes: Int
    /// Channels of the first stage; doubled by each reduction block.
    public var channels: Int

    public init(cell: NB201Cell, cellsPerStage: Int = NB201Network.defaultCellsPerStage, inputChannels: Int = 3,
                classes: Int = 10, channels: Int = NB201Network.defaultChannels) {
        self.cell = cell; self.cellsPerStage = cellsPerStage; self.inputChannels = inputChannels; self.classes = classes
        self.channels = channels
    }

    /// The network as PyTorch source (class `Net`, defaults set to this network's sizes).
    public func source() throws(NB201Error) -> String {
        guard cell.isConnected else {
            throw NB201Error("cell \(cell) has no path from its input to its output (it outputs zeros), so it has no code form")
        }
        guard cellsPerStage >= 1, inputChannels >= 1, classes >= 1, channels >= 1 else {
            throw NB201Error("a NAS-Bench-201 network needs at least one cell per stage, one input channel, one class and one channel")
        }
        return """
        import torch
        import torch.nn as nn


        \(cellClass())


        class ReductionBlock(nn.Module):
            \"\"\"Between stages: halves the resolution and doubles the channels, with a residual shortcut.\"\"\"

            def __init__(self, in_channels, out_channels):
                super().__init__()
                self.conv_a = nn.Sequential(nn.ReLU(), nn.Conv2d(in_channels, out_channels, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(out_channels))
                self.conv_b = nn.Sequential(nn.ReLU(), nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels))
                self.shortcut = nn.Sequential(nn.AvgPool2d(2, stride=2), nn.Conv2d(in_channels, out_channels, 1, bias=False))

            def forward(self, x):
                return self.shortcut(x) + self.conv_b(self.conv_a(x))


        class Net(nn.Module):
            \"\"\"NAS-Bench-201's network: stem, three stages of cells joined by reduction blocks, classifier.\"\"\"

            def __init__(self, in_channels=\(inputChannels), num_classes=\(classes), channels=\(channels), cells_per_stage=\(cellsPerStage)):
                super().__init__()
                self.stem = nn.Sequential(nn.Conv2d(in_channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels))
                layers = []
                for stage in range(\(Self.stages)):
                    if stage > 0:
                        layers.append(ReductionBlock(channels, channels * 2))
                        channels = channels * 2
                    for _ in range(cells_per_stage):
                        layers.append(Cell(channels))
                self.cells = nn.Sequential(*layers)
                self.lastact = nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU())
                self.global_pooling = nn.AdaptiveAvgPool2d(1)
                self.classifier = nn.Linear(channels, num_classes)

            def forward(self, x):
                x = self.cells(self.stem(x))
                x = self.global_pooling(self.lastact(x))
                return self.classifier(torch.flatten(x, 1))

        """
    }

    /// `class Cell`: one module per written edge (`edge_2_1` carries node 1 into node 2), forward node by node.
    func cellClass() -> String {
        let written = cell.canonical
        var modules: [String] = []
        var lines: [String] = []
        for to in 1..<NB201Cell.nodes {
            var terms: [String] = []
            for from in 0..<to {
                let op = written.op(to: to, from: from)
                let input = from == 0 ? "x" : "node\(from)"
                let name = "edge_\(to)_\(from)"
                switch op {
                case .none: continue
                case .skipConnect: terms.append(input)
                case .conv1x1, .conv3x3, .avgPool3x3:
                    modules.append("self.\(name) = \(Self.module(op))")
                    terms.append("self.\(name)(\(input))")
                }
            }
            if !terms.isEmpty { lines.append("node\(to) = " + terms.joined(separator: " + ")) }
        }
        lines.append("return node\(NB201Cell.nodes - 1)")
        let body = modules.isEmpty ? "" : "\n" + modules.map { "        " + $0 }.joined(separator: "\n")
        return """
        class Cell(nn.Module):
            \"\"\"NAS-Bench-201 cell \(written): node j sums one operation on each earlier node (none edges left out).\"\"\"

            def __init__(self, channels):
                super().__init__()\(body)

            def forward(self, x):
        \(lines.map { "        " + $0 }.joined(separator: "\n"))
        """
    }

    /// The PyTorch module of an edge operation, on `channels` in and out.
    static func module(_ op: NB201Op) -> String {
        switch op {
        case .conv1x1: return "nn.Sequential(nn.ReLU(), nn.Conv2d(channels, channels, 1, bias=False), nn.BatchNorm2d(channels))"
        case .conv3x3: return "nn.Sequential(nn.ReLU(), nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels))"
        case .avgPool3x3: return "nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)"
        case .none, .skipConnect: return "nn.Identity()"
        }
    }
}

extension NB201Cell {
    /// Per node: some path of non-`none` edges leads from it to the output (node 3).
    public var reachesOutput: [Bool] {
        var reach = [Bool](repeating: false, count: Self.nodes)
        reach[Self.nodes - 1] = true
        for (e, edge) in Self.edges.enumerated().reversed() where ops[e] != .none && reach[edge.to] { reach[edge.from] = true }
        return reach
    }

    /// The cell with every edge that cannot change the output set to `none`: edges leaving a node the input does
    /// not reach, and edges into a node that does not reach the output. Equal to `self` for most cells.
    public var canonical: NB201Cell {
        let from = live, to = reachesOutput
        return NB201Cell(ops: Self.edges.indices.map { e in
            from[Self.edges[e].from] && to[Self.edges[e].to] ? ops[e] : .none
        })
    }
}
