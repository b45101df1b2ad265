// Command ferretdb runs FerretDB 1.24 (SQLite backend) as an embedded library.
//
// We embed the `ferretdb` package instead of `go install`ing FerretDB's own command, because
// the stock command panics at start-up when built from the module proxy (its generated
// build/version/version.txt is missing). As a library dependency that check never runs, and
// telemetry stays off.
package main

import (
	"context"
	"flag"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	addr := flag.String("listen-addr", "127.0.0.1:27018", "TCP listen address (loopback only by default)")
	uri := flag.String("sqlite-url", "file:.data/ferretdb/", "SQLite directory as a file: URI (must exist, trailing slash)")
	level := flag.String("log-level", "warn", "debug | info | warn | error")
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
	if err := f.Run(ctx); err != nil {
		log.Fatalf("ferretdb: %v", err)
	}
}
