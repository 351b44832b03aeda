package bot_test

import (
	"testing"

	"github.com/tongxin/tongxin/bot"
	"github.com/tongxin/tongxin/bot/sessiontest"
)

func TestMemorySessions(t *testing.T) {
	sessiontest.Run(t, func(t *testing.T, clock *sessiontest.Clock) bot.Sessions {
		s := bot.NewMemorySessions(sessiontest.TTL)
		s.Now = clock.Now
		return s
	})
}
