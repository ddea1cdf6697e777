import OpTable
import XCTest
import Foundation
import NetIR
import Engine
@testable import ReferenceBackend

/// The update rules of docs/ops.md: first on numbers worked out by hand, then a few steps of a tiny net, each
/// step recomputed in Double from the values the executor held before it.
final class OptimizerTests: XCTestCase {
    func update(_ c: OptimizerConfig, lr: Float, step: Int = 0, p: [Float], g: [Float], state: [Float]) -> ([Float], [Float]) {
        let r = Reference.optimizerUpdate(c, learningRate: lr, step: step, parameters: p, gradients: g, state: state)
        return (r.parameters, r.state)
    }

    /// p = [1, -2], g = [0.5, 0.25], v = [0.2, -0.4], lr 0.5, wd 0.1: g' = [0.6, 0.05], v' = [0.78, -0.31].
    func testSGDByHand() {
        let plain = update(.sgd(momentum: 0, nesterov: false, weightDecay: 0.1), lr: 0.5, p: [1, -2], g: [0.5, 0.25], state: [])
        assertClose(plain.0, [0.7, -2.025], ReferenceChecks.handComputed, "no momentum")
        let heavy = update(.sgd(momentum: 0.9, nesterov: false, weightDecay: 0.1), lr: 0.5, p: [1, -2], g: [0.5, 0.25], state: [0.2, -0.4])
        assertClose(heavy.0, [0.61, -1.845], ReferenceChecks.handComputed, "momentum parameters")
        assertClose(heavy.1, [0.78, -0.31], ReferenceChecks.handComputed, "momentum buffer")
        // Nesterov steps along g' + μ·v' = [1.302, -0.229].
        let nesterov = update(.sgd(momentum: 0.9, nesterov: true, weightDecay: 0.1), lr: 0.5, p: [1, -2], g: [0.5, 0.25], state: [0.2, -0.4])
        assertClose(nesterov.0, [0.349, -1.8855], ReferenceChecks.handComputed, "nesterov parameters")
        assertClose(nesterov.1, [0.78, -0.31], ReferenceChecks.handComputed, "nesterov buffer")
    }

    /// With bias correction the first Adam step is lr·sign(g) whatever the size of g.
    func testAdamByHand() {
        let adam = OptimizerConfig.adam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false)
        // The betas are Floats: 0.999 is stored as 0.99900001287, so 1 - β2 is 1.3e-5 (relative) below 0.001,
        // and the state follows the stored values: m = (1-β1)·g, v = (1-β2)·g² after one step.
        let c1 = 1 - Double(Float(0.9)), c2 = 1 - Double(Float(0.999)), b1 = 1 - c1, b2 = 1 - c2
        let first = update(adam, lr: 0.01, step: 0, p: [1, -2], g: [0.5, -0.25], state: [0, 0, 0, 0])
        assertClose(first.0, [0.99, -1.99], ReferenceChecks.handComputed, "step 1")
        assertClose(first.1, [0.5 * c1, -0.25 * c1, 0.25 * c2, 0.0625 * c2], ReferenceChecks.handComputed, "m and v after step 1")
        // Step 2 (t = 2) with a different gradient: m̂ = 0.055/0.19, v̂ = 0.00025975/0.001999, ...
        let second = update(adam, lr: 0.01, step: 1, p: first.0, g: [0.1, 0.3], state: first.1)
        assertClose(second.0, [0.98196959, -1.99142945], ReferenceChecks.handComputed, "step 2")
        assertClose(second.1, [b1 * 0.5 * c1 + 0.1 * c1, -b1 * 0.25 * c1 + 0.3 * c1, b2 * 0.25 * c2 + 0.01 * c2,
                               b2 * 0.0625 * c2 + 0.09 * c2], ReferenceChecks.handComputed, "m and v after step 2")
        // Coupled weight decay: g' = g + 0.5·p = [1, -1.25]; decoupled: p·(1 - 0.1·0.5) first, g unchanged.
        let coupled = update(.adam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.5, decoupled: false), lr: 0.1,
                             p: [1, -2], g: [0.5, -0.25], state: [0, 0, 0, 0])
        assertClose(coupled.0, [0.9, -1.9], ReferenceChecks.handComputed, "adam weight decay")
        assertClose(coupled.1, [c1, -1.25 * c1, c2, 1.5625 * c2], ReferenceChecks.handComputed, "adam weight decay state")
        let decoupled = update(.adam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.5, decoupled: true), lr: 0.1,
                               p: [1, -2], g: [0.5, -0.25], state: [0, 0, 0, 0])
        assertClose(decoupled.0, [0.85, -1.8], ReferenceChecks.handComputed, "adamw")
        assertClose(decoupled.1, [0.5 * c1, -0.25 * c1, 0.25 * c2, 0.0625 * c2], ReferenceChecks.handComputed, "adamw state")
    }

    /// The documented rule for one element, in Double, from the values before the step.
    func expected(_ c: OptimizerConfig, lr: Double, t: Int, p: Double, g: Double, s: [Double]) -> (Double, [Double]) {
        switch c {
        case .sgd(let mu, let nesterov, let wd):
            let g2 = g + Double(wd) * p
            guard mu != 0 else { return (p - lr * g2, []) }
            let v = Double(mu) * s[0] + g2
            return (p - lr * (nesterov ? g2 + Double(mu) * v : v), [v])
        case .adam(let b1, let b2, let eps, let wd, let decoupled):
            var p = p, g = g
            if decoupled { p *= 1 - lr * Double(wd) } else { g += Double(wd) * p }
            let m = Double(b1) * s[0] + (1 - Double(b1)) * g
            let v = Double(b2) * s[1] + (1 - Double(b2)) * g * g
            let mHat = m / (1 - pow(Double(b1), Double(t))), vHat = v / (1 - pow(Double(b2), Double(t)))
            return (p - lr * mHat / (vHat.squareRoot() + Double(eps)), [m, v])
        }
    }

    func testTrainStepsApplyTheDocumentedRules() throws {
        var b = NetworkBuilder(input: TensorShape(features: 3))
        let h = try b.activation("act", try b.linear("fc1", b.input, out: 4), .tanh)
        let out = try b.linear("fc2", h, out: 2)
        let g = try b.build(output: out)
        let configs: [OptimizerConfig] = [
            .sgd(momentum: 0, nesterov: false, weightDecay: 0.05),
            .sgd(momentum: 0.9, nesterov: false, weightDecay: 0.01),
            .sgd(momentum: 0.8, nesterov: true, weightDecay: 0),
            .adam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: false),
            .adam(beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, decoupled: true),
        ]
        for config in configs {
            let harness = try Harness(g, options: PlanOptions(batchSize: 2, optimizer: config))
            let e = harness.executor
            let count = harness.plan.parameterCount
            XCTAssertEqual(harness.plan.optimizerCount, count * config.stateCopies)
            for step in 0..<3 {
                XCTAssertEqual(e.step, step)
                let p0 = e.read(.parameters), s0 = e.read(.optimizer)
                e.trainStep(learningRate: 0.1)
                let grad = e.read(.gradients), p1 = e.read(.parameters), s1 = e.read(.optimizer)
                XCTAssertTrue(grad.contains { $0 != 0 })
                for k in 0..<count {
                    let before = (0..<config.stateCopies).map { Double(s0[$0 * count + k]) }
                    let (p, s) = expected(config, lr: Double(Float(0.1)), t: step + 1, p: Double(p0[k]), g: Double(grad[k]), s: before)
                    XCTAssertTrue(close(Double(p1[k]), p, relative: ReferenceChecks.recomputed),
                                  "\(config) step \(step) parameter \(k): \(p1[k]) vs \(p)")
                    for (c, value) in s.enumerated() {
                        XCTAssertTrue(close(Double(s1[c * count + k]), value, relative: ReferenceChecks.recomputed),
                                      "\(config) step \(step) state \(c) of \(k): \(s1[c * count + k]) vs \(value)")
                    }
                }
            }
            XCTAssertEqual(e.step, 3)
            e.evalStep()
            XCTAssertEqual(e.step, 3, "evalStep must not advance the step")
        }
    }

    /// Learning rate 0 leaves the parameters exactly where they are (the gradient checks rely on it).
    func testLearningRateZeroMovesNothing() throws {
        let g = try classifier(TensorShape(features: 4)) { b, x in try b.relu("relu", try b.linear("fc", x, out: 3)) }
        for config in [OptimizerConfig.defaultSGD, .defaultAdam, .adam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, decoupled: true)] {
            let h = try Harness(g, options: PlanOptions(batchSize: 2, optimizer: config))
            h.executor.trainStep(learningRate: 0)
            h.executor.trainStep(learningRate: 0)
            XCTAssertEqual(h.executor.read(.parameters), h.baseParameters, "\(config)")
        }
    }
}
