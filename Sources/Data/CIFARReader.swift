// The "binary version" of CIFAR-10/100: fixed-size records of label byte(s) + 3072 pixel bytes,
// already planar (1024 R, 1024 G, 1024 B, each row-major), so records copy straight into NCHW.

enum CIFARReader {
    static let shape = ImageShape(channels: 3, height: 32, width: 32)

    /// CIFAR-10: `data_batch_1.bin`...`data_batch_5.bin` (any non-empty subset) and `test_batch.bin`.
    static func loadCIFAR10(directory: String) throws(DataError) -> DatasetPair {
        let batchNames = (1...5).map { "data_batch_\($0).bin" }
        let trainPaths = batchNames.map { FileBytes.join(directory, $0) }.filter(FileBytes.exists)
        guard !trainPaths.isEmpty else {
            throw .datasetNotFound(spec: "cifar10:\(directory)", searched: [directory],
                                   hint: "Expected the CIFAR-10 binary version: data_batch_1.bin ... data_batch_5.bin and test_batch.bin.")
        }
        var train = Dataset(name: "cifar10", shape: shape, classes: 10, images: [], labels: [])
        for path in trainPaths {
            let part = try readFile(path, labelBytes: 1, labelOffset: 0, classes: 10, name: "cifar10")
            train.images += part.images
            train.labels += part.labels
        }
        let test = try readFile(FileBytes.join(directory, "test_batch.bin"), labelBytes: 1, labelOffset: 0, classes: 10, name: "cifar10")
        return DatasetPair(train: train, test: test)
    }

    /// CIFAR-100: `train.bin` and `test.bin`, records of coarse label + fine label + pixels.
    /// We use the 100 fine labels.
    static func loadCIFAR100(directory: String) throws(DataError) -> DatasetPair {
        let train = try readFile(FileBytes.join(directory, "train.bin"), labelBytes: 2, labelOffset: 1, classes: 100, name: "cifar100")
        let test = try readFile(FileBytes.join(directory, "test.bin"), labelBytes: 2, labelOffset: 1, classes: 100, name: "cifar100")
        return DatasetPair(train: train, test: test)
    }

    /// Reads one file of whole records; a partial record means the file was cut short.
    static func readFile(_ path: String, labelBytes: Int, labelOffset: Int, classes: Int, name: String) throws(DataError) -> Dataset {
        let bytes = try FileBytes.readMaybeGzip(path)
        let imageSize = shape.count
        let recordSize = labelBytes + imageSize
        let records = bytes.count / recordSize
        if records == 0 || bytes.count % recordSize != 0 {
            throw .truncated(path: path, expected: (records + 1) * recordSize, found: bytes.count)
        }
        var images = [UInt8](repeating: 0, count: records * imageSize)
        var labels = [UInt8](repeating: 0, count: records)
        for record in 0..<records {
            let start = record * recordSize
            let label = bytes[start + labelOffset]
            guard Int(label) < classes else {
                throw .labelOutOfRange(path: path, index: record, label: Int(label), classes: classes)
            }
            labels[record] = label
            let pixels = start + labelBytes
            images.replaceSubrange((record * imageSize)..<((record + 1) * imageSize), with: bytes[pixels..<(pixels + imageSize)])
        }
        return Dataset(name: name, shape: shape, classes: classes, images: images, labels: labels)
    }
}
