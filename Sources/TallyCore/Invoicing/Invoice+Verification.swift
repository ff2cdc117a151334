extension Invoice {
    /// Recomputes every total from the lines, credits and tax base, and
    /// throws naming the first figure that does not follow (SPEC §2: "every
    /// total must be recomputable from its lines").
    public func verify() throws {
        func check(_ what: String, _ stored: Money, _ recomputed: Money) throws {
            guard stored == recomputed else {
                throw InvoiceError(.inconsistent, "\(name): \(what) is \(stored) but its parts give \(recomputed)")
            }
        }
        for line in lines {
            try check("line \(line.number)", line.amount,
                      try RatedLine.amount(quantity: line.quantity, unitPricePerMillion: line.unitPricePerMillion, currency: currency))
        }
        try check("the subtotal", subtotal, try lines.map(\.amount).sum(in: currency))
        try check("the credits", creditsTotal, try credits.map(\.amount).sum(in: currency))
        guard creditsTotal.amount <= subtotal.amount, !creditsTotal.isNegative else {
            throw InvoiceError(.inconsistent, "\(name): credits \(creditsTotal) exceed the subtotal \(subtotal)")
        }
        if !taxes.isEmpty {
            try check("the tax base", try taxes.map(\.base).sum(in: currency), try subtotal - creditsTotal)
        }
        for tax in taxes {
            try check("the \(tax.name) at \(tax.percent)%", tax.amount,
                      try InvoiceTax(category: tax.category, name: tax.name, percent: tax.percent, base: tax.base).amount)
        }
        try check("the tax", taxTotal, try taxes.map(\.amount).sum(in: currency))
        try check("the total", total, try subtotal - creditsTotal + taxTotal)
    }
}
