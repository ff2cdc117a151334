extension String {
    /// The text without the spaces at its end (table lines end at their last cell).
    public func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
