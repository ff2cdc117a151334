/// A ``MarginReport`` drawn as an SVG bar chart, so a person can look
/// instead of read: one horizontal bar of gross margin per row, positive
/// bars right of a zero axis, negative ones left of it in another colour,
/// with the title (period, dimension, currency) and the totals.
///
/// Hand-written SVG with no dependency. Geometry is integer pixels computed
/// with exact decimals (no binary floating point anywhere), so the same
/// report always gives the same bytes.
public struct MarginChart: Sendable {
    public let report: MarginReport

    public init(_ report: MarginReport) {
        self.report = report
    }

    static let width = 1000
    static let labelWidth = 260
    /// Room left of the plot for the value of the longest negative bar, so
    /// it never covers its row's label.
    static let valueGutter = 90
    static let plotWidth = 560
    static let rowHeight = 24
    static let barHeight = 16
    static let top = 80
    static let positive = "#2e7d32"
    static let negative = "#c62828"

    public func svg() throws -> String {
        let rows = report.rows
        let currency = report.reportingCurrency
        func amount(_ value: ExactDecimal) -> String {
            value.rounded(places: currency.minorUnits, .halfAwayFromZero).formatted(places: currency.minorUnits)
        }
        var maxPositive = ExactDecimal.zero
        var maxNegative = ExactDecimal.zero
        for row in rows {
            if row.grossMargin > maxPositive { maxPositive = row.grossMargin }
            if row.grossMargin.negated > maxNegative { maxNegative = row.grossMargin.negated }
        }
        let span = try maxPositive + maxNegative
        /// `value / span` of the plot width, in whole pixels (half away from zero).
        func pixels(_ value: ExactDecimal) throws -> Int {
            guard span > .zero else { return 0 }
            return try value.multiplied(by: ExactDecimal(Self.plotWidth), dividedBy: span, rounding: .halfAwayFromZero)
                .rounded(places: 0, .halfAwayFromZero).integerPart ?? 0
        }
        let axis = Self.labelWidth + Self.valueGutter + (try pixels(maxNegative))
        let height = Self.top + rows.count * Self.rowHeight + 70
        let t = report.totals
        let title = "Gross margin by \(report.dimension.rawValue), \(report.period) (\(currency))"
        var marginText = "gross margin \(amount(t.grossMargin))"
        if let fraction = t.marginFraction {
            let percent = try (fraction * ExactDecimal(100)).rounded(places: 1, .halfAwayFromZero).formatted(places: 1)
            marginText += " (\(percent)%)"
        }

        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Self.width)" height="\(height)" viewBox="0 0 \(Self.width) \(height)" font-family="sans-serif" font-size="12">
            <title>\(Self.escape(title))</title>
            <rect x="0" y="0" width="\(Self.width)" height="\(height)" fill="#ffffff"/>
            <text x="20" y="30" font-size="18" font-weight="bold">\(Self.escape(title))</text>
            <text x="20" y="52" fill="#555555">revenue \(amount(t.revenue)) − fully loaded cost \(amount(t.fullyLoadedCost)) = \(Self.escape(marginText)); stranded \(amount(t.strandedCost)) in no bar</text>

            """
        for (i, row) in rows.enumerated() {
            let y = Self.top + i * Self.rowHeight
            let length = try pixels(row.grossMargin.magnitude)
            let x = row.grossMargin.isNegative ? axis - length : axis
            let colour = row.grossMargin.isNegative ? Self.negative : Self.positive
            let label = row.key + (row.isNegativeMargin ? " !" : "") + (row.includesRated ? " (rated)" : "")
            let textY = y + Self.barHeight - 3
            svg += "<text x=\"\(Self.labelWidth - 10)\" y=\"\(textY)\" text-anchor=\"end\">\(Self.escape(label))</text>\n"
            svg += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(length)\" height=\"\(Self.barHeight)\" fill=\"\(colour)\"/>\n"
            let valueX = row.grossMargin.isNegative ? x - 6 : x + length + 6
            let anchor = row.grossMargin.isNegative ? "end" : "start"
            svg += "<text x=\"\(valueX)\" y=\"\(textY)\" text-anchor=\"\(anchor)\">\(amount(row.grossMargin))</text>\n"
        }
        let axisBottom = Self.top + rows.count * Self.rowHeight
        svg += "<line x1=\"\(axis)\" y1=\"\(Self.top - 6)\" x2=\"\(axis)\" y2=\"\(axisBottom)\" stroke=\"#333333\" stroke-width=\"1\"/>\n"
        svg += "<text x=\"\(axis)\" y=\"\(axisBottom + 16)\" text-anchor=\"middle\" fill=\"#555555\">0</text>\n"
        svg += "<text x=\"20\" y=\"\(axisBottom + 44)\" fill=\"#555555\">"
            + "bars: gross margin = revenue − fully loaded cost; red: negative margin; ! negative; (rated) includes revenue rated, not invoiced"
            + "</text>\n"
        svg += "</svg>\n"
        return svg
    }

    /// Text and attribute escaping for XML: the e-invoices' escaper (it also
    /// replaces the control characters XML cannot carry).
    static func escape(_ text: String) -> String {
        InvoiceCII.XMLText.escaped(text)
    }
}
