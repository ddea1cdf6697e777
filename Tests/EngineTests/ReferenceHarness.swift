import OpTable
import XCTest
import NetIR
import Engine
import ReferenceBackend

/// A graph compiled for one configuration and loaded on the reference, with seeded random parameters, inputs
/// and labels. The loss of a parameter vector is a train-mode forward at a fixed step (so dropout masks repeat).
final class Harness {
    let plan: Plan
    let executor: any PlanExecutor
    let images: [Float]
    let labels: [Int32]
    let baseParameters: [Float]
    /// Step at which every loss evaluation runs (dropout draws from it).
    var fixedStep = 0

    convenience init(_ graph: Graph, options: PlanOptions, seed: UInt64 = 7, labels given: [Int32]? = nil) throws {
        try self.init(plan: try PlanCompiler.compile(graph, options: options), seed: seed, labels: given)
    }

    init(plan: Plan, seed: UInt64 = 7, labels given: [Int32]? = nil) throws {
        self.plan = plan
        executor = try ReferenceBackend().load(plan)
        executor.seed = 1234
        var rng = SplitMix64(seed: seed)
        images = (0..<plan.inputCount).map { _ in rng.uniform(1) }
        labels = given ?? (0..<plan.labelCount).map { _ in Int32(Int(rng.next() % UInt64(plan.classes))) }
        baseParameters = randomParameters(plan, seed: seed &+ 1)
        executor.write(.parameters, baseParameters)
        executor.write(.buffers, plan.initialBuffers())
        images.withUnsafeBufferPointer { im in labels.withUnsafeBufferPointer { executor.setBatch(images: im, labels: $0) } }
    }

    /// Mean train-mode loss at `parameters`; learning rate 0 leaves the parameters where they are.
    func loss(_ parameters: [Float]) -> Double {
        executor.write(.parameters, parameters)
        executor.step = fixedStep
        executor.trainStep(learningRate: 0)
        return executor.takeMetrics().meanLoss
    }

    /// The analytic gradient at `parameters` (the gradient region after one train step at learning rate 0).
    func gradient(_ parameters: [Float]) -> [Float] {
        _ = loss(parameters)
        return executor.read(.gradients)
    }
}

/// PyTorch's default initialisation for weights and biases (seeded), and BatchNorm scale U(0.5, 1.5) and shift
/// U(-0.5, 0.5) so that their gradients are not special.
func randomParameters(_ plan: Plan, seed: UInt64) -> [Float] {
    var values = plan.initialParameters(seed: seed)
    var rng = SplitMix64(seed: seed ^ 0x5eed)
    let roles = Dictionary(plan.graph.parameters.map { ($0.name, $0.role) }, uniquingKeysWith: { a, _ in a })
    for slot in plan.parameterSlots {
        for k in 0..<slot.count {
            switch roles[slot.name] {
            case .scale: values[slot.offset + k] = 1 + rng.uniform(0.5)
            case .shift: values[slot.offset + k] = rng.uniform(0.5)
            default: break
            }
        }
    }
    return values
}

/// One component whose analytic and numeric derivatives disagree.
struct GradientMismatch: CustomStringConvertible {
    var parameter: String
    var index: Int
    var analytic: Double
    var numeric: Double
    var description: String { "\(parameter)[\(index)]: analytic \(analytic), numeric \(numeric)" }
}

struct GradientReport {
    var mismatches: [GradientMismatch] = []
    var checked = 0
    /// Parameters whose gradient is zero everywhere (a check of them would prove nothing).
    var silent: [String] = []
}

/// Central difference of the loss along one parameter component, by the step actually representable in Float.
func numericDerivative(_ h: Harness, _ base: [Float], _ e: Int, step: Float) -> Double {
    var p = base
    p[e] = base[e] + step
    let up = h.loss(p)
    let upValue = p[e]
    p[e] = base[e] - step
    let down = h.loss(p)
    return (up - down) / (Double(upValue) - Double(p[e]))
}

/// Compares every component of the parameter gradient (or `perSlot` evenly spread ones per tensor) with central
/// finite differences of the train-mode loss. A component that disagrees is retried with smaller steps, then at
/// up to three jittered parameter vectors (each with its own analytic gradient): a ReLU or max-pool kink within
/// the step of the point breaks the central difference there but not at a point moved by ~0.03. A wrong backward
/// is wrong at every point and every step, so the retries do not hide it (see testGradientCheckCatchesAWrongPlan).
func checkGradients(_ h: Harness, perSlot: Int? = nil) -> GradientReport {
    var report = GradientReport()
    var points: [(parameters: [Float], gradient: [Float])] = [(h.baseParameters, h.gradient(h.baseParameters))]
    var rng = SplitMix64(seed: 99)
    func point(_ k: Int) -> (parameters: [Float], gradient: [Float]) {
        while points.count <= k {
            let moved = h.baseParameters.map { $0 + rng.uniform(0.03) }
            points.append((moved, h.gradient(moved)))
        }
        return points[k]
    }
    let attempts: [(step: Float, absolute: Double)] = [
        (ReferenceChecks.finiteDifferenceStep, ReferenceChecks.gradientAbsolute),
        (ReferenceChecks.finiteDifferenceRetryStep, ReferenceChecks.gradientAbsoluteRetry),
        (ReferenceChecks.finiteDifferenceFineStep, ReferenceChecks.gradientAbsoluteFine),
    ]
    for slot in h.plan.parameterSlots {
        let strideSize = perSlot.map { max(1, slot.count / $0) } ?? 1
        if (0..<slot.count).allSatisfy({ abs(Double(points[0].gradient[slot.offset + $0])) < ReferenceChecks.gradientSignal }) {
            report.silent.append(slot.name)
        }
        for k in stride(from: 0, to: slot.count, by: strideSize) {
            let e = slot.offset + k
            report.checked += 1
            var first: Double?
            search: for p in 0..<4 {
                let (parameters, gradient) = point(p)
                for attempt in attempts {
                    let numeric = numericDerivative(h, parameters, e, step: attempt.step)
                    first = first ?? numeric
                    if close(Double(gradient[e]), numeric, relative: ReferenceChecks.gradientRelative, absolute: attempt.absolute) {
                        first = nil
                        break search
                    }
                }
            }
            if let numeric = first {
                report.mismatches.append(GradientMismatch(parameter: slot.name, index: k,
                                                          analytic: Double(points[0].gradient[e]), numeric: numeric))
            }
        }
    }
    return report
}

extension XCTestCase {
    /// Gradient-checks `graph` at batch 1 and 3 (unless `batches` says otherwise), fused and unfused (or only fused,
    /// for the slow built-in networks), and checks that fusion changes nothing: the reference applies a fused
    /// activation to the same Float result and differentiates it from the same output.
    func assertGradientsMatch(_ name: String, _ graph: Graph, batches: [Int] = [1, 3], smoothing: Float = 0,
                              labels: (Int) -> [Int32]? = { _ in nil }, perSlot: Int? = nil, dropoutStep: Int = 0,
                              unfusedFiniteDifferences: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
        for batch in batches {
            var fusedGradient: [Float]?
            for fuse in [true, false] {
                let options = PlanOptions(batchSize: batch, optimizer: .sgd(momentum: 0, nesterov: false, weightDecay: 0),
                                          labelSmoothing: smoothing, fuseActivations: fuse)
                let h = try Harness(graph, options: options, labels: labels(batch))
                XCTAssertNoThrow(try h.plan.validateDataflow(), "\(name) batch \(batch) fuse \(fuse)", file: file, line: line)
                h.fixedStep = dropoutStep
                let context = "\(name) batch \(batch) fuse \(fuse)"
                if fuse || unfusedFiniteDifferences {
                    let report = checkGradients(h, perSlot: perSlot)
                    XCTAssertGreaterThan(report.checked, 0, context, file: file, line: line)
                    XCTAssertEqual(report.silent, [], "\(context): zero gradients", file: file, line: line)
                    XCTAssertTrue(report.mismatches.isEmpty,
                                  "\(context): \(report.mismatches.count)/\(report.checked) mismatches, first \(report.mismatches.prefix(4))",
                                  file: file, line: line)
                }
                let g = h.gradient(h.baseParameters)
                if let fused = fusedGradient {
                    XCTAssertEqual(fused, g, "\(context): fusion changed the gradient", file: file, line: line)
                }
                fusedGradient = g
            }
        }
    }
}
