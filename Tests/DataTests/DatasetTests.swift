import XCTest
@testable import Data

final class DatasetTests: XCTestCase {
    /// `count` 2x2 single-channel images whose first pixel is their index (mod 256).
    private func indexed(_ count: Int, classes: Int = 3) -> Dataset {
        let shape = ImageShape(channels: 1, height: 2, width: 2)
        var images: [UInt8] = []
        for i in 0..<count { images += [UInt8(i % 256), UInt8(i / 256), 7, 9] }
        return Dataset(name: "indexed", shape: shape, classes: classes, images: images,
                       labels: (0..<count).map { UInt8($0 % classes) })
    }

    private func index(of image: Int, in dataset: Dataset) -> Int {
        Int(dataset.images[image * 4]) + 256 * Int(dataset.images[image * 4 + 1])
    }

    func testGeneratorKnownValuesAndRange() {
        // Reference values from an independent (Python) implementation of SplitMix64 seeding
        // followed by xoshiro256**, written from the published algorithms.
        var a = SeededGenerator(seed: 0)
        XCTAssertEqual((0..<4).map { _ in a.next() },
                       [0x99ec_5f36_cb75_f2b4, 0xbf6e_1f78_4956_452a, 0x1a5f_849d_4933_e6e0, 0x6aa5_94f1_262d_2d2c])
        var b = SeededGenerator(seed: 12345)
        XCTAssertEqual([b.next(), b.next()], [0xbe6a_3637_4160_d49b, 0x214a_aa06_37a6_88c6])
        var g = SeededGenerator(seed: 5)
        var seen = [Int](repeating: 0, count: 7)
        for _ in 0..<7000 {
            let v = g.nextInt(below: 7)
            XCTAssert((0..<7).contains(v))
            seen[v] += 1
        }
        XCTAssertTrue(seen.allSatisfy { $0 > 850 && $0 < 1150 }, "\(seen)")
        for _ in 0..<1000 { XCTAssert((0..<1).contains(g.nextDouble())) }
    }

    func testPermutation() {
        let p = seededPermutation(1000, seed: 3)
        XCTAssertEqual(p.sorted(), Array(0..<1000))
        XCTAssertEqual(p, seededPermutation(1000, seed: 3))
        XCTAssertNotEqual(p, seededPermutation(1000, seed: 4))
        XCTAssertNotEqual(p, Array(0..<1000))
        XCTAssertEqual(seededPermutation(0, seed: 1), [])
        XCTAssertEqual(seededPermutation(1, seed: 1), [0])
    }

    func testSubsetCopiesImagesAndLabelsInOrder() {
        let d = indexed(10)
        let s = d.subset([7, 2, 2, 9])
        XCTAssertEqual(s.count, 4)
        XCTAssertEqual((0..<4).map { index(of: $0, in: s) }, [7, 2, 2, 9])
        XCTAssertEqual(s.labels, [1, 2, 2, 0])
        XCTAssertEqual(s.shape, d.shape)
        XCTAssertEqual(s.classes, d.classes)
    }

    func testSplitDisjointCoveringDeterministic() {
        let d = indexed(1001)
        let (train, validation) = d.split(validationFraction: 0.2, seed: 17)
        XCTAssertEqual(validation.count, 200)
        XCTAssertEqual(train.count, 801)
        let trainIndices = (0..<train.count).map { index(of: $0, in: train) }
        let validationIndices = (0..<validation.count).map { index(of: $0, in: validation) }
        XCTAssertTrue(Set(trainIndices).isDisjoint(with: validationIndices))
        XCTAssertEqual(Set(trainIndices).union(validationIndices), Set(0..<1001))
        // Labels travel with their images.
        for i in 0..<train.count { XCTAssertEqual(Int(train.labels[i]), trainIndices[i] % 3) }
        // Same seed, same split; another seed, another split.
        let again = d.split(validationFraction: 0.2, seed: 17)
        XCTAssertEqual(again.validation.images, validation.images)
        XCTAssertEqual(again.train.images, train.images)
        XCTAssertNotEqual(d.split(validationFraction: 0.2, seed: 18).validation.images, validation.images)
        // Not simply the tail or the head.
        XCTAssertNotEqual(validationIndices, Array(801..<1001))
        XCTAssertNotEqual(validationIndices, Array(0..<200))
        XCTAssertEqual(d.split(validationFraction: 0, seed: 1).validation.count, 0)
    }

    func testNormalizationFitAgainstDirectComputation() {
        let shape = ImageShape(channels: 2, height: 3, width: 2)
        let pixels = randomBytes(5 * shape.count, seed: 21)
        let d = Dataset(name: "n", shape: shape, classes: 2, images: pixels, labels: [0, 1, 0, 1, 0])
        let fitted = Normalization.fit(d)
        for c in 0..<2 {
            var values: [Double] = []
            for i in 0..<5 { for k in 0..<6 { values.append(Double(pixels[i * 12 + c * 6 + k]) / 255) } }
            let mean = values.reduce(0, +) / Double(values.count)
            let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
            XCTAssertEqual(Double(fitted.mean[c]), mean, accuracy: 1e-6)
            XCTAssertEqual(Double(fitted.std[c]), std, accuracy: 1e-6)
        }
        // A constant channel gets std 1 instead of a division by zero.
        let flat = Dataset(name: "f", shape: ImageShape(channels: 1, height: 1, width: 2), classes: 1,
                           images: [5, 5, 5, 5], labels: [0, 0])
        XCTAssertEqual(Normalization.fit(flat).std, [1])
        XCTAssertEqual(Normalization.fit(flat).mean[0], 5 / 255, accuracy: 1e-7)
    }
}
