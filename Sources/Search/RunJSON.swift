// The JSON dialect of a run: the event log, the run folder's files and the cluster's messages all write
// non-finite numbers (a diverged loss, an unmeasured time) as the strings "inf", "-inf" and "nan", so a
// NaN fitness survives a round trip instead of failing the whole encode.
import Foundation

public enum RunJSON {
    public static func encoder(_ formatting: JSONEncoder.OutputFormatting = []) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = formatting
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}
