import NetCode
import NetIR

extension NetworkCodec {
    /// The real thing: NetCode's parser and emitter. Parse errors arrive as `SourceError`
    /// (`file:line:column: message`), which `CandidateChecker` sorts into parse and shape failures.
    public static func pytorch(input: TensorShape, className: String = "Net") -> NetworkCodec {
        NetworkCodec(input: input,
                     parse: { source, file in try NetworkSource.parse(source, file: file, input: input).graph },
                     emit: { graph in NetworkSource.emit(graph, className: className) })
    }
}
