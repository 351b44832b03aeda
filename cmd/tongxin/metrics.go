package main

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/tongxin/tongxin/internal/telegram"
)

// metric is one line of /metrics.
type metric struct {
	name, help, kind string
	value            func() int64
}

// metrics lists what an operator watches: whether updates come in and
// are handled, whether replies go out or pile up, and how often a
// resident got Chinese because their language lacked a message.
func (s *server) metrics(receiver *telegram.Receiver) []metric {
	load := func(c *atomic.Int64) func() int64 { return c.Load }
	ms := []metric{
		{"tongxin_inbound_processed_total", "Inbound events handled.", "counter", load(&s.processor.Processed)},
		{"tongxin_inbound_failures_total", "Attempts to handle an inbound event that failed and will be retried.", "counter", load(&s.processor.Failed)},
		{"tongxin_inbound_set_aside_total", "Inbound events given up on after repeated failures (payload kept).", "counter", load(&s.processor.SetAside)},
		{"tongxin_outbox_sent_total", "Messages delivered to a channel.", "counter", load(&s.dispatcher.Sent)},
		{"tongxin_outbox_retries_total", "Sends that failed and were scheduled again (including 429).", "counter", load(&s.dispatcher.Retried)},
		{"tongxin_outbox_parked_total", "Messages parked for an operator after failing.", "counter", load(&s.dispatcher.Parked)},
		{"tongxin_outbox_blocked_total", "Messages not delivered because the resident blocked us.", "counter", load(&s.dispatcher.Blocked)},
		{"tongxin_i18n_fallbacks_total", "Messages shown in Chinese because the resident's language lacked them.", "counter", s.catalog.Fallbacks},
		{"tongxin_store_up", "1 when the store answers a ping.", "gauge", func() int64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if s.store.Ping(ctx) != nil {
				return 0
			}
			return 1
		}},
	}
	if receiver != nil {
		ms = append(ms,
			metric{"tongxin_telegram_updates_received_total", "Telegram updates recorded.", "counter", load(&receiver.Received)},
			metric{"tongxin_telegram_updates_duplicate_total", "Telegram updates received again and ignored.", "counter", load(&receiver.Duplicates)},
			metric{"tongxin_telegram_updates_rejected_total", "Bodies refused as not being Telegram updates.", "counter", load(&receiver.Rejected)},
		)
	}
	if s.sms != nil {
		ms = append(ms,
			metric{"tongxin_sms_received_total", "SMS recorded.", "counter", load(&s.sms.Received)},
			metric{"tongxin_sms_duplicate_total", "SMS received again and ignored.", "counter", load(&s.sms.Duplicates)},
			metric{"tongxin_sms_rejected_total", "SMS webhook requests refused (bad signature, malformed).", "counter", load(&s.sms.Rejected)},
			metric{"tongxin_sms_spooled_total", "SMS kept on disk because the store could not take them.", "counter", load(&s.sms.Spooled)},
		)
	}
	return ms
}

// metricsHandler serves the metrics in the Prometheus text format.
func metricsHandler(ms []metric) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		for _, m := range ms {
			fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", m.name, m.help, m.name, m.kind, m.name, m.value())
		}
	}
}
