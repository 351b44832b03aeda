// Command tongxin runs the Tongxin hotline: the HTTP server with the
// Telegram webhook, the conversation engine, the outbox dispatcher, and the
// command-line tools operators use beside it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // time zones inside the static binary
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "tongxin:", err)
		os.Exit(1)
	}
}
