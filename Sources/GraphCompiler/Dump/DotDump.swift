import TensorGraph

/// A Graphviz rendering of `graph` (`dot -Tsvg`), top to bottom.
///
/// Nodes are coloured by role (see `DotNodeStyle`): parameters, inputs, constants, forward
/// computations, gradient computations (scope starting with `backward/`) and named outputs
/// each have their own shape and fill; a legend cluster explains them. Nodes are grouped in
/// one cluster per top-level scope (`layers`, `norm_out`, `backward/layers`, ...).
public func dotDump(_ graph: Graph) -> String {
    var lines = ["digraph graph_dump {"]
    lines.append("  rankdir=TB;")
    lines.append("  node [fontname=\"Helvetica\", fontsize=10, style=\"filled\"];")
    lines.append("  edge [color=\"#555555\", arrowsize=0.6];")
    lines += dotLegend()

    var clusters: [String: [Node]] = [:]
    var clusterOrder: [String] = []
    var rootNodes: [Node] = []
    for node in graph.nodes {
        guard let top = topLevelScope(node.scope) else {
            rootNodes.append(node)
            continue
        }
        if clusters[top] == nil { clusterOrder.append(top) }
        clusters[top, default: []].append(node)
    }
    for node in rootNodes { lines.append("  " + dotNodeStatement(node)) }
    for (index, top) in clusterOrder.enumerated() {
        let style = top.hasPrefix(backwardScopePrefix) ? "#fff5f5" : "#f7f7f7"
        lines.append("  subgraph cluster_\(index) {")
        lines.append("    label=\(dotQuoted(top)); style=\"rounded,filled\"; fillcolor=\"\(style)\"; color=\"#bbbbbb\";")
        for node in clusters[top] ?? [] { lines.append("    " + dotNodeStatement(node)) }
        lines.append("  }")
    }
    for node in graph.nodes {
        for input in node.inputs { lines.append("  n\(input.index) -> n\(node.id.index);") }
    }
    let output = DotNodeStyle.output
    for (index, out) in graph.outputs.enumerated() {
        lines.append("  out\(index) [label=\(dotQuoted(out.name)), \(output.attributes)];")
        lines.append("  n\(out.node.index) -> out\(index);")
    }
    lines.append("}")
    return lines.joined(separator: "\n") + "\n"
}

/// The scope prefix of nodes written by autodiff.
let backwardScopePrefix = "backward/"

/// How a DOT node looks; one case per role the legend lists.
public enum DotNodeStyle: String, CaseIterable, Sendable {
    case parameter, input, constant, forward, gradient, output

    /// The role of a graph node (outputs are drawn as extra nodes, never from here).
    public init(_ node: Node) {
        switch node.op {
        case .parameter: self = .parameter
        case .input, .rngKey: self = .input
        case .constant, .iota: self = .constant
        default: self = node.scope.hasPrefix(backwardScopePrefix) ? .gradient : .forward
        }
    }

    /// Graphviz shape name.
    public var shape: String {
        switch self {
        case .parameter: return "cylinder"
        case .input: return "invhouse"
        case .constant: return "note"
        case .forward: return "box"
        case .gradient: return "box"
        case .output: return "doubleoctagon"
        }
    }

    /// Fill colour.
    public var fillColor: String {
        switch self {
        case .parameter: return "#fde68a"
        case .input: return "#bfdbfe"
        case .constant: return "#e5e7eb"
        case .forward: return "#ffffff"
        case .gradient: return "#fecaca"
        case .output: return "#bbf7d0"
        }
    }

    /// The legend's description.
    public var legendLabel: String {
        switch self {
        case .parameter: return "parameter"
        case .input: return "input / RNG key"
        case .constant: return "constant / iota"
        case .forward: return "forward op"
        case .gradient: return "gradient op (backward/)"
        case .output: return "graph output"
        }
    }

    /// `shape=..., fillcolor=...` (plus rounded corners for ops).
    var attributes: String {
        let style = self == .forward || self == .gradient ? ", style=\"rounded,filled\"" : ""
        return "shape=\(shape), fillcolor=\"\(fillColor)\"\(style)"
    }
}

func dotLegend() -> [String] {
    var lines = ["  subgraph cluster_legend {", "    label=\"legend\"; style=\"dashed\"; color=\"#999999\";"]
    for style in DotNodeStyle.allCases {
        lines.append("    legend_\(style.rawValue) [label=\(dotQuoted(style.legendLabel)), \(style.attributes)];")
    }
    let names = DotNodeStyle.allCases.map { "legend_\($0.rawValue)" }
    lines.append("    " + names.joined(separator: " -> ") + " [style=invis];")
    lines.append("  }")
    return lines
}

func dotNodeStatement(_ node: Node) -> String {
    let style = DotNodeStyle(node)
    let attributes = node.op.attributeSummary
    var label = "\(node.id) \(node.op.kind.rawValue)"
    if !attributes.isEmpty { label += "\n" + attributes }
    label += "\n\(node.type)"
    if !node.scope.isEmpty { label += "\n" + node.scope }
    return "n\(node.id.index) [label=\(dotQuoted(label)), \(style.attributes)];"
}

/// The first dotted component of a scope (`backward/layers` for `backward/layers.0.1`).
func topLevelScope(_ scope: String) -> String? {
    guard let first = scope.split(separator: ".", omittingEmptySubsequences: false).first,
          !first.isEmpty else { return nil }
    return String(first)
}

/// A DOT double-quoted string: backslashes and quotes escaped, newlines as `\n` line breaks.
public func dotQuoted(_ text: String) -> String {
    var quoted = "\""
    for character in text {
        switch character {
        case "\\": quoted += "\\\\"
        case "\"": quoted += "\\\""
        case "\n", "\r\n", "\r": quoted += "\\n"
        default: quoted.append(character)
        }
    }
    return quoted + "\""
}
