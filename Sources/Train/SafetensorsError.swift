/// Why a safetensors file could not be written, read or applied to a network. Always names the file and,
/// where one is at fault, the tensor.
public enum SafetensorsError: Error, Equatable, CustomStringConvertible, Sendable {
    case io(path: String, message: String)
    /// The file is shorter than its header says.
    case truncated(path: String, message: String)
    case invalidHeader(path: String, message: String)
    case invalidTensor(path: String, tensor: String, message: String)
    /// The network has this tensor but the file does not.
    case missingTensor(path: String, tensor: String)
    /// The file has a tensor the network does not (strict loading).
    case unexpectedTensor(path: String, tensor: String)
    case shapeMismatch(path: String, tensor: String, expected: [Int], found: [Int])
    case dtypeMismatch(path: String, tensor: String, expected: String, found: String)
    /// A checkpoint that does not fit this run (other optimizer, other format).
    case incompatible(path: String, message: String)

    public var description: String {
        switch self {
        case .io(let path, let message):
            return "\(path): \(message)"
        case .truncated(let path, let message):
            return "\(path): truncated file: \(message)"
        case .invalidHeader(let path, let message):
            return "\(path): not a valid safetensors file: \(message)"
        case .invalidTensor(let path, let tensor, let message):
            return "\(path): tensor '\(tensor)': \(message)"
        case .missingTensor(let path, let tensor):
            return "\(path): tensor '\(tensor)' is missing (the network has it, the file does not)"
        case .unexpectedTensor(let path, let tensor):
            return "\(path): unexpected tensor '\(tensor)' (the network has no such parameter or buffer)"
        case .shapeMismatch(let path, let tensor, let expected, let found):
            return "\(path): tensor '\(tensor)': expected shape \(expected), found \(found)"
        case .dtypeMismatch(let path, let tensor, let expected, let found):
            return "\(path): tensor '\(tensor)': expected dtype \(expected), found \(found)"
        case .incompatible(let path, let message):
            return "\(path): \(message)"
        }
    }
}
