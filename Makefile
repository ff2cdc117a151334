# Tally: two commands do all set-up on a fresh Debian machine.
#   make demo   install what is missing, build, start the local database, run the demo
#   make test   install what is missing, build, run every test on a throwaway PostgreSQL
#   make reliability   the full reliability suite (kills, restarts, races, bad inputs; docs/reliability.md)

.PHONY: demo test build bench clean-db reliability fuzz

build:
	scripts/install-packages.sh
	swift build -c release --product tally

demo: build
	.build/release/tally demo

test:
	scripts/test.sh

# Full sizes (2M events, 50+ kills, thousands of customers, 10,000 bad
# inputs) with the release build: several minutes. `make test` runs the
# bounded version.
reliability: build
	TALLY=.build/release/tally scripts/reliability/run.sh --full

# Coverage-guided fuzzing of the parsers (libFuzzer + address sanitizer, a
# package of its own in fuzz/, built in .build-fuzz): FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 30
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh

# Stop and delete the local database in .tally/.
clean-db:
	-.build/release/tally db stop || .build/debug/tally db stop
	rm -rf .tally
