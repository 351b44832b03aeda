package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongxin/tongxin/internal/dispatch"
	"github.com/tongxin/tongxin/internal/hotline"
)

// benchUpdates posts n updates to the webhook from 8 clients, spread over
// 1,000 chats, each a resident pressing the main menu's handbook button,
// and reports the webhook's own answer time.
func benchUpdates(b *testing.B, e *env, n int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	url := "http://" + e.addr + "/webhooks/telegram"
	var next atomic.Int64
	var wg sync.WaitGroup
	var ackNanos atomic.Int64
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				chat := 100000 + i%1000
				body := fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":1,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"is_bot":false,"first_name":"R","language_code":"zh-hans"},"text":"指南"}}`, i, i, chat, chat)
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewBufferString(body))
				req.Header.Set("X-Telegram-Bot-Api-Secret-Token", testSecret)
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				resp.Body.Close()
				ackNanos.Add(int64(time.Since(start)))
				if resp.StatusCode != http.StatusOK {
					b.Errorf("webhook answered %d", resp.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(ackNanos.Load())/float64(n)/1e6, "ms/ack")
}

// waitProcessed waits until every update was handled by the engine and its
// reply written to the outbox.
func waitProcessed(b *testing.B, e *env, n int) {
	ctx := context.Background()
	for {
		in, err := e.srv.store.PendingInbound(ctx, []string{hotline.ChannelTelegram}, 0, 1)
		if err != nil {
			b.Fatal(err)
		}
		if len(in) == 0 {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// BenchmarkWebhookUpdate measures one Telegram update handled end to end on
// the embedded store: the webhook checks and records it, the processor
// runs the engine and commits the reply to the outbox in the same
// transaction. Sending is left out (Telegram's limit of one message a
// second per chat would dominate); BenchmarkWebhookUpdateSent adds it.
func BenchmarkWebhookUpdate(b *testing.B) {
	// Keep replies in the outbox: this measures the path up to it.
	e := newEnvPrepared(b, func(s *server) { s.dispatcher.Senders = map[string]dispatch.Sender{} })
	b.ResetTimer()
	benchUpdates(b, e, b.N)
	waitProcessed(b, e, b.N)
}

// BenchmarkWebhookUpdateSent also sends every reply to the fake Bot API,
// with Telegram's rate limits lifted.
func BenchmarkWebhookUpdateSent(b *testing.B) {
	e := newEnvPrepared(b, func(s *server) { s.dispatcher.Limits[hotline.ChannelTelegram] = dispatch.Limits{} })
	b.ResetTimer()
	benchUpdates(b, e, b.N)
	waitProcessed(b, e, b.N)
	pending := hotline.OutboxPending
	for {
		msgs, err := e.srv.store.FindOutbox(context.Background(), hotline.OutboxFilter{Status: &pending, Limit: 1})
		if err != nil {
			b.Fatal(err)
		}
		if len(msgs) == 0 {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
}
