import XCTest
@testable import Data

final class AugmentationTests: XCTestCase {
    /// The definition written out plainly: build the zero-padded image, crop, then mirror.
    private func reference(_ image: [UInt8], shape: ImageShape, padding p: Int, choice: Augmentation.Choice) -> [UInt8] {
        let (h, w) = (shape.height, shape.width)
        let ph = h + 2 * p, pw = w + 2 * p
        var padded = [UInt8](repeating: 0, count: shape.channels * ph * pw)
        for c in 0..<shape.channels {
            for y in 0..<h { for x in 0..<w { padded[(c * ph + y + p) * pw + x + p] = image[(c * h + y) * w + x] } }
        }
        var out = [UInt8](repeating: 0, count: shape.count)
        for c in 0..<shape.channels {
            for y in 0..<h {
                for x in 0..<w {
                    let cropped = padded[(c * ph + y + choice.offsetY) * pw + x + choice.offsetX]
                    let target = choice.flip ? w - 1 - x : x
                    out[(c * h + y) * w + target] = cropped
                }
            }
        }
        return out
    }

    func testCropAndFlipMatchReferenceForEveryChoice() {
        let shape = ImageShape(channels: 2, height: 4, width: 5)
        // Pixels 1...40 so a zero in the output can only come from padding.
        let image = (0..<shape.count).map { UInt8($0 + 1) }
        for padding in [0, 1, 2, 6] {
            for oy in 0...(2 * padding) {
                for ox in 0...(2 * padding) {
                    for flip in [false, true] {
                        let choice = Augmentation.Choice(offsetY: oy, offsetX: ox, flip: flip)
                        XCTAssertEqual(Augmentation.apply(image, shape: shape, padding: padding, choice: choice),
                                       reference(image, shape: shape, padding: padding, choice: choice),
                                       "padding \(padding) choice \(choice)")
                    }
                }
            }
        }
    }

    func testHandWorkedExample() {
        // Image 1 2 3 / 4 5 6 / 7 8 9 padded by 1 is 5x5 with a zero border. Cropping 3x3 at
        // row 0, column 2 gives 0 0 0 / 2 3 0 / 5 6 0; mirrored, 0 0 0 / 0 3 2 / 0 6 5.
        let shape = ImageShape(channels: 1, height: 3, width: 3)
        let image: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        XCTAssertEqual(Augmentation.apply(image, shape: shape, padding: 1, choice: .init(offsetY: 0, offsetX: 2, flip: false)),
                       [0, 0, 0, 2, 3, 0, 5, 6, 0])
        XCTAssertEqual(Augmentation.apply(image, shape: shape, padding: 1, choice: .init(offsetY: 0, offsetX: 2, flip: true)),
                       [0, 0, 0, 0, 3, 2, 0, 6, 5])
        XCTAssertEqual(Augmentation.apply(image, shape: shape, padding: 1, choice: .init(offsetY: 1, offsetX: 1, flip: false)), image)
        XCTAssertEqual(Augmentation.apply(image, shape: shape, padding: 0, choice: .init(offsetY: 0, offsetX: 0, flip: true)),
                       [3, 2, 1, 6, 5, 4, 9, 8, 7])
    }

    func testChoicesCoverTheRangeAndFlipHalfTheTime() {
        let augmentation = Augmentation(cropPadding: 2, horizontalFlip: true)
        var generator = SeededGenerator(seed: 1)
        var offsets = Set<Int>()
        var flips = 0
        for _ in 0..<4000 {
            let choice = augmentation.choose(using: &generator)
            XCTAssert((0...4).contains(choice.offsetY) && (0...4).contains(choice.offsetX))
            offsets.insert(choice.offsetY * 5 + choice.offsetX)
            if choice.flip { flips += 1 }
        }
        XCTAssertEqual(offsets.count, 25)
        XCTAssert((1800...2200).contains(flips), "\(flips) flips in 4000")
        // Disabled augmentation is the identity choice and draws nothing.
        var untouched = SeededGenerator(seed: 1)
        XCTAssertEqual(Augmentation.none.choose(using: &untouched), .init(offsetY: 0, offsetX: 0, flip: false))
        var fresh = SeededGenerator(seed: 1)
        XCTAssertEqual(untouched.next(), fresh.next())
        XCTAssertTrue(Augmentation.none.isIdentity)
    }
}
