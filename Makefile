# Neurodesk App. `make run` starts it, `make test` checks everything.
# Both install what they need on Debian/Ubuntu (scripts/deps.sh).

BIN       := build/bin/neurodeskapp
VERSION   ?= $(shell sed -n 's/.*"productVersion": *"\([^"]*\)".*/\1/p' wails.json 2>/dev/null || echo 0.0.0)
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE      ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
PKG       := github.com/neurodesk/neurodeskapp/app/buildinfo
LDFLAGS   := -s -w -X $(PKG).Version=$(VERSION) -X $(PKG).Commit=$(COMMIT) -X $(PKG).Date=$(DATE)
# Fuzz budgets are counts, about 5-10 s each here: a -fuzztime duration
# races Go's fuzz coordinator and can fail with "context deadline exceeded"
# and no crasher (golang/go#75804, not fixed in Go 1.26).
FUZZ_PARSE ?= 60000x
FUZZ_LOAD  ?= 5000x
FUZZ_PULL  ?= 30000x

.PHONY: build run test lint unit integration engines fuzz bench package screenshots clean

# The desktop build: cgo with WebKitGTK 4.1 on Linux (Wails' production tags).
TAGS      := desktop,production,webkit2_41
# On Linux the command line is a CGO-free program of its own: a command then
# does not load GTK and WebKit first (~70 ms). Without a command it hands the
# window to neurodeskapp-window beside it, the full build.
WINDOW     = $(dir $(BIN))neurodeskapp-window

build:
	scripts/deps.sh run
	go build -trimpath -tags $(TAGS) -ldflags "$(LDFLAGS)" -o $(WINDOW) .
	CGO_ENABLED=0 go build -trimpath -tags nowindow -ldflags "$(LDFLAGS)" -o $(BIN) .

run: build
	$(BIN)

lint:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	go vet ./...
	CGO_ENABLED=0 go vet -tags nowindow .
	# The Windows window (WebView2 hooks included) is pure Go: vetted here too.
	GOOS=windows go vet -tags desktop,production ./app/... .
	go tool staticcheck ./...
	go tool actionlint

unit:
	go test -count=1 ./app/...
	node --test frontend/test/*.test.mjs

integration:
	go test -count=1 -timeout 20m ./test/...

# The engine-facing integration tests again on the other engines, each a
# private service that scripts/test-engine.sh sets up (as root) and stops:
# Debian's Podman through its Docker-compatible API, rootful and rootless,
# and a rootless Docker daemon. Rootless Docker reaches the tests' registry
# through its own network, where the app cannot follow it to list tags.
# Rootless Podman also runs the JupyterLab 4 window tests, the app as the
# engine's own user, and the jobs test (runs as containers of that engine).
ENGINE_TESTS   := TestImageContract|TestStartPullReadyStop|TestSharedEngineTwoPeople|TestAdoptAfterKill|TestContainerExitsDuringStartup|TestDefaultsStartOnThisEngine|TestPullSurvivesDroppedConnection|TestForeignContainerUntouched|TestDataFolderNotWritable
ENGINE_TEST     = go test -count=1 -p 1 -timeout 15m -run '^($(1))$$' ./test/integration
engines:
	scripts/test-engine.sh podman-rootful -- $(call ENGINE_TEST,$(ENGINE_TESTS)|TestNewVersionDoesNotBlockStart)
	scripts/test-engine.sh podman-rootless -- $(call ENGINE_TEST,$(ENGINE_TESTS)|TestNewVersionDoesNotBlockStart|TestWindowJupyterLab4|TestWindowJupyterLab4Notebook|TestWindowLinuxDesktop|TestJobsRunANotebookPerSubject)
	scripts/test-engine.sh docker-rootless -- $(call ENGINE_TEST,$(ENGINE_TESTS))

# Each fuzz target briefly; go test -fuzz takes one target at a time.
fuzz:
	go test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZ_PARSE) ./app/release
	go test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZ_LOAD) ./app/settings
	go test -run '^$$' -fuzz '^FuzzPullMessages$$' -fuzztime $(FUZZ_PULL) ./app/engine

test:
	scripts/deps.sh test
	$(MAKE) lint
	node --test frontend/test/*.test.mjs
	# The unit tests again under the race detector: the service is called
	# from the window, its watchers and the engine's streams at once.
	go test -count=1 -race ./app/... ./internal/...
	# One package at a time: the window tests and make package (in the
	# packaging tests) would otherwise share two cores.
	go test -count=1 -p 1 -timeout 45m ./...
	$(MAKE) engines
	$(MAKE) fuzz

# The README's pictures of the launcher, from a profile as a researcher has
# it (TestREADMEScreenshots checks that no trace of the test shows).
README_SHOTS := launcher-light-1280x800 progress-light-1280x800 settings-dark-1280x800 running-dark-1280x800 \
	engine-missing-dark-900x600 error-light-900x600 session-ended-dark-900x600 update-light-900x600 remote-engine-light-900x600
screenshots:
	scripts/deps.sh test
	NEURODESK_REQUIRE_DOCKER=1 go test -count=1 -run '^TestREADMEScreenshots' ./test/integration
	for f in $(README_SHOTS); do cp test-output/screenshots/readme-$$f.png docs/screenshots/$$f.png; done

bench: package
	go run ./test/bench

# Linux .deb/.rpm, the signed Windows exe and installer, update archives, checksums.
package:
	scripts/deps.sh package
	VERSION=$(VERSION) LDFLAGS="$(LDFLAGS)" scripts/package.sh

clean:
	rm -rf build/bin build/appimage build/tarball test-output dist
