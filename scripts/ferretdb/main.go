// Command ferretdb runs FerretDB 1.24 (SQLite backend) as an embedded library.
//
// We embed the `ferretdb` package instead of `go install`ing FerretDB's own command, because
// the stock command panics at start-up when built from the module proxy (its generated
// build/version/version.txt is missing). As a library dependency that check never runs, and
// telemetry stays off. Embedding also lets us add what the SQLite backend lacks: an index its
// `_id` queries can use (idindex.go).
package main

import (
	"context"
	"flag"
	"log"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	addr := flag.String("listen-addr", "127.0.0.1:27018", "TCP listen address (loopback only by default)")
	uri := flag.String("sqlite-url", "file:.data/ferretdb/", "SQLite directory as a file: URI (must exist, trailing slash)")
	level := flag.String("log-level", "warn", "debug | info | warn | error")
	minDocs := flag.Int64("id-index-min-docs", 1000, "index a collection's _id for lookups once it holds this many documents (0: never)")
	every := flag.Duration("id-index-every", 2*time.Second, "how often to look for collections to index")
	flag.Parse()

	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		log.Fatalf("ferretdb: bad --log-level %q: %v", *level, err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *addr},
		Handler:   "sqlite",
		SQLiteURL: *uri,
		Logger:    logger,
	})
	if err != nil {
		log.Fatalf("ferretdb: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *minDocs > 0 && !strings.Contains(*uri, "mode=memory") { // in memory: no file to index
		x := &idIndexer{dir: sqliteDir(*uri), mongo: "mongodb://" + *addr + "/", minDocs: *minDocs, every: *every, log: logger}
		go x.run(ctx)
	}
	if err := f.Run(ctx); err != nil {
		log.Fatalf("ferretdb: %v", err)
	}
}

// sqliteDir is the directory of a `file:DIR/` URL (with or without `//`, query ignored).
func sqliteDir(u string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		log.Fatalf("ferretdb: bad --sqlite-url %q: %v", u, err)
	}
	dir := parsed.Opaque
	if dir == "" {
		dir = parsed.Path
	}
	return strings.TrimSuffix(dir, "/")
}
