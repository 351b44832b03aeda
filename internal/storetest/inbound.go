package storetest

import (
	"testing"
	"time"

	"github.com/tongxin/tongxin/internal/hotline"
)

func testInbound(t *testing.T, open func(t *testing.T) hotline.Store) {
	t.Run("round trip", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		in := hotline.Inbound{Channel: hotline.ChannelTelegram, ExtID: "9001", Address: "100200",
			Payload: []byte(`{"message":{"text":"ئەسسالامۇئەلەيكۇم"}}`), ReceivedAt: t0}
		dup, err := s.RecordInbound(ctx, &in)
		must(t, "RecordInbound", err)
		if dup {
			t.Fatal("first delivery reported as duplicate")
		}
		if in.ID == 0 {
			t.Fatal("RecordInbound did not set the ID")
		}
		got, err := s.FindInbound(ctx, in.ID)
		must(t, "FindInbound", err)
		diff(t, "inbound", &in, got)
	})

	t.Run("received now by default", func(t *testing.T) {
		s := open(t)
		before := time.Now().Add(-time.Minute)
		in := hotline.Inbound{Channel: hotline.ChannelSMS, ExtID: "SM1", Address: "+8613800000001", Payload: []byte("hi")}
		_, err := s.RecordInbound(t.Context(), &in)
		must(t, "RecordInbound", err)
		if in.ReceivedAt.Before(before) || in.ReceivedAt.After(time.Now().Add(time.Minute)) {
			t.Errorf("ReceivedAt = %v, want about now", in.ReceivedAt)
		}
		got, err := s.FindInbound(t.Context(), in.ID)
		must(t, "FindInbound", err)
		diff(t, "inbound", &in, got)
	})

	t.Run("duplicate", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		first := hotline.Inbound{Channel: hotline.ChannelTelegram, ExtID: "5", Address: "1", Payload: []byte("first"), ReceivedAt: t0}
		_, err := s.RecordInbound(ctx, &first)
		must(t, "RecordInbound", err)
		again := hotline.Inbound{Channel: hotline.ChannelTelegram, ExtID: "5", Address: "1", Payload: []byte("again"), ReceivedAt: at(time.Second)}
		dup, err := s.RecordInbound(ctx, &again)
		must(t, "RecordInbound again", err)
		if !dup {
			t.Error("redelivery not reported as duplicate")
		}
		elsewhere := hotline.Inbound{Channel: hotline.ChannelSMS, ExtID: "5", Address: "+8613800000001", Payload: []byte("sms"), ReceivedAt: at(2 * time.Second)}
		dup, err = s.RecordInbound(ctx, &elsewhere)
		must(t, "RecordInbound on another channel", err)
		if dup {
			t.Error("same ExtID on another channel reported as duplicate")
		}
		got, err := s.PendingInbound(ctx, []string{hotline.ChannelTelegram, hotline.ChannelSMS}, 0, 0)
		must(t, "PendingInbound", err)
		diff(t, "stored events", []hotline.Inbound{first, elsewhere}, got)
	})

	t.Run("pending", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		var ins []hotline.Inbound
		for i, ch := range []string{
			hotline.ChannelTelegram, hotline.ChannelSMS, hotline.ChannelTelegram,
			hotline.ChannelVoice, hotline.ChannelTelegram, hotline.ChannelSMS,
		} {
			in := hotline.Inbound{Channel: ch, ExtID: string(rune('a' + i)), Address: "x",
				Payload: []byte{byte(i)}, ReceivedAt: at(time.Duration(i) * time.Second)}
			_, err := s.RecordInbound(ctx, &in)
			must(t, "RecordInbound", err)
			ins = append(ins, in)
		}
		increasing(t, "inbound", []int64{ins[0].ID, ins[1].ID, ins[2].ID, ins[3].ID, ins[4].ID, ins[5].ID})
		processedAt := at(time.Hour)
		update(t, s, func(tx hotline.Tx) error { return tx.MarkInboundProcessed(ctx, ins[2].ID, "", processedAt) })
		update(t, s, func(tx hotline.Tx) error {
			return tx.MarkInboundProcessed(ctx, ins[5].ID, "unreadable payload", processedAt)
		})

		tests := []struct {
			name     string
			channels []string
			after    int64
			limit    int
			want     []hotline.Inbound
		}{
			{"one channel", []string{hotline.ChannelTelegram}, 0, 0, []hotline.Inbound{ins[0], ins[4]}},
			{"two channels, oldest first", []string{hotline.ChannelSMS, hotline.ChannelTelegram}, 0, 0, []hotline.Inbound{ins[0], ins[1], ins[4]}},
			{"limit", []string{hotline.ChannelTelegram, hotline.ChannelSMS, hotline.ChannelVoice}, 0, 2, []hotline.Inbound{ins[0], ins[1]}},
			{"after", []string{hotline.ChannelTelegram, hotline.ChannelSMS}, ins[1].ID, 0, []hotline.Inbound{ins[4]}},
			{"after the last", []string{hotline.ChannelTelegram}, ins[5].ID, 0, nil},
			{"no channels", nil, 0, 0, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.PendingInbound(ctx, tt.channels, tt.after, tt.limit)
				must(t, "PendingInbound", err)
				diff(t, "pending", tt.want, got)
			})
		}

		t.Run("processed", func(t *testing.T) {
			for _, tt := range []struct {
				in      hotline.Inbound
				errText string
			}{{ins[2], ""}, {ins[5], "unreadable payload"}} {
				want := tt.in
				want.ProcessedAt, want.Error = &processedAt, tt.errText
				got, err := s.FindInbound(ctx, want.ID)
				must(t, "FindInbound", err)
				diff(t, "processed event", &want, got)
			}
		})
	})

	t.Run("not found", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		_, err := s.FindInbound(ctx, missingID)
		wantErr(t, "FindInbound", err, hotline.ErrNotFound)
		err = s.Update(ctx, func(tx hotline.Tx) error { return tx.MarkInboundProcessed(ctx, missingID, "", t0) })
		wantErr(t, "MarkInboundProcessed", err, hotline.ErrNotFound)
	})

	t.Run("processed twice", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		in := hotline.Inbound{Channel: hotline.ChannelSMS, ExtID: "SM1", Address: "+8613800000001", Payload: []byte("x"), ReceivedAt: t0}
		_, err := s.RecordInbound(ctx, &in)
		must(t, "RecordInbound", err)
		update(t, s, func(tx hotline.Tx) error { return tx.MarkInboundProcessed(ctx, in.ID, "", at(time.Second)) })
		// A second handler of the same event finds it taken, and the
		// first mark stays.
		err = s.Update(ctx, func(tx hotline.Tx) error { return tx.MarkInboundProcessed(ctx, in.ID, "late", at(time.Minute)) })
		wantErr(t, "MarkInboundProcessed again", err, hotline.ErrConflict)
		got, err := s.FindInbound(ctx, in.ID)
		must(t, "FindInbound", err)
		if got.ProcessedAt == nil || !got.ProcessedAt.Equal(at(time.Second)) || got.Error != "" {
			t.Errorf("the second mark changed the event: %+v", got)
		}
	})
}
