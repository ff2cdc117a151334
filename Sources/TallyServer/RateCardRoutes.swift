import Hummingbird
import TallyCore
import TallyDatabase
import TallyPresentation

/// Rate cards (sales, finance, ops, admin read): the loaded cards, and one
/// card's prices in force at an instant, the rows `tally rates show
/// --format json` prints (an override card's resulting prices).
struct RateCardRoutes {
    let environment: ServerEnvironment

    func register(on router: some RouterMethods<TallyRequestContext>) {
        router.get("/v1/rate-cards", permission: .ratesRead) { _, _ in
            let cards = try await environment.database.run { db in try RateCardStore(db).cards() }
            return JSONResponse.make(RateCardList.jsonValue(cards))
        }
        router.get("/v1/rate-cards/{card}", permission: .ratesRead) { request, context in
            let id = try context.parameters.require("card")
            let at = try request.uri.queryParameters.get("at").map { try UTCTimestamp(parsingDayOrInstant: $0) } ?? environment.settings.clock.now
            let cards = try await environment.database.run { db in try RateCardStore(db).cards() }
            let book = PriceBook(cards: cards)
            guard let card = book.cards[id] else {
                throw Problem(status: .notFound, code: "rates.not_found", detail: "no rate card '\(id)' (GET /v1/rate-cards lists them)")
            }
            let prices = try RateCardPrices(book: book, card: card, at: at, grouped: false)
            return JSONResponse.make(.object([
                "card": .text(card.id), "currency": .text(card.currency.code), "base": card.base.map(JSONValue.text) ?? .null,
                "at": .text(at.description), "sources": .list(prices.sources.map(JSONValue.text)), "prices": prices.jsonValue(),
            ]))
        }
    }
}
