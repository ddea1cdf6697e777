// What `llmatic train` prints: a header (network, plan, data, device, settings), live progress, a result
// block, and with --json one JSON object as the last line of stdout.
import Data
import Engine
import Foundation
import Train

final class TrainReport {
    let json: Bool
    let network: LoadedNetwork
    let data: DatasetPair
    let trainer: Trainer
    let dataSpec: String
    /// A live line is on screen and must be ended before other output.
    private var liveOpen = false

    init(json: Bool, network: LoadedNetwork, data: DatasetPair, trainer: Trainer, dataSpec: String) {
        self.json = json; self.network = network; self.data = data; self.trainer = trainer; self.dataSpec = dataSpec
    }

    var config: TrainingConfig { trainer.config }

    func printHeader() {
        defer { Console.flush() }
        let cost = trainer.cost
        var net = "network   \(network.label): \(Console.count(cost.parameters)) parameters, "
            + "\(Console.count(cost.flops)) FLOPs/image, depth \(cost.depth), width \(cost.width)"
        if network.unusedParameters > 0 { net += " (+\(network.unusedParameters) in modules never called)" }
        print(net)
        print("          \(trainer.plan.summary), device memory \(String(format: "%.1f", Double(trainer.plan.totalBytes) / 1_048_576)) MiB")
        let t = data.train, s = data.test
        print("data      \(dataSpec): \(t.count) train / \(s.count) test images of \(t.shape), \(t.classes) classes"
              + (config.validationFraction > 0 ? ", \(Int((config.validationFraction * 100).rounded()))% of train held out for validation" : ""))
        print("device    \(trainer.deviceName)")
        var settings = "training  \(config.epochs) epoch\(config.epochs == 1 ? "" : "s"), batch \(config.batchSize), "
            + "\(optimizerText), lr \(config.learningRate) \(config.schedule)"
        if config.labelSmoothing > 0 { settings += ", label smoothing \(config.labelSmoothing)" }
        if !config.augmentation.isIdentity { settings += ", augmentation (crop \(config.augmentation.cropPadding), flip)" }
        if let m = config.maxSteps { settings += ", at most \(m) steps" }
        print(settings + ", seed \(config.seed)")
    }

    var optimizerText: String {
        switch config.optimizer {
        case .sgd(let m, let nesterov, let wd):
            return "sgd" + (m > 0 ? " momentum \(m)\(nesterov ? " nesterov" : "")" : "") + (wd > 0 ? " weight decay \(wd)" : "")
        case .adam(_, _, _, let wd, let decoupled):
            return (decoupled ? "adamw" : "adam") + (wd > 0 ? " weight decay \(wd)" : "")
        }
    }

    /// One report per metrics read: redrawn in place on a terminal, a plain line otherwise.
    func progress(_ p: TrainingProgress) {
        let line = Self.progressLine(p, learningRate: true)
        if Console.isTerminal {
            Console.flush()
            Console.live(line)
            liveOpen = true
            if p.endOfEpoch {
                Console.endLive()
                liveOpen = false
            }
        } else {
            print(line)
            Console.flush()
        }
    }

    /// One progress report as text (also the search's final training uses it, without the learning rate).
    static func progressLine(_ p: TrainingProgress, learningRate: Bool) -> String {
        String(format: "epoch %ld/%ld  step %ld/%ld  %.0f img/s  loss %.4f  acc %.2f%%  ", p.epoch, p.epochs, p.step,
               p.totalSteps, p.imagesPerSecond, p.loss, p.accuracy * 100)
            + (learningRate ? String(format: "lr %.4g  ", p.learningRate) : "") + "ETA " + Console.duration(p.eta)
    }

    func finishProgress() {
        if liveOpen { Console.endLive() }
        liveOpen = false
    }

    func printResult(_ r: TrainingResult, savedTo path: String?) {
        print(String(format: "result    %.2f epochs, %ld steps in %.1f s (training %.1f s, evaluation %.1f s)",
                     r.epochs, r.steps, r.seconds, r.trainSeconds, r.evaluationSeconds))
        if !r.trainLoss.isNaN {
            print(String(format: "  train       loss %.4f  accuracy %.2f%%  (last epoch, training mode)", r.trainLoss, r.trainAccuracy * 100))
        }
        if let e = r.evaluation {
            let name = e.split.padding(toLength: 10, withPad: " ", startingAt: 0)
            print("  \(name)  " + String(format: "loss %.4f  accuracy %.2f%%  (%ld images)", e.loss, e.accuracy * 100, e.samples))
        }
        if r.residentData {
            print(String(format: "  speed       %.0f training images/s, batches built on the device", r.imagesPerSecond))
        } else {
            print(String(format: "  speed       %.0f training images/s, data loader wait %.2f%% of training time",
                         r.imagesPerSecond, r.loaderWaitFraction * 100))
        }
        if let path { print("  saved       \(path)") }
        if json { print(jsonObject(r, savedTo: path).text) }
    }

    func jsonObject(_ r: TrainingResult, savedTo path: String?) -> JSON {
        var fields: [(String, JSON)] = [
            ("net", .string(network.label)), ("data", .string(dataSpec)), ("device", .string(trainer.deviceName)),
            ("parameters", .int(r.parameters)), ("flops", .int(r.flops)),
            ("epochs", .number(r.epochs)), ("steps", .int(r.steps)), ("batch_size", .int(config.batchSize)),
            ("train_loss", .number(r.trainLoss)), ("train_accuracy", .number(r.trainAccuracy)),
        ]
        if let e = r.evaluation {
            fields += [("\(e.split)_loss", .number(e.loss)), ("\(e.split)_accuracy", .number(e.accuracy)),
                       ("evaluation_split", .string(e.split)), ("evaluation_images", .int(e.samples))]
        }
        fields += [
            ("train_images_per_second", .number(r.imagesPerSecond)), ("loader_wait_fraction", .number(r.loaderWaitFraction)),
            ("resident_data", .bool(r.residentData)),
            ("seconds", .number(r.seconds)), ("train_seconds", .number(r.trainSeconds)),
            ("evaluation_seconds", .number(r.evaluationSeconds)), ("arena_bytes", .int(r.arenaBytes)),
            ("learning_rate", .number(config.learningRate)), ("optimizer", .string(optimizerText)),
            ("schedule", .string(config.schedule.description)),
            // JSON readers hold integers as doubles or Int64: a seed beyond Int64 stays exact as a string.
            ("seed", config.seed <= UInt64(Int.max) ? .int(Int(config.seed)) : .string(String(config.seed))),
        ]
        if let path { fields.append(("saved", .string(path))) }
        return .object(fields)
    }
}
