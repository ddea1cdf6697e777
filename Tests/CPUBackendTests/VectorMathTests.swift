import XCTest
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NetIR
import Engine
import OpTable
@testable import CPUBackend

/// VectorMath (the CPU backend's vectorisable exp/expm1/log1p/tanh/sigmoid/normal CDF) against Double libm over a
/// dense sweep: every 4093rd Float bit pattern of each sign (all magnitudes from subnormals to the largest finite),
/// a fine linear grid where the functions bend, and the special values. The bounds are the ones VectorMath's
/// header states, in units of 2^-23 relative (Float's ulp of 1); a subnormal result must be within 2^-149 (one
/// subnormal step) plus the bound relative to itself of the true value.
final class VectorMathTests: XCTestCase {
    static let ulp = Double(Float.ulpOfOne)
    static let subnormalStep = Double(Float.leastNonzeroMagnitude)

    /// Every 4093rd bit pattern from 0 to +inf of both signs, and 200,001 points evenly spread over `grid`.
    static func sweep(grid: ClosedRange<Float>) -> [Float] {
        var xs: [Float] = []
        var bits: UInt32 = 0
        while bits < Float.infinity.bitPattern {
            let x = Float(bitPattern: bits)
            xs.append(x)
            xs.append(-x)
            bits += 4093
        }
        let n = 200_000
        for i in 0...n { xs.append(grid.lowerBound + (grid.upperBound - grid.lowerBound) * Float(i) / Float(n)) }
        return xs
    }

    /// The largest error of `f` against `reference` over `xs`, in ulps of the result (normal results); fails on a
    /// subnormal result off by more than one subnormal step plus `bound` ulps of itself, and on NaN/inf
    /// disagreements.
    func worstUlps(_ name: String, _ xs: [Float], _ f: (Float) -> Float, _ reference: (Double) -> Double, bound: Double,
                   file: StaticString = #filePath, line: UInt = #line) -> Double {
        var worst = 0.0, worstAt: Float = 0
        for x in xs {
            let y = f(x), exact = reference(Double(x)), rounded = Float(exact)
            if exact.isNaN {
                if !y.isNaN { XCTFail("\(name)(\(x)) = \(y), expected NaN", file: file, line: line); return .infinity }
                continue
            }
            if rounded.isInfinite {
                // At the overflow threshold either neighbour of the rounding boundary is right.
                if !(y == rounded || y == (rounded > 0 ? Float.greatestFiniteMagnitude : -Float.greatestFiniteMagnitude)) {
                    XCTFail("\(name)(\(x)) = \(y), expected \(rounded)", file: file, line: line); return .infinity
                }
                continue
            }
            let error = abs(Double(y) - exact)
            if abs(exact) < Double(Float.leastNormalMagnitude) {
                if !(error <= Self.subnormalStep + bound * Self.ulp * abs(exact)) {
                    XCTFail("\(name)(\(x)) = \(y), subnormal result off by \(error) from \(exact)", file: file, line: line)
                    return .infinity
                }
                continue
            }
            let ulps = error / abs(exact) / Self.ulp
            if !(ulps <= worst) { worst = ulps; worstAt = x }
        }
        print("VectorMath \(name): worst \(worst) ulp at x = \(worstAt)")
        return worst
    }

    func testExp() {
        XCTAssertLessThanOrEqual(worstUlps("exp", Self.sweep(grid: -110...95), VectorMath.exp, Glibc.exp, bound: 2), 2)
        XCTAssertEqual(VectorMath.exp(-.infinity), 0)
        XCTAssertEqual(VectorMath.exp(.infinity), .infinity)
        XCTAssertEqual(VectorMath.exp(0), 1)
    }

    func testExpm1() {
        XCTAssertLessThanOrEqual(worstUlps("expm1", Self.sweep(grid: -20...20), VectorMath.expm1, Glibc.expm1, bound: 2), 2)
        XCTAssertEqual(VectorMath.expm1(-.infinity), -1)
        XCTAssertEqual(VectorMath.expm1(.infinity), .infinity)
        XCTAssertEqual(VectorMath.expm1(Float.leastNonzeroMagnitude), Float.leastNonzeroMagnitude)
    }

    func testLog1p() {
        XCTAssertLessThanOrEqual(worstUlps("log1p", Self.sweep(grid: -1...4), VectorMath.log1p, Glibc.log1p, bound: 2), 2)
        XCTAssertEqual(VectorMath.log1p(-1), -.infinity)
        XCTAssertTrue(VectorMath.log1p(-1.5).isNaN)
        XCTAssertEqual(VectorMath.log1p(.infinity), .infinity)
        XCTAssertTrue(VectorMath.log1p(-.infinity).isNaN)
    }

    func testTanh() {
        XCTAssertLessThanOrEqual(worstUlps("tanh", Self.sweep(grid: -12...12), VectorMath.tanh, Glibc.tanh, bound: 3), 3)
        XCTAssertEqual(VectorMath.tanh(.infinity), 1)
        XCTAssertEqual(VectorMath.tanh(-.infinity), -1)
    }

    func testSigmoid() {
        XCTAssertLessThanOrEqual(worstUlps("sigmoid", Self.sweep(grid: -40...40), VectorMath.sigmoid, { 1 / (1 + Glibc.exp(-$0)) },
                                            bound: 3), 3)
        XCTAssertEqual(VectorMath.sigmoid(.infinity), 1)
        XCTAssertEqual(VectorMath.sigmoid(-.infinity), 0)
    }

    func testNormalCDF() {
        XCTAssertLessThanOrEqual(worstUlps("normalCDF", Self.sweep(grid: -16...10), VectorMath.normalCDF,
                                           { 0.5 * Glibc.erfc(-$0 * 0.70710678118654752440) }, bound: 4), 4)
        XCTAssertEqual(VectorMath.normalCDF(.infinity), 1)
        XCTAssertEqual(VectorMath.normalCDF(-.infinity), 0)
    }

    func testNaNPropagates() {
        for f in [VectorMath.exp, VectorMath.expm1, VectorMath.log1p, VectorMath.tanh, VectorMath.sigmoid, VectorMath.normalCDF] {
            XCTAssertTrue(f(.nan).isNaN)
            XCTAssertTrue(f(-.nan).isNaN)
        }
    }

    /// Every registry activation's Float forward (the loop the backend runs) against the Double definition, on the
    /// special values and a sweep: NaN where the definition gives NaN, the same infinities, and within the op
    /// table's bound elsewhere. (A kind's loop is one instance of `ActivationKernels.specialized`.)
    func testEveryActivationMatchesItsDefinitionIncludingSpecialValues() {
        let specials: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                                 .leastNormalMagnitude, -.leastNormalMagnitude, .greatestFiniteMagnitude,
                                 -.greatestFiniteMagnitude, 1e-30, -1e-30, 1e30, -1e30, 88.8, -88.8, 104, -104, 20.5, -20.5]
        let xs = specials + (0...40_000).map { Float($0 - 20_000) / 1000 }
        for act in Activation.examples {
            var ys = [Float](repeating: 0, count: xs.count)
            xs.withUnsafeBufferPointer { x in ys.withUnsafeMutableBufferPointer { y in
                ActivationKernels.forward(x.baseAddress!, y.baseAddress!, xs.count, act)
            } }
            let tolerance = Tolerances.of(.activation(act), on: .cpu).value
            for (x, y) in zip(xs, ys) {
                let exact = Float(act.forward(Double(x)))
                if exact.isNaN {
                    XCTAssertTrue(y.isNaN, "\(act)(\(x)) = \(y), definition NaN")
                } else if exact.isInfinite {
                    XCTAssertEqual(y, exact, "\(act)(\(x))")
                } else {
                    let error = Double(abs(y - exact)) / max(1, Double(abs(exact)))
                    XCTAssertLessThanOrEqual(error, tolerance, "\(act)(\(x)) = \(y), definition \(exact)")
                }
            }
        }
    }
}
