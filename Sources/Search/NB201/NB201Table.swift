import Foundation

/// A cell's results after the benchmark's 200-epoch training, in percent.
public struct NB201Result: Sendable, Hashable {
    /// Validation accuracy: what a search selects on.
    public var validationAccuracy: Double
    /// Test accuracy: what a search reports, never selects on.
    public var testAccuracy: Double
    /// 1 = highest test accuracy in the table.
    public var rank: Int?
}

/// One data set's NAS-Bench-201 results (`../shared/nb201/cifar10.json` and its siblings): a JSON object from
/// cell string to `{"val_acc_200", "test_acc_200", "rank"}`. A table may hold fewer than all 15,625 cells; a
/// missing cell is reported as such by `result(for:)`.
public struct NB201Table: Sendable {
    /// The file's name without extension (`cifar10`), for reports.
    public let name: String
    public let path: String
    private let results: [NB201Result?]
    public let cellCount: Int

    public init(contentsOf path: String) throws(NB201Error) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NB201Error("\(path): cannot read the NAS-Bench-201 table")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw NB201Error("\(path): not a JSON object of cell string -> results")
        }
        var results = [NB201Result?](repeating: nil, count: NB201Cell.count)
        for (key, value) in object {
            let cell: NB201Cell
            do { cell = try NB201Cell(string: key) } catch { throw NB201Error("\(path): \(error)") }
            guard let entry = value as? [String: Any],
                  let val = (entry["val_acc_200"] as? NSNumber)?.doubleValue,
                  let test = (entry["test_acc_200"] as? NSNumber)?.doubleValue, val.isFinite, test.isFinite else {
                throw NB201Error("\(path): cell \(key) lacks numeric val_acc_200 and test_acc_200")
            }
            results[cell.index] = NB201Result(validationAccuracy: val, testAccuracy: test,
                                              rank: (entry["rank"] as? NSNumber)?.intValue)
        }
        guard !object.isEmpty else { throw NB201Error("\(path): the table holds no cells") }
        self.results = results
        self.path = path
        name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        cellCount = object.count
    }

    /// The cell's results, or nil when the table does not have it.
    public func result(for cell: NB201Cell) -> NB201Result? { results[cell.index] }

    /// Cells the table holds, in index order.
    public var cells: [NB201Cell] { results.indices.filter { results[$0] != nil }.map(NB201Cell.init(index:)) }
}
