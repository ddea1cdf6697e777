import NetIR

/// The upsampling layers: `nn.Upsample`, `nn.UpsamplingNearest2d`, `F.interpolate` / `F.upsample` (nearest, or
/// bilinear with `align_corners=False`; a `size` or integer `scale_factor`s) and `nn.ConvTranspose2d`: PyTorch's
/// signatures, the layers they make and their spellings. `ModuleCatalog` and `TensorOps` merge these tables.
enum UpsamplingModules {
    static let signatures: [String: Signature] = [
        "Upsample": Signature("size=None, scale_factor=None, mode='nearest', align_corners=None, recompute_scale_factor=None"),
        "UpsamplingNearest2d": Signature("size=None, scale_factor=None"),
        "ConvTranspose2d": Signature("in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True, dilation=1, padding_mode='zeros', device=None, dtype=None"),
    ]

    static let functionalNames: [String: String] = [
        "Upsample": "interpolate", "UpsamplingNearest2d": "interpolate", "ConvTranspose2d": "conv_transpose2d",
    ]

    static let functional: [String: (kind: String, signature: Signature)] = [
        "interpolate": ("Upsample", Signature("input, size=None, scale_factor=None, mode='nearest', align_corners=None, recompute_scale_factor=None, antialias=False")),
        "upsample": ("Upsample", Signature("input, size=None, scale_factor=None, mode='nearest', align_corners=None")),
        "upsample_nearest": ("UpsamplingNearest2d", Signature("input, size=None, scale_factor=None")),
    ]

    static func layer(_ kind: String, _ b: BoundArguments) throws -> Layer {
        if kind == "ConvTranspose2d" { return try transposed(b) }
        let mode = kind == "UpsamplingNearest2d" ? "nearest" : b.string("mode")
        guard mode == "nearest" || mode == "bilinear" else {
            throw b.fail("mode=\(b.string("mode").map { "'\($0)'" } ?? "this value") is not supported (only 'nearest' and 'bilinear')", "mode", kind: .unsupportedOption)
        }
        let bilinear = mode == "bilinear"
        if bilinear {
            if try !b.isNone("align_corners") && b.bool("align_corners") {
                throw b.fail("align_corners=True is not supported (only False, PyTorch's default)", "align_corners", kind: .unsupportedOption)
            }
        } else if !b.isNone("align_corners") {
            throw b.fail("align_corners only has an effect for bilinear modes; PyTorch refuses it with 'nearest'", "align_corners")
        }
        if case .bool(true) = b["antialias"] { throw b.fail("antialias=True is not supported", "antialias", kind: .unsupportedOption) }
        switch (b.isNone("size"), b.isNone("scale_factor")) {
        case (false, true):
            return .upsample(UpsampleAttributes(size: try b.pair("size"), bilinear: bilinear))
        case (true, false):
            return .upsample(UpsampleAttributes(scale: try scale(b), bilinear: bilinear))
        default:
            throw b.fail("exactly one of size and scale_factor must be given", "size")
        }
    }

    /// Integer scale factors (an int, an integral float, or a pair of them).
    private static func scale(_ b: BoundArguments) throws -> Pair {
        let v = b["scale_factor"]
        let items = v.sequenceItems ?? [v, v]
        guard items.count == 2 else { throw b.fail("scale_factor must be a number or a pair of numbers", "scale_factor") }
        let factors = try items.map { item -> Int in
            let d: Double
            switch item {
            case .int(let i): d = Double(i)
            case .float(let f): d = f
            default: throw b.fail("scale_factor must be a number or a pair of numbers, got \(item.typeName)", "scale_factor")
            }
            guard d >= 1, d <= Double(Limits.dimension), d == d.rounded() else {
                throw b.fail("scale_factor=\(d) is not supported (only integer factors of at least 1)", "scale_factor", kind: .unsupportedOption)
            }
            return Int(d)
        }
        return Pair(factors[0], factors[1])
    }

    private static func transposed(_ b: BoundArguments) throws -> Layer {
        let inC = try b.int("in_channels"), outC = try b.int("out_channels"), groups = try b.int("groups")
        try b.require("padding_mode", .string("zeros"), "padding_mode other than 'zeros' is not supported")
        guard inC % groups == 0 else { throw b.fail("in_channels must be divisible by groups", "groups") }
        guard outC % groups == 0 else { throw b.fail("out_channels must be divisible by groups", "groups") }
        guard b.string("padding") == nil else { throw b.fail("padding must be an int or a pair of ints", "padding") }
        return .convTranspose2d(ConvTranspose2dAttributes(
            inChannels: inC, outChannels: outC, kernel: try b.pair("kernel_size"), stride: try b.pair("stride"),
            padding: try b.pair("padding", minimum: 0), outputPadding: try b.pair("output_padding", minimum: 0),
            dilation: try b.pair("dilation"), groups: groups, bias: try b.bool("bias")))
    }

    static func constructor(_ a: ConvTranspose2dAttributes) -> String {
        func pair(_ p: Pair) -> String { p.h == p.w ? "\(p.h)" : "(\(p.h), \(p.w))" }
        let items: [String?] = [
            "\(a.inChannels)", "\(a.outChannels)", pair(a.kernel),
            a.stride == Pair(1) ? nil : "stride=\(pair(a.stride))",
            a.padding == Pair(0) ? nil : "padding=\(pair(a.padding))",
            a.outputPadding == Pair(0) ? nil : "output_padding=\(pair(a.outputPadding))",
            a.groups == 1 ? nil : "groups=\(a.groups)",
            a.bias ? nil : "bias=False",
            a.dilation == Pair(1) ? nil : "dilation=\(pair(a.dilation))",
        ]
        return "nn.ConvTranspose2d(" + items.compactMap { $0 }.joined(separator: ", ") + ")"
    }

    /// The module spelling, omitting PyTorch's defaults.
    static func constructor(_ a: UpsampleAttributes) -> String { "nn.Upsample(\(arguments(a)))" }

    /// The functional spelling.
    static func functionalCall(_ a: UpsampleAttributes, _ x: String) -> String { "F.interpolate(\(x), \(arguments(a)))" }

    private static func arguments(_ a: UpsampleAttributes) -> String {
        func pair(_ p: Pair) -> String { p.h == p.w ? "\(p.h)" : "(\(p.h), \(p.w))" }
        let size = a.size.map { "size=\(pair($0))" } ?? "scale_factor=\(pair(a.scale))"
        return size + (a.bilinear ? ", mode='bilinear', align_corners=False" : ", mode='nearest'")
    }
}
