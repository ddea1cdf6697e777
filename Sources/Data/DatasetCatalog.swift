// Turns a data-set spec from the command line into loaded train and test sets.
import Foundation

public enum DatasetCatalog {
    /// Loads `spec`: `fashion-mnist`, `fashion-mnist:DIR`, `mnist`, `mnist:DIR`, `cifar10:DIR`,
    /// `cifar100:DIR`, `synthetic` or `synthetic:CxHxW:CLASSES:TRAIN:TEST`.
    /// `seed` only matters for synthetic data; files load the same whatever the seed.
    public static func load(_ spec: String, seed: UInt64) throws(DataError) -> DatasetPair {
        let kind: String
        let argument: String?
        if let colon = spec.firstIndex(of: ":") {
            kind = String(spec[..<colon])
            argument = String(spec[spec.index(after: colon)...])
        } else {
            kind = spec
            argument = nil
        }
        if let argument, argument.isEmpty {
            throw .unknownDatasetSpec(spec: spec, reason: "nothing after ':'")
        }
        switch kind {
        case "fashion-mnist", "mnist":
            let directory: String
            if let argument { directory = argument } else { directory = try findIDXDirectory(kind) }
            return try loadIDXPair(directory: directory, name: kind)
        case "cifar10", "cifar100":
            guard let directory = argument else {
                throw .unknownDatasetSpec(spec: spec, reason: "\(kind) needs a folder: \(kind):DIR")
            }
            return kind == "cifar10" ? try CIFARReader.loadCIFAR10(directory: directory)
                                     : try CIFARReader.loadCIFAR100(directory: directory)
        case "synthetic":
            let settings = try SyntheticSpec(parsing: argument, spec: spec)
            return synthetic(shape: settings.shape, classes: settings.classes, trainCount: settings.train,
                             testCount: settings.test, seed: seed)
        default:
            throw .unknownDatasetSpec(spec: spec, reason: "unknown data set '\(kind)'")
        }
    }

    /// The file stems of an MNIST-style folder (each may also carry a `.gz` suffix).
    static let idxFiles = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                           "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]

    /// Folders searched, in order, for `fashion-mnist` or `mnist` without an explicit folder.
    public static func searchPath(for name: String) -> [String] {
        var folders: [String] = []
        let environment = ProcessInfo.processInfo.environment
        if let root = environment["LLMATIC_DATA_DIR"], !root.isEmpty {
            folders.append(FileBytes.join(root, name))
        }
        folders.append("/usr/share/datasets/\(name)")
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        folders.append(FileBytes.join(home, ".cache/llmatic/\(name)"))
        return folders
    }

    /// The first folder on the search path that holds all four files.
    static func findIDXDirectory(_ name: String) throws(DataError) -> String {
        let folders = searchPath(for: name)
        for folder in folders where idxFiles.allSatisfy({ FileBytes.locate($0, in: folder) != nil }) {
            return folder
        }
        throw .datasetNotFound(spec: name, searched: folders, hint: notFoundHint(name))
    }

    static func notFoundHint(_ name: String) -> String {
        let files = "Put \(idxFiles.joined(separator: ", ")) (each may be .gz) in one of them, or pass \(name):DIR."
        return name == "fashion-mnist" ? "Install it with `apt-get install dataset-fashion-mnist`. " + files : files
    }

    /// Loads an MNIST-style folder and checks that the four files agree with each other.
    static func loadIDXPair(directory: String, name: String) throws(DataError) -> DatasetPair {
        var paths: [String] = []
        for stem in idxFiles {
            guard let path = FileBytes.locate(stem, in: directory) else {
                throw .fileMissing(path: FileBytes.join(directory, stem) + "(.gz)")
            }
            paths.append(path)
        }
        let train = try loadIDX(imagesPath: paths[0], labelsPath: paths[1], name: name)
        let test = try loadIDX(imagesPath: paths[2], labelsPath: paths[3], name: name)
        if test.shape.height != train.shape.height {
            throw .dimensionMismatch(path: paths[2], otherPath: paths[0], what: "image height",
                                     value: test.shape.height, otherValue: train.shape.height)
        }
        if test.shape.width != train.shape.width {
            throw .dimensionMismatch(path: paths[2], otherPath: paths[0], what: "image width",
                                     value: test.shape.width, otherValue: train.shape.width)
        }
        return DatasetPair(train: train, test: test)
    }

    /// One image file plus its label file; MNIST and Fashion-MNIST both have 10 classes.
    static func loadIDX(imagesPath: String, labelsPath: String, name: String, classes: Int = 10) throws(DataError) -> Dataset {
        let images = try IDXReader.readImages(path: imagesPath)
        let labels = try IDXReader.readLabels(path: labelsPath)
        guard images.count == labels.count else {
            throw .dimensionMismatch(path: labelsPath, otherPath: imagesPath, what: "number of items",
                                     value: labels.count, otherValue: images.count)
        }
        if let bad = labels.firstIndex(where: { Int($0) >= classes }) {
            throw .labelOutOfRange(path: labelsPath, index: bad, label: Int(labels[bad]), classes: classes)
        }
        return Dataset(name: name, shape: ImageShape(channels: 1, height: images.height, width: images.width),
                       classes: classes, images: images.pixels, labels: labels)
    }
}

/// The parsed tail of `synthetic:CxHxW:CLASSES:TRAIN:TEST`.
struct SyntheticSpec {
    var shape = ImageShape(channels: 1, height: 28, width: 28)
    var classes = 10
    var train = 2048
    var test = 512

    init(parsing argument: String?, spec: String) throws(DataError) {
        guard let argument else { return }
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 4 else {
            throw .unknownDatasetSpec(spec: spec, reason: "synthetic takes CxHxW:CLASSES:TRAIN:TEST")
        }
        let dims = parts[0].split(separator: "x", omittingEmptySubsequences: false).compactMap { Int($0) }
        guard dims.count == 3, dims.allSatisfy({ $0 > 0 }) else {
            throw .unknownDatasetSpec(spec: spec, reason: "image shape '\(parts[0])' is not CxHxW with positive sizes")
        }
        guard let classes = Int(parts[1]), (2...256).contains(classes) else {
            throw .unknownDatasetSpec(spec: spec, reason: "classes '\(parts[1])' must be in 2...256 (labels are bytes)")
        }
        guard let train = Int(parts[2]), let test = Int(parts[3]), train > 0, test > 0 else {
            throw .unknownDatasetSpec(spec: spec, reason: "TRAIN and TEST must be positive counts")
        }
        shape = ImageShape(channels: dims[0], height: dims[1], width: dims[2])
        self.classes = classes
        self.train = train
        self.test = test
        guard dims.allSatisfy({ $0 <= Self.maxSide }) else {
            throw .unknownDatasetSpec(spec: spec, reason: "image shape '\(parts[0])' has a size above \(Self.maxSide)")
        }
        if let refusal = MemoryBudget.refusal(memoryNeeded, for: "the synthetic data set (\(train) + \(test) images of \(shape))") {
            throw .tooLarge(source: spec, reason: refusal)
        }
    }

    /// Largest channel count, height or width: keeps the padded pattern sizes far from overflow.
    static let maxSide = 1 << 24

    /// Bytes the generator allocates: the images and labels of both halves, the per-class float patterns over the
    /// padded image and the double-precision fields they are built from; nil when the count overflows.
    var memoryNeeded: Int? {
        let padded = [shape.height + 2 * SyntheticPrototypes.maxShift, shape.width + 2 * SyntheticPrototypes.maxShift]
        return MemoryBudget.bytes([[train, shape.channels, shape.height, shape.width], [train],
                                   [test, shape.channels, shape.height, shape.width], [test],
                                   [classes, shape.channels, 4] + padded, [shape.channels + 3, 8] + padded])
    }
}
