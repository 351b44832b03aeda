package smsfake

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tongxin/tongxin/internal/twilio"
)

// Sign returns the X-Twilio-Signature the gateway sends for a request to
// the public URL rawURL with the POST parameters params.
func (s *Server) Sign(rawURL string, params url.Values) string {
	return twilio.Signature(s.authToken, rawURL, params)
}

// PostSMS delivers an incoming SMS to our webhook at webhookURL, the public
// URL configured at the gateway (in tests, the httptest URL plus path). It
// sends Twilio's field set (MessageSid and its legacy copies SmsSid and
// SmsMessageSid, AccountSid, From, To, Body, NumMedia, NumSegments,
// SmsStatus, ApiVersion, FromCountry, ToCountry) form-encoded and signed.
// Fields in extra are added or replace these; a MessageSid in extra replaces
// all three SIDs, which is how to deliver the same message again. It
// returns the response, which the caller closes, and the MessageSid.
func (s *Server) PostSMS(ctx context.Context, webhookURL, from, to, body string, extra url.Values) (*http.Response, string, error) {
	sid := extra.Get("MessageSid")
	if sid == "" {
		sid = newSID("SM")
	}
	params := url.Values{
		"MessageSid":    {sid},
		"SmsSid":        {sid},
		"SmsMessageSid": {sid},
		"AccountSid":    {s.accountSID},
		"From":          {from},
		"To":            {to},
		"Body":          {body},
		"NumMedia":      {"0"},
		"NumSegments":   {strconv.Itoa(max(Segments(body), 1))},
		"SmsStatus":     {"received"},
		"ApiVersion":    {"2010-04-01"},
		"FromCountry":   {"CN"},
		"ToCountry":     {"CN"},
	}
	for k, vs := range extra {
		params[k] = vs
	}
	resp, err := s.post(ctx, webhookURL, params)
	return resp, sid, err
}

// PostVoice delivers a voice webhook to url: the incoming call, or a
// <Gather>/<Record> action with Digits, SpeechResult, RecordingUrl… in
// params. It adds what is absent of CallSid (new "CA…"; pass the call's to
// continue it), AccountSid, From, To, CallStatus ("ringing" for the first
// request, "in-progress" once params carry Digits, SpeechResult or
// RecordingUrl), Direction=inbound and ApiVersion, signs the request, and
// returns the response, which the caller closes, and the CallSid.
func (s *Server) PostVoice(ctx context.Context, webhookURL string, params url.Values) (*http.Response, string, error) {
	p := url.Values{}
	for k, vs := range params {
		p[k] = vs
	}
	status := "ringing"
	if p.Has("Digits") || p.Has("SpeechResult") || p.Has("RecordingUrl") {
		status = "in-progress"
	}
	for k, v := range map[string]string{
		"CallSid":    newSID("CA"),
		"AccountSid": s.accountSID,
		"From":       "+8613800000000",
		"To":         "+864170000000",
		"CallStatus": status,
		"Direction":  "inbound",
		"ApiVersion": "2010-04-01",
	} {
		if !p.Has(k) {
			p.Set(k, v)
		}
	}
	resp, err := s.post(ctx, webhookURL, p)
	return resp, p.Get("CallSid"), err
}

// post sends params to rawURL as the gateway does. A fragment (Twilio's
// connection overrides, "#rc=2") is not sent, so it is not signed either.
func (s *Server) post(ctx context.Context, rawURL string, params url.Values) (*http.Response, error) {
	rawURL, _, _ = strings.Cut(rawURL, "#")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, strings.NewReader(params.Encode()))
	if err != nil {
		return nil, fmt.Errorf("smsfake: webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	req.Header.Set("User-Agent", "TwilioProxy/1.1")
	req.Header.Set(twilio.SignatureHeader, s.Sign(rawURL, params))
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("smsfake: post webhook: %w", err)
	}
	return resp, nil
}
