package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/tongxin/tongxin/internal/dispatch"
	"github.com/tongxin/tongxin/internal/hotline"
)

// Sender sends template messages to a template gateway over HTTP: a POST
// of the Message as JSON to URL with "Authorization: Bearer Key", answered
// by {"code":"OK","id":"…"} or {"code":"<error code>","message":"…"}.
// This is the shape of the mainland providers' send-template calls (Aliyun
// SendSms, Tencent SendSms) without their request signing, which an adapter
// in front of the provider adds.
type Sender struct {
	URL  string
	Key  string
	HTTP *http.Client
}

// Limits keep template sends well under the providers' limits.
var Limits = dispatch.Limits{PerSecond: 10, Burst: 10, PerAddress: time.Second}

// Send implements dispatch.Sender.
func (s *Sender) Send(ctx context.Context, o hotline.Outbox) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(o.Payload))
	if err != nil {
		return "", &dispatch.PermanentError{Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.Key)
	client := s.HTTP
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("template gateway: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 500 {
		return "", fmt.Errorf("template gateway: HTTP %d", resp.StatusCode)
	}
	var answer struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		ID      string `json:"id"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return "", fmt.Errorf("template gateway: HTTP %d, unreadable answer: %w", resp.StatusCode, err)
	}
	switch answer.Code {
	case "OK":
		return answer.ID, nil
	case "isv.BUSINESS_LIMIT_CONTROL", "LimitExceeded":
		// Per-number limits of the provider: try again later.
		return "", &dispatch.RetryAfterError{After: time.Minute, Err: fmt.Errorf("template gateway: %s: %s", answer.Code, answer.Message)}
	case "isv.UNSUBSCRIBED", "isv.BLACK_KEY_CONTROL_LIMIT":
		return "", fmt.Errorf("%w: template gateway: %s", dispatch.ErrOptedOut, answer.Code)
	}
	return "", &dispatch.PermanentError{Err: fmt.Errorf("template gateway: HTTP %d: %s: %s", resp.StatusCode, answer.Code, answer.Message)}
}
