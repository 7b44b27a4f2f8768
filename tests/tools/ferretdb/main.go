// Command ferretdb-runner serves FerretDB v1.24 (the MongoDB wire protocol over SQLite) for the
// test suite. It embeds the ferretdb package instead of building FerretDB's own main, whose
// binary panics at start when built from the module (it needs a build/version file that the
// module does not carry, FerretDB issue #2982).
//
// Usage: ferretdb-runner -listen 127.0.0.1:0 -data DIR [-log-level warn]
//
// Once it listens it prints one line, "listening mongodb://HOST:PORT/", on stdout, so a test can
// start it on port 0 and read the address it got. SIGTERM or SIGINT stops it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "TCP address to listen on; port 0 picks a free one")
	data := flag.String("data", "", "directory of the SQLite databases (created if missing)")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	flag.Parse()

	if *data == "" {
		fail("-data is required")
	}
	dir, err := filepath.Abs(*data)
	if err != nil {
		fail(err.Error())
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail(err.Error())
	}

	address, err := reservePort(*listen)
	if err != nil {
		fail(err.Error())
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fail("bad -log-level: " + err.Error())
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	server, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: address},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
	})
	if err != nil {
		fail(err.Error())
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	done := make(chan struct{})
	go func() {
		_ = server.Run(ctx)
		close(done)
	}()

	if err := waitForListener(address, 10*time.Second); err != nil {
		fail(err.Error())
	}
	fmt.Printf("listening mongodb://%s/\n", address)

	<-done
}

// reservePort turns port 0 into a concrete free port, because the embedded listener does not
// report the port it bound before Run returns.
func reservePort(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", err
	}
	if port != "0" {
		return listen, nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitForListener(address string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		conn, err := net.DialTimeout("tcp", address, 200*time.Millisecond)
		if err == nil {
			return conn.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("FerretDB did not listen on %s within %s: %w", address, limit, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, "ferretdb-runner:", message)
	os.Exit(1)
}
