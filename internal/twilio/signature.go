// Package twilio speaks the Twilio-compatible webhook protocol that Tongxin's
// SMS hotline and voice IVR use: it checks the X-Twilio-Signature of
// incoming webhooks, builds TwiML replies, and sends SMS through the REST API.
//
// Only the standard library is used; the algorithms follow the official
// helper libraries (twilio-python, twilio-go) and are tested against their
// published test vectors (channels.md §5).
package twilio

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// MaxWebhookBody bounds the body VerifyRequest reads. Twilio's largest
// webhooks (an MMS with ten media URLs) are a few kilobytes.
const MaxWebhookBody = 64 << 10

// SignatureHeader is the header carrying a webhook's signature.
const SignatureHeader = "X-Twilio-Signature"

var (
	// ErrSignature means a webhook's signature is missing or does not match.
	ErrSignature = errors.New("twilio: invalid webhook signature")
	// ErrTooLarge means a webhook's body exceeds MaxWebhookBody.
	ErrTooLarge = errors.New("twilio: webhook body too large")
)

// Signature computes the X-Twilio-Signature of a request to rawURL with the
// POST parameters params: base64(HMAC-SHA1(authToken, rawURL + k1 + v1 + k2 +
// v2 …)) with the keys sorted. A key with several values contributes each
// distinct value once, in sorted order, as twilio-python does.
func Signature(authToken, rawURL string, params url.Values) string {
	mac := hmac.New(sha1.New, []byte(authToken))
	io.WriteString(mac, rawURL)
	for _, k := range slices.Sorted(maps.Keys(params)) {
		for _, v := range slices.Compact(slices.Sorted(slices.Values(params[k]))) {
			io.WriteString(mac, k)
			io.WriteString(mac, v)
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Valid reports whether signature is the signature of a request to rawURL
// with params. Twilio's back end is inconsistent about default ports, so a
// URL without a port is also tried with :443 (https) or :80 (http), and a
// URL with its scheme's default port also without it. The comparison takes
// constant time; an empty token or signature is never valid.
func Valid(authToken, rawURL string, params url.Values, signature string) bool {
	if authToken == "" || signature == "" {
		return false
	}
	ok := false
	for _, u := range urlVariants(rawURL) {
		// No short cut: the time taken does not depend on which variant matched.
		if hmac.Equal([]byte(Signature(authToken, u, params)), []byte(signature)) {
			ok = true
		}
	}
	return ok
}

// ValidJSON reports whether signature is valid for a webhook with a JSON
// body. Twilio signs such requests over the URL alone, which carries the
// body's hash as the query parameter bodySHA256 (lower-case hex SHA-256);
// the hash must match body too.
func ValidJSON(authToken, rawURL string, body []byte, signature string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	want := u.Query().Get("bodySHA256")
	sum := sha256.Sum256(body)
	got := hex.EncodeToString(sum[:])
	hashOK := want != "" && hmac.Equal([]byte(got), []byte(strings.ToLower(want)))
	return Valid(authToken, rawURL, nil, signature) && hashOK
}

// urlVariants returns rawURL and its variant with or without the default port.
func urlVariants(rawURL string) []string {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return []string{rawURL}
	}
	var port string
	switch strings.ToLower(scheme) {
	case "https":
		port = ":443"
	case "http":
		port = ":80"
	default:
		return []string{rawURL}
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	host := authority[strings.LastIndexByte(authority, '@')+1:]
	userinfo := authority[:len(authority)-len(host)]
	switch {
	case strings.HasSuffix(host, port):
		host = strings.TrimSuffix(host, port)
	case strings.LastIndexByte(host, ':') > strings.LastIndexByte(host, ']'):
		return []string{rawURL} // a port other than the default
	default:
		host += port
	}
	return []string{rawURL, scheme + "://" + userinfo + host + tail}
}

// VerifyRequest checks the signature of the webhook request r and returns
// its POST parameters.
//
// The URL Twilio signed is the public one, rebuilt from configuration:
// publicBase (scheme, host and any path prefix the proxy strips, e.g.
// "https://hotline.example.cn/tongxin") + r's escaped path + its query
// string. r.Host is never used: behind a proxy it names the wrong host.
// Query parameters are part of that URL, not of the signed parameters.
//
// A form body is parsed (at most MaxWebhookBody bytes, else ErrTooLarge) and
// also stored in r.PostForm and r.Form. A JSON body is checked against the
// bodySHA256 query parameter; the returned values are then empty. The body
// stays readable in r.Body either way. A missing or wrong signature gives an error
// wrapping ErrSignature.
func VerifyRequest(authToken, publicBase string, r *http.Request) (url.Values, error) {
	signature := r.Header.Get(SignatureHeader)
	if signature == "" {
		return nil, fmt.Errorf("%w: no %s header", ErrSignature, SignatureHeader)
	}
	public := strings.TrimSuffix(publicBase, "/") + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		public += "?" + r.URL.RawQuery
	}
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, MaxWebhookBody+1))
		r.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read webhook body: %w", err)
		}
		if len(body) > MaxWebhookBody {
			return nil, ErrTooLarge
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	params := url.Values{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.URL.Query().Has("bodySHA256") {
		if !ValidJSON(authToken, public, body, signature) {
			return nil, fmt.Errorf("%w: bad signature or body hash for %s", ErrSignature, r.URL.Path)
		}
		return params, nil
	}
	if ct == "application/x-www-form-urlencoded" && len(body) > 0 {
		var err error
		if params, err = url.ParseQuery(string(body)); err != nil {
			return nil, fmt.Errorf("parse webhook form: %w", err)
		}
	}
	if !Valid(authToken, public, params, signature) {
		return nil, fmt.Errorf("%w: bad signature for %s", ErrSignature, r.URL.Path)
	}
	r.PostForm = params
	r.Form = r.URL.Query()
	for k, vs := range params {
		r.Form[k] = append(vs[:len(vs):len(vs)], r.Form[k]...)
	}
	return params, nil
}
