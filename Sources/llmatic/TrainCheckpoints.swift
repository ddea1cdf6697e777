// `llmatic train --checkpoint FILE`: the whole training state (weights, BatchNorm statistics, optimizer state,
// step) saved atomically every N steps and at every epoch end, so a killed run loses at most N steps;
// `--resume FILE` continues from it exactly as the uninterrupted run would have.
import Foundation
import Train

final class TrainCheckpoints {
    let path: String
    let every: Int
    private let trainer: Trainer
    private var lastSaved: Int

    init(path: String, every: Int, trainer: Trainer) {
        self.path = path; self.every = every; self.trainer = trainer
        lastSaved = trainer.step
    }

    /// Called with every progress report (between steps, so the state is consistent).
    func progress(_ p: TrainingProgress) {
        guard p.endOfEpoch || p.step - lastSaved >= every || p.step == p.totalSteps else { return }
        save(step: p.step)
    }

    /// A failed save is reported and training goes on: losing the checkpoint beats losing the run.
    func save(step: Int) {
        do {
            try trainer.saveCheckpoint(to: path)
            lastSaved = step
        } catch {
            FileHandle.standardError.write(Data("warning: checkpoint not saved at step \(step): \(error)\n".utf8))
        }
    }
}
