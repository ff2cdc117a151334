# Tally: two commands do all set-up on a fresh Debian machine.
#   make demo   install what is missing, build, start the local database, run the demo
#   make test   install what is missing, build, run every test on a throwaway PostgreSQL

.PHONY: demo test build bench clean-db

build:
	scripts/install-packages.sh
	swift build -c release --product tally

demo: build
	.build/release/tally demo

test:
	scripts/test.sh

# Stop and delete the local database in .tally/.
clean-db:
	-.build/release/tally db stop || .build/debug/tally db stop
	rm -rf .tally
