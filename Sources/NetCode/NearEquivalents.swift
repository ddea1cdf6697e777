/// What to write instead of a construct NetCode does not translate, when a near equivalent exists. The one table
/// of such advice: errors attach the entry as their `hint`, so a model (or person) repairing the network is told
/// what would parse, not only what did not.
enum NearEquivalents {
    /// Unsupported callables (qualified names as the interpreter resolves them) -> what to write instead.
    static let calls: [String: String] = [
        "torch.nn.Conv1d": "nn.Conv2d with kernel_size=(1, k) over a [N, C, 1, L] tensor",
        "torch.nn.MaxPool1d": "nn.MaxPool2d with kernel_size=(1, k)",
        "torch.nn.AvgPool1d": "nn.AvgPool2d with kernel_size=(1, k)",
        "torch.nn.AdaptiveAvgPool1d": "nn.AdaptiveAvgPool2d((1, n))",
        "torch.nn.Conv3d": "nn.Conv2d over images",
        "torch.nn.UpsamplingBilinear2d": "nn.Upsample(scale_factor=s, mode='bilinear') (align_corners=False; True is not supported)",
        "torch.nn.Parameter": "a layer that owns its weights (nn.Linear, nn.Conv2d with groups=channels for a per-channel scale)",
        "torch.nn.Embedding": "nn.Linear over one-hot features",
        "torch.nn.LSTM": "a stack of nn.Conv2d layers (recurrent layers are not supported)",
        "torch.nn.GRU": "a stack of nn.Conv2d layers (recurrent layers are not supported)",
        "torch.nn.RNN": "a stack of nn.Conv2d layers (recurrent layers are not supported)",
        "torch.nn.MultiheadAttention": "a squeeze-and-excitation gate (x * torch.sigmoid(fc(x.mean((2, 3)))).view(b, c, 1, 1))",
        "torch.nn.TransformerEncoderLayer": "nn.Conv2d blocks with residual additions",
        "torch.nn.TransformerEncoder": "nn.Conv2d blocks with residual additions",
        "torch.matmul": "nn.Linear (a learned matrix product)",
        "torch.bmm": "nn.Linear (a learned matrix product)",
        "torch.einsum": "nn.Linear or a 1x1 nn.Conv2d",
        "torch.nn.functional.linear": "an nn.Linear module defined in __init__",
        "torch.nn.functional.conv2d": "an nn.Conv2d module defined in __init__",
        "torch.nn.functional.batch_norm": "an nn.BatchNorm2d module defined in __init__",
        "torch.nn.functional.group_norm": "an nn.GroupNorm module defined in __init__",
        "torch.nn.functional.instance_norm": "an nn.InstanceNorm2d module defined in __init__",
        "torch.nn.functional.prelu": "an nn.PReLU module defined in __init__",
        "torch.zeros_like": "a layer's output (tensors made from nothing have no place in the graph)",
        "torch.ones_like": "a layer's output (tensors made from nothing have no place in the graph)",
        "torch.nn.Softmax2d": "nn.Softmax(dim=1) after flattening",
        "torch.nn.Threshold": "nn.ReLU",
        "torch.nn.RReLU": "nn.LeakyReLU(0.2)",
    ]

    /// Unsupported Python constructs (named by the interpreter where it refuses them) -> what to write instead.
    enum Construct: String {
        case decorator, trainingBranch, tensorCondition, tensorIteration, tensorIndexing, nestedClass, fieldFString,
             batchSize
    }

    static let constructs: [Construct: String] = [
        .decorator: "a plain method or module-level function (drop @torch.jit.script, @property, ...)",
        .trainingBranch: "nn.Dropout, which switches between training and evaluation by itself",
        .tensorCondition: "a condition on Python values known in __init__ (sizes, flags)",
        .tensorIteration: "torch.chunk(x, n, dim=1) or a loop over an nn.ModuleList",
        .tensorIndexing: "x[:, a:b] (a channel range), x[:, :, None, None] (new dims), torch.split(x, sizes, dim=1) or x.chunk(n, dim=1)",
        .nestedClass: "a module-level class",
        .fieldFString: "the field's value written out, or str(value) concatenated",
        .batchSize: "-1 for the batch dimension: x.view(-1, features) or x.flatten(1)",
    ]

    static func hint(forCall qualified: String) -> String? { calls[qualified] }
    static func hint(_ construct: Construct) -> String? { constructs[construct] }
}
