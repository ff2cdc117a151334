import Foundation
import TallyCore
import Yams

/// Reads rate cards from YAML files (`rates/*.yaml`), exactly and strictly.
///
/// YAML is parsed by Yams into nodes that keep each scalar's **text** and
/// line, so a price is read digit by digit from what the file says (never
/// through a binary float) and every problem names `file:line`. Unknown keys
/// are errors (a typo must not silently drop a price). The format:
///
/// ```yaml
/// card: public                  # id
/// currency: USD
/// description: Public list prices
/// versions:
///   - effective_from: 2026-10-01T00:00:00Z   # a whole UTC hour
///     models:
///       llama-3.3-70b-instruct:
///         input: 0.60            # per 1M tokens, up to 6 decimals
///         cached_input: 0.06
///         output:
///           tiers: graduated     # or volume; on the month's volume of this class
///           bands:
///             - { up_to: 1000000000, price: 0.80 }   # inclusive
///             - { price: 0.70 }                       # and beyond
/// ```
///
/// An override card adds `base: public` and per version an optional
/// `discount_percent` (0–100, up to 4 decimals) and flat `models` prices.
public enum RateCardFile {
    public struct Parsed: Sendable {
        public let card: RateCard
        public let file: String
        public let line: Int
    }

    /// Parses one file: its cards (usually one) and every problem found.
    public static func parse(path: String) -> (cards: [Parsed], problems: [ImportProblem]) {
        var problems: [ImportProblem] = []
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            return ([], [ImportProblem(file: path, line: nil, "cannot read the file as UTF-8 text")])
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            return ([], [yamlProblem(error, path)])
        } catch {
            return ([], [ImportProblem(file: path, line: nil, "not valid YAML: \(error)")])
        }
        guard let root, case .mapping(let top) = root else {
            return ([], [ImportProblem(file: path, line: 1, "a rate card file is a mapping with card, currency and versions")])
        }
        var reader = Reader(file: path)
        let card = reader.card(top)
        problems += reader.problems
        guard let card, problems.isEmpty else { return ([], problems) }
        return ([Parsed(card: card, file: path, line: top.mark?.line ?? 1)], problems)
    }

    /// A YAML syntax error as a located problem.
    static func yamlProblem(_ error: YamlError, _ path: String) -> ImportProblem {
        switch error {
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ImportProblem(
                file: path, line: context.mark.line, column: duplicates.joined(separator: ", "), value: nil,
                "given twice in the mapping that starts here (a model, class or key may appear once)")
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ImportProblem(file: path, line: mark.line, "not valid YAML: \(problem)")
        default:
            return ImportProblem(file: path, line: nil, "not valid YAML: \(error)")
        }
    }

    /// Parses every `*.yaml` / `*.yml` file under `path` (a file or folder),
    /// then checks what spans files: duplicate card ids, unknown bases,
    /// currencies that differ from the base's. A folder without any card file
    /// is a problem, not an empty set of cards.
    public static func parseAll(path: String) -> (cards: [Parsed], problems: [ImportProblem]) {
        var files: [String] = []
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return ([], [ImportProblem(file: path, line: nil, "no such file or folder")])
        }
        if isDirectory.boolValue {
            let names = (try? FileManager.default.subpathsOfDirectory(atPath: path)) ?? []
            // rates/tax/ holds tax rates, not cards (TaxRateFile).
            files = names.filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix("tax/") }.sorted()
                .map { (path as NSString).appendingPathComponent($0) }
            // An empty folder (a wrong TALLY_RATES, a typo) would otherwise check and load nothing, silently.
            guard !files.isEmpty else {
                return ([], [ImportProblem(file: path, line: nil, "no rate card found in this folder (no *.yaml or *.yml file outside tax/): give the rate card folder")])
            }
        } else {
            files = [path]
        }
        var cards: [Parsed] = []
        var problems: [ImportProblem] = []
        for file in files {
            let (parsed, fileProblems) = parse(path: file)
            cards += parsed
            problems += fileProblems
        }
        var byID: [String: Parsed] = [:]
        for parsed in cards {
            if let first = byID[parsed.card.id] {
                problems.append(ImportProblem(
                    file: parsed.file, line: parsed.line, column: "card", value: parsed.card.id,
                    "already defined at \(first.file):\(first.line)"))
            } else {
                byID[parsed.card.id] = parsed
            }
        }
        for parsed in cards {
            guard let baseID = parsed.card.base else { continue }
            guard let base = byID[baseID] else {
                problems.append(ImportProblem(file: parsed.file, line: parsed.line, column: "base", value: baseID, "no such card"))
                continue
            }
            if base.card.currency != parsed.card.currency {
                problems.append(ImportProblem(
                    file: parsed.file, line: parsed.line, column: "currency", value: parsed.card.currency.code,
                    "differs from base card '\(baseID)' (\(base.card.currency.code))"))
            }
            if base.card.base != nil {
                problems.append(ImportProblem(file: parsed.file, line: parsed.line, column: "base", value: baseID, "a base card cannot itself have a base"))
            }
        }
        return (cards, problems)
    }

    /// Walks the nodes of one file, collecting problems with their lines.
    struct Reader {
        let file: String
        var problems: [ImportProblem] = []

        mutating func problem(_ node: Node?, _ key: String?, _ value: String?, _ message: String) {
            problems.append(ImportProblem(file: file, line: node?.mark?.line, column: key, value: value, message))
        }

        /// Checks keys against `allowed`, reporting unknown and repeated ones.
        mutating func entries(_ mapping: Node.Mapping, allowed: Set<String>?, what: String) -> [(String, Node, Node)] {
            var seen: [String: Int] = [:]
            var result: [(String, Node, Node)] = []
            for (keyNode, value) in mapping {
                guard case .scalar(let scalar) = keyNode else {
                    problem(keyNode, nil, nil, "\(what) keys must be plain names")
                    continue
                }
                let key = scalar.string
                if let allowed, !allowed.contains(key) {
                    problem(keyNode, key, nil, "unknown key in \(what) (expected one of: \(allowed.sorted().joined(separator: ", ")))")
                    continue
                }
                if let line = seen[key] {
                    problem(keyNode, key, nil, "given twice in \(what) (first at line \(line))")
                    continue
                }
                seen[key] = keyNode.mark?.line ?? 0
                result.append((key, keyNode, value))
            }
            return result
        }

        mutating func scalar(_ node: Node, _ key: String) -> String? {
            guard case .scalar(let scalar) = node, !scalar.string.isEmpty else {
                problem(node, key, nil, "must be a single value")
                return nil
            }
            guard !scalar.string.unicodeScalars.contains("\0") else {
                problem(node, key, nil, "holds a NUL character, which cannot be stored")
                return nil
            }
            return scalar.string
        }

        /// Card ids and model names are matched against usage events and
        /// stored as text: printable (no control character, NUL included), no
        /// spaces around, at most as long as an event's fields.
        mutating func isName(_ text: String, _ node: Node?, _ key: String) -> Bool {
            let why: String
            if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                why = "must be printable: a control character (NUL, tab, newline, …) cannot be in a name"
            } else if text.first?.isWhitespace == true || text.last?.isWhitespace == true {
                why = "must not begin or end with a space"
            } else if text.utf8.count > UsageEvent.maximumTextLength {
                why = "is longer than \(UsageEvent.maximumTextLength) bytes"
            } else {
                return true
            }
            problem(node, key, text.unicodeScalars.map { $0.properties.generalCategory == .control ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined(), why)
            return false
        }

        mutating func card(_ top: Node.Mapping) -> RateCard? {
            var id: String?
            var currency: Currency?
            var base: String?
            var description = ""
            var versions: [RateCard.Version] = []
            var versionsNode: Node?
            for (key, _, value) in entries(top, allowed: ["card", "currency", "base", "description", "versions"], what: "the card") {
                switch key {
                case "card": id = scalar(value, key).flatMap { isName($0, value, key) ? $0 : nil }
                case "currency":
                    if let code = scalar(value, key) {
                        currency = try? Currency(code: code)
                        if currency == nil { problem(value, key, code, "not an ISO 4217 currency code") }
                    }
                case "base": base = scalar(value, key).flatMap { isName($0, value, key) ? $0 : nil }
                case "description": description = scalar(value, key) ?? ""
                default: versionsNode = value
                }
            }
            if id == nil && !problems.contains(where: { $0.column == "card" }) { problem(nil, "card", nil, "is required") }
            if currency == nil && !problems.contains(where: { $0.column == "currency" }) { problem(nil, "currency", nil, "is required") }
            guard let versionsNode, case .sequence(let list) = versionsNode, !list.isEmpty else {
                problem(versionsNode, "versions", nil, "must be a non-empty list")
                return nil
            }
            var starts: [UTCTimestamp: Int] = [:]
            for node in list {
                guard let version = version(node, isOverride: base != nil) else { continue }
                if let line = starts[version.effectiveFrom] {
                    problem(node, "effective_from", version.effectiveFrom.description, "given twice (first at line \(line))")
                    continue
                }
                starts[version.effectiveFrom] = node.mark?.line ?? 0
                versions.append(version)
            }
            guard let id, let currency else { return nil }
            return RateCard(id: id, currency: currency, base: base, description: description, versions: versions)
        }

        mutating func version(_ node: Node, isOverride: Bool) -> RateCard.Version? {
            guard case .mapping(let mapping) = node else {
                problem(node, "versions", nil, "each version is a mapping with effective_from and models")
                return nil
            }
            var start: UTCTimestamp?
            var discount: ExactDecimal?
            var prices: [String: [TokenClass: ClassPrice]] = [:]
            var sawModels = false
            var sawDiscount = false
            for (key, _, value) in entries(mapping, allowed: ["effective_from", "models", "discount_percent"], what: "a version") {
                switch key {
                case "effective_from":
                    guard let text = scalar(value, key) else { continue }
                    if let time = try? UTCTimestamp(parsing: text) {
                        if time.startOfHour != time {
                            problem(value, key, text, "must fall on a whole UTC hour")
                        } else {
                            start = time
                        }
                    } else {
                        problem(value, key, text, "not a timestamp with a zone (e.g. 2026-11-01T00:00:00Z)")
                    }
                case "discount_percent":
                    sawDiscount = true
                    guard let text = scalar(value, key) else { continue }
                    if !isOverride {
                        problem(value, key, text, "only an override card (one with a base) can have a discount")
                    } else if let d = try? ExactDecimal(parsing: text), RateCardRules.isValidDiscount(d) {
                        discount = d
                    } else {
                        problem(value, key, text, RateCardRules.discountRule)
                    }
                default:
                    sawModels = true
                    guard case .mapping(let models) = value else {
                        problem(value, key, nil, "must map model names to prices")
                        continue
                    }
                    for (model, modelNode, classes) in entries(models, allowed: nil, what: "models") {
                        guard isName(model, modelNode, "model") else { continue }
                        if let priced = modelPrices(classes, model: model, isOverride: isOverride) { prices[model] = priced }
                    }
                }
            }
            if start == nil && !problems.contains(where: { $0.column == "effective_from" && $0.line == node.mark?.line }) {
                problem(node, "effective_from", nil, "is required")
            }
            if !sawModels && !sawDiscount { problem(node, "models", nil, "is required") }
            guard let start else { return nil }
            return RateCard.Version(effectiveFrom: start, prices: prices, discountPercent: discount)
        }

        mutating func modelPrices(_ node: Node, model: String, isOverride: Bool) -> [TokenClass: ClassPrice]? {
            guard case .mapping(let classes) = node else {
                problem(node, model, nil, "must map input / cached_input / output to prices")
                return nil
            }
            var result: [TokenClass: ClassPrice] = [:]
            for (key, keyNode, value) in entries(classes, allowed: Set(TokenClass.allCases.map(\.rawValue)), what: "model \(model)") {
                let tokenClass = TokenClass(rawValue: key)!
                let name = "\(model).\(key)"
                if case .scalar = value {
                    if let price = price(value, name) { result[tokenClass] = .flat(price) }
                } else if isOverride {
                    problem(keyNode, name, nil, "override prices are flat (one price, no tiers)")
                } else if let tiers = tiers(value, name) {
                    result[tokenClass] = tiers
                }
            }
            return result
        }

        mutating func price(_ node: Node, _ name: String) -> StatedPrice? {
            guard let text = scalar(node, name) else { return nil }
            switch RateCardRules.price(text) {
            case .success(let value):
                return value
            case .failure(let violation):
                problem(node, name, text, violation.message)
                return nil
            }
        }

        mutating func tiers(_ node: Node, _ name: String) -> ClassPrice? {
            guard case .mapping(let mapping) = node else {
                problem(node, name, nil, "must be a price or a mapping with tiers and bands")
                return nil
            }
            var mode: ClassPrice.Mode?
            var bands: [ClassPrice.Band] = []
            var bandsNode: Node?
            for (key, _, value) in entries(mapping, allowed: ["tiers", "bands"], what: name) {
                if key == "tiers" {
                    let text = scalar(value, "\(name).tiers")
                    mode = text.flatMap(ClassPrice.Mode.init(rawValue:))
                    if mode == nil { problem(value, "\(name).tiers", text, "must be graduated or volume") }
                } else {
                    bandsNode = value
                }
            }
            guard let bandsNode, case .sequence(let list) = bandsNode, !list.isEmpty else {
                problem(bandsNode ?? node, "\(name).bands", nil, "must be a non-empty list of bands")
                return nil
            }
            var previous: Int64 = 0
            for (i, band) in list.enumerated() {
                guard case .mapping(let fields) = band else {
                    problem(band, "\(name).bands", nil, "each band is a mapping with up_to and price")
                    return nil
                }
                var upTo: Int64?
                var price: StatedPrice?
                for (key, _, value) in entries(fields, allowed: ["up_to", "price"], what: "a band") {
                    if key == "price" {
                        price = self.price(value, "\(name).bands[\(i + 1)].price")
                    } else if let text = scalar(value, key) {
                        guard let n = Int64(text), n > 0 else {
                            problem(value, "\(name).bands[\(i + 1)].up_to", text, "must be a whole number of tokens above zero")
                            return nil
                        }
                        upTo = n
                    }
                }
                guard let price else {
                    if !problems.contains(where: { $0.line == band.mark?.line }) { problem(band, "\(name).bands[\(i + 1)].price", nil, "is required") }
                    return nil
                }
                if let upTo, upTo <= previous {
                    problem(band, "\(name).bands[\(i + 1)].up_to", String(upTo), "bands must ascend: this one must end above \(previous)")
                    return nil
                }
                if upTo == nil && i != list.count - 1 {
                    problem(band, "\(name).bands[\(i + 1)]", nil, "only the last band may be without up_to")
                    return nil
                }
                if upTo != nil && i == list.count - 1 {
                    problem(band, "\(name).bands[\(i + 1)]", nil, "the last band must be without up_to, so every token is priced (no gap)")
                    return nil
                }
                previous = upTo ?? previous
                bands.append(ClassPrice.Band(upTo: upTo, price: price))
            }
            guard let mode else {
                if !problems.contains(where: { $0.column == "\(name).tiers" }) { problem(node, "\(name).tiers", nil, "is required (graduated or volume)") }
                return nil
            }
            return ClassPrice(mode: mode, bands: bands)
        }
    }
}
