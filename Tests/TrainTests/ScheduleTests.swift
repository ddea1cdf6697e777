import XCTest
@testable import Train

final class ScheduleTests: XCTestCase {
    func testConstantIsPeakAfterWarmup() {
        let s = LearningRateSchedule(.constant, warmupSteps: 4)
        XCTAssertEqual(s.factor(step: 0, totalSteps: 100), 0.2, accuracy: 1e-12)
        XCTAssertEqual(s.factor(step: 3, totalSteps: 100), 0.8, accuracy: 1e-12)
        XCTAssertEqual(s.factor(step: 4, totalSteps: 100), 1)
        XCTAssertEqual(s.factor(step: 99, totalSteps: 100), 1)
        XCTAssertEqual(LearningRateSchedule.constant.rate(step: 7, totalSteps: 10, peak: 0.1), 0.1)
    }

    func testCosineFallsFromPeakToZero() {
        let s = LearningRateSchedule.cosine
        XCTAssertEqual(s.factor(step: 0, totalSteps: 10), 1)
        XCTAssertEqual(s.factor(step: 5, totalSteps: 10), 0.5, accuracy: 1e-12)
        // The last step keeps a small positive rate: 0.5 (1 + cos(0.9 pi)).
        XCTAssertEqual(s.factor(step: 9, totalSteps: 10), 0.5 * (1 + cos(0.9 * Double.pi)), accuracy: 1e-12)
        var previous = 2.0
        for step in 0..<10 {
            let f = s.factor(step: step, totalSteps: 10)
            XCTAssertLessThan(f, previous)
            XCTAssertGreaterThan(f, 0)
            previous = f
        }
    }

    func testCosineWarmupByFraction() {
        let s = LearningRateSchedule(.cosine, warmupFraction: 0.1)
        XCTAssertEqual(s.warmupLength(totalSteps: 100), 10)
        XCTAssertEqual(s.factor(step: 0, totalSteps: 100), 1.0 / 11, accuracy: 1e-12)
        XCTAssertEqual(s.factor(step: 9, totalSteps: 100), 10.0 / 11, accuracy: 1e-12)
        XCTAssertEqual(s.factor(step: 10, totalSteps: 100), 1)
        XCTAssertEqual(s.factor(step: 55, totalSteps: 100), 0.5, accuracy: 1e-12)
    }

    func testOneCycleRisesFromPeakOver25ThenFalls() {
        let s = LearningRateSchedule.oneCycle
        XCTAssertEqual(s.warmupLength(totalSteps: 100), 30)
        XCTAssertEqual(s.factor(step: 0, totalSteps: 100), 0.04 + 0.96 / 31, accuracy: 1e-12)
        XCTAssertEqual(s.factor(step: 29, totalSteps: 100), 0.04 + 0.96 * 30 / 31, accuracy: 1e-12)
        XCTAssertEqual(s.factor(step: 30, totalSteps: 100), 1)
        XCTAssertEqual(s.factor(step: 65, totalSteps: 100), 0.5, accuracy: 1e-12)
        XCTAssertLessThan(s.factor(step: 99, totalSteps: 100), 0.001)
    }

    func testWarmupNeverTakesTheWholeRun() {
        let s = LearningRateSchedule(.cosine, warmupSteps: 50)
        XCTAssertEqual(s.warmupLength(totalSteps: 10), 9)
        XCTAssertEqual(s.factor(step: 9, totalSteps: 10), 1)
        XCTAssertEqual(s.factor(step: 0, totalSteps: 1), 1)
        // Out-of-range steps clamp instead of extrapolating.
        XCTAssertEqual(LearningRateSchedule.cosine.factor(step: -3, totalSteps: 10), 1)
        XCTAssertGreaterThan(LearningRateSchedule.cosine.factor(step: 50, totalSteps: 10), 0)
    }

    func testFactorsStayInUnitInterval() {
        for shape in LearningRateSchedule.Shape.allCases {
            for warmup in [0, 3, 40] {
                let s = LearningRateSchedule(shape, warmupSteps: warmup)
                for total in [1, 2, 7, 100] {
                    for step in 0..<total {
                        let f = s.factor(step: step, totalSteps: total)
                        XCTAssertTrue(f > 0 && f <= 1, "\(s) step \(step)/\(total): \(f)")
                    }
                }
            }
        }
    }
}
