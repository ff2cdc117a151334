/// Matches model names across providers' spellings.
///
/// Price tables name one open model many ways: `Llama-3.3-70B-Instruct`,
/// `llama-3.3-70b`, `meta-llama/Llama-3.3-70B-Instruct-Turbo`,
/// `@cf/meta/llama-3.3-70b-instruct-fp8-fast`. The key keeps what identifies
/// the weights (family, version, size) and drops the path, case, and words
/// that describe packaging rather than the model (instruct, chat, turbo, fp8,
/// fast, free, hf, versatile, it): all of the above become `llama-3.3-70b`.
public enum MarketModelName {
    static let noise: Set<Substring> = ["instruct", "chat", "turbo", "fp8", "fp16", "bf16", "fast", "free", "hf", "versatile", "it", "meta", "latest"]

    public static func key(_ name: String) -> String {
        let last = name.split(separator: "/").last.map(String.init) ?? name
        let lowered = last.lowercased().replacingAll(["_", ":", " "], with: "-")
        var tokens: [Substring] = []
        for token in lowered.split(separator: "-") {
            // "qwen2.5" → "qwen", "2.5" (letters then a digit), but keep "v3", "r1", "8x7b".
            if let firstDigit = token.firstIndex(where: \.isNumber), token.distance(from: token.startIndex, to: firstDigit) >= 3,
                token[..<firstDigit].allSatisfy(\.isLetter)
            {
                tokens.append(token[..<firstDigit])
                tokens.append(token[firstDigit...])
            } else {
                tokens.append(token)
            }
        }
        return tokens.filter { !$0.isEmpty && !noise.contains($0) }.joined(separator: "-")
    }
}

extension String {
    func replacingAll(_ characters: Set<Character>, with replacement: String) -> String {
        var out = ""
        for c in self { if characters.contains(c) { out += replacement } else { out.append(c) } }
        return out
    }
}
