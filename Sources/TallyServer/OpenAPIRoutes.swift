import Hummingbird

/// `GET /openapi.json` (no key): the OpenAPI 3.1 document of the whole API,
/// embedded in the binary (``OpenAPIDocument``, generated from
/// `openapi/tally.openapi.json` by `scripts/embed-openapi.sh`), so a server
/// needs no repository to describe itself.
struct OpenAPIRoutes {
    func register(on router: some RouterMethods<TallyRequestContext>) {
        router.get("/openapi.json", permission: nil) { _, _ in
            JSONResponse.body(OpenAPIDocument.json + "\n", contentType: "application/json")
        }
    }
}
