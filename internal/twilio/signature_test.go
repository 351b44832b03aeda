package twilio

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
)

// The official vectors (channels.md §5): twilio-python
// tests/unit/test_request_validator.py and twilio-go
// client/request_validator_test.go.
const (
	vecToken = "12345"
	vecURL   = "https://mycompany.com/myapp.php?foo=1&bar=2"
	vecHash  = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
	vecJSON  = `{"property": "value", "boolean": true}`
)

func pythonParams() url.Values {
	return url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {"+14158675309"},
		"Digits":  {"1234"},
		"From":    {"+14158675309"},
		"To":      {"+18005551212"},
	}
}

func withReason() url.Values {
	p := pythonParams()
	p.Set("ReasonConferenceEnded", "test")
	p.Set("Reason", "Participant")
	return p
}

func mustQuery(t *testing.T, s string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSignatureVectors(t *testing.T) {
	tests := []struct {
		name   string
		url    string
		params url.Values
		want   string
	}{
		{"python", vecURL, pythonParams(), "RSOYDt4T1cUTdK1PDd93/VVr8B8="},
		{"python with :443", "https://mycompany.com:443/myapp.php?foo=1&bar=2", pythonParams(), "kvajT1Ptam85bY51eRf/AJRuM3w="},
		{"duplicate keys, values sorted", vecURL, url.Values{"Sid": {"CA123"}, "SidAccount": {"AC123"}, "Digits": {"5678", "1234"}}, "IK+Dwps556ElfBT0I3Rgjkr1wJU="},
		{"go Reason prefix key", vecURL, withReason(), "vOEb5UThFn24KEfnOFLQY2AE5FY="},
		{"go form body", vecURL, mustQuery(t, "property=value&boolean=true"), "NBdBDr/T/lgjI+tlgpXjKZQZs/k="},
		{"go JSON body, URL only", vecURL + "&bodySHA256=" + vecHash, nil, "a9nBmqA0ju/hNViExpshrM61xv4="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Signature(vecToken, tt.url, tt.params); got != tt.want {
				t.Errorf("Signature = %s, want %s", got, tt.want)
			}
			if !Valid(vecToken, tt.url, tt.params, tt.want) {
				t.Error("Valid = false")
			}
			if Valid("54321", tt.url, tt.params, tt.want) {
				t.Error("Valid with another token = true")
			}
		})
	}
}

// misordered signs key+value pairs sorted as whole strings, the bug the
// twilio-go vector guards against ("ReasonConferenceEnded" before "Reason").
func misordered(token, u string, p url.Values) string {
	var pairs []string
	for k, vs := range p {
		for _, v := range vs {
			pairs = append(pairs, k+v)
		}
	}
	sort.Strings(pairs)
	return Signature(token, u+strings.Join(pairs, ""), nil)
}

func TestMisorderingRejected(t *testing.T) {
	const bad = "95+Bu0JVPi0r/SsESZCVf0dWAjw="
	if got := misordered(vecToken, vecURL, withReason()); got != bad {
		t.Fatalf("misordered signature = %s, want the vector's %s", got, bad)
	}
	if Valid(vecToken, vecURL, withReason(), bad) {
		t.Error("the misordered signature validates")
	}
}

func TestValidPortVariants(t *testing.T) {
	tests := []struct {
		name, signedURL, checkedURL string
		want                        bool
	}{
		{"https: signed with :443, checked without", "https://mycompany.com:443/myapp.php?foo=1&bar=2", vecURL, true},
		{"https: signed without, checked with :443", vecURL, "https://mycompany.com:443/myapp.php?foo=1&bar=2", true},
		{"http: signed with :80, checked without", "http://example.cn:80/sms", "http://example.cn/sms", true},
		{"http: signed without, checked with :80", "http://example.cn/sms", "http://example.cn:80/sms", true},
		{"no path, with userinfo", "https://u:p@example.cn:443", "https://u:p@example.cn", true},
		{"IPv6 host", "https://[2001:db8::1]/sms", "https://[2001:db8::1]:443/sms", true},
		{"other port is not stripped", "https://example.cn/sms", "https://example.cn:8443/sms", false},
		{"other port is not added", "https://example.cn:8443/sms", "https://example.cn/sms", false},
		{"http default port is not https's", "https://example.cn/sms", "https://example.cn:80/sms", false},
		{"scheme matters", "http://example.cn/sms", "https://example.cn/sms", false},
		{"path matters", "https://example.cn/sms", "https://example.cn/sms/", false},
		{"query matters", "https://example.cn/sms?a=1", "https://example.cn/sms?a=2", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig := Signature(vecToken, tt.signedURL, pythonParams())
			if got := Valid(vecToken, tt.checkedURL, pythonParams(), sig); got != tt.want {
				t.Errorf("Valid = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidEmpty(t *testing.T) {
	sig := Signature("", vecURL, pythonParams())
	if Valid("", vecURL, pythonParams(), sig) {
		t.Error("an empty token validates")
	}
	if Valid(vecToken, vecURL, pythonParams(), "") {
		t.Error("an empty signature validates")
	}
	if Valid(vecToken, vecURL, url.Values{}, Signature(vecToken, vecURL, pythonParams())) {
		t.Error("a signature validates without its parameters")
	}
}

func TestValidRejectsEveryByteChange(t *testing.T) {
	params := withReason()
	params.Set("Body", "您好 ئۇيغۇرچە & <ok>")
	sig := Signature(vecToken, vecURL, params)
	for k, vs := range params {
		for i := range len(vs[0]) {
			for _, key := range []bool{false, true} {
				p := url.Values{}
				for k2, v2 := range params {
					p[k2] = v2
				}
				if key {
					if i >= len(k) {
						continue
					}
					b := []byte(k)
					b[i] ^= 0x01
					delete(p, k)
					p[string(b)] = vs
				} else {
					b := []byte(vs[0])
					b[i] ^= 0x01
					p[k] = []string{string(b)}
				}
				if Valid(vecToken, vecURL, p, sig) {
					t.Errorf("changed byte %d of %s (key %v) still validates", i, k, key)
				}
			}
		}
	}
	for i := range len(vecURL) {
		b := []byte(vecURL)
		b[i] ^= 0x01
		if Valid(vecToken, string(b), params, sig) {
			t.Errorf("URL %q validates", b)
		}
	}
}

func FuzzValid(f *testing.F) {
	f.Add("Hello", uint(0), byte('h'))
	f.Add("您好", uint(1), byte(0))
	f.Add("ئۇيغۇرچە", uint(7), byte('x'))
	f.Fuzz(func(t *testing.T, body string, pos uint, b byte) {
		params := pythonParams()
		params.Set("Body", body)
		sig := Signature(vecToken, vecURL, params)
		if !Valid(vecToken, vecURL, params, sig) {
			t.Fatal("own signature does not validate")
		}
		if body == "" {
			return
		}
		changed := []byte(body)
		changed[pos%uint(len(changed))] = b
		if string(changed) == body {
			return
		}
		params.Set("Body", string(changed))
		if Valid(vecToken, vecURL, params, sig) {
			t.Fatalf("changed body %q validates", changed)
		}
	})
}

func TestValidJSON(t *testing.T) {
	const sig = "a9nBmqA0ju/hNViExpshrM61xv4="
	u := vecURL + "&bodySHA256=" + vecHash
	tests := []struct {
		name, url, body, sig string
		want                 bool
	}{
		{"official vector", u, vecJSON, sig, true},
		{"with :443", "https://mycompany.com:443/myapp.php?foo=1&bar=2&bodySHA256=" + vecHash, vecJSON, sig, true},
		{"URL case matters", strings.ToUpper(u), vecJSON, sig, false},
		{"body changed", u, `{"property": "value", "boolean": false}`, sig, false},
		{"no bodySHA256", vecURL, vecJSON, Signature(vecToken, vecURL, nil), false},
		{"wrong signature", u, vecJSON, "NBdBDr/T/lgjI+tlgpXjKZQZs/k=", false},
		{"bad URL", "%zz", vecJSON, sig, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidJSON(vecToken, tt.url, []byte(tt.body), tt.sig); got != tt.want {
				t.Errorf("ValidJSON = %v, want %v", got, tt.want)
			}
		})
	}
}

// verifyServer answers 200 with the verified params as JSON, 403 for
// ErrSignature, 413 for ErrTooLarge.
func verifyServer(t *testing.T, publicBase string) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		params, err := VerifyRequest(vecToken, publicBase, r)
		switch {
		case errors.Is(err, ErrSignature):
			http.Error(w, err.Error(), http.StatusForbidden)
		case errors.Is(err, ErrTooLarge):
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		case err != nil:
			http.Error(w, err.Error(), http.StatusBadRequest)
		default:
			rest := new(bytes.Buffer)
			rest.ReadFrom(r.Body)
			json.NewEncoder(w).Encode(map[string]any{
				"params": params, "form_body": r.FormValue("Body"), "form_lang": r.FormValue("lang"), "body": rest.String(),
			})
		}
	}))
	t.Cleanup(ts.Close)
	return ts
}

func TestVerifyRequest(t *testing.T) {
	const public = "https://hotline.example.cn/tongxin"
	ts := verifyServer(t, public)
	form := url.Values{"MessageSid": {"SM0123"}, "From": {"+8613800000000"}, "Body": {"你好 & <ئۇيغۇر>"}}
	jsonPublic := public + "/sms/json?bodySHA256=" + vecHash
	tests := []struct {
		name        string
		path        string // path and query on our server
		contentType string
		body        string
		sig         string // "" sends no header
		status      int
		wantParams  url.Values
	}{
		{name: "form, signed over the public URL with path prefix and query", path: "/sms/inbound?lang=ug",
			contentType: "application/x-www-form-urlencoded; charset=UTF-8", body: form.Encode(),
			sig: Signature(vecToken, public+"/sms/inbound?lang=ug", form), status: 200, wantParams: form},
		{name: "public URL with :443", path: "/sms/inbound",
			contentType: "application/x-www-form-urlencoded", body: form.Encode(),
			sig: Signature(vecToken, "https://hotline.example.cn:443/tongxin/sms/inbound", form), status: 200, wantParams: form},
		{name: "escaped path", path: "/sms/a%20b",
			contentType: "application/x-www-form-urlencoded", body: form.Encode(),
			sig: Signature(vecToken, public+"/sms/a%20b", form), status: 200, wantParams: form},
		{name: "query params are not signed as params", path: "/sms/inbound?lang=ug",
			contentType: "application/x-www-form-urlencoded", body: form.Encode(),
			sig: Signature(vecToken, public+"/sms/inbound", url.Values{"lang": {"ug"}, "MessageSid": {"SM0123"}, "From": {"+8613800000000"}, "Body": {"你好 & <ئۇيغۇر>"}}), status: 403},
		{name: "signed over r.Host, not the public URL", path: "/sms/inbound",
			contentType: "application/x-www-form-urlencoded", body: form.Encode(),
			sig: Signature(vecToken, ts.URL+"/sms/inbound", form), status: 403},
		{name: "signed without the path prefix", path: "/sms/inbound",
			contentType: "application/x-www-form-urlencoded", body: form.Encode(),
			sig: Signature(vecToken, "https://hotline.example.cn/sms/inbound", form), status: 403},
		{name: "no signature", path: "/sms/inbound",
			contentType: "application/x-www-form-urlencoded", body: form.Encode(), status: 403},
		{name: "tampered body", path: "/sms/inbound",
			contentType: "application/x-www-form-urlencoded", body: strings.Replace(form.Encode(), "SM0123", "SM0124", 1),
			sig: Signature(vecToken, public+"/sms/inbound", form), status: 403},
		{name: "too large", path: "/sms/inbound",
			contentType: "application/x-www-form-urlencoded", body: "Body=" + strings.Repeat("a", MaxWebhookBody),
			sig: "x", status: 413},
		{name: "bad form", path: "/sms/inbound",
			contentType: "application/x-www-form-urlencoded", body: "a=%zz",
			sig: "x", status: 400},
		{name: "JSON body with bodySHA256", path: "/sms/json?bodySHA256=" + vecHash,
			contentType: "application/json", body: vecJSON,
			sig: Signature(vecToken, jsonPublic, nil), status: 200, wantParams: url.Values{}},
		{name: "JSON body changed", path: "/sms/json?bodySHA256=" + vecHash,
			contentType: "application/json", body: `{"property": "other"}`,
			sig: Signature(vecToken, jsonPublic, nil), status: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, ts.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", tt.contentType)
			if tt.sig != "" {
				req.Header.Set(SignatureHeader, tt.sig)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.status {
				var b bytes.Buffer
				b.ReadFrom(resp.Body)
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, strings.TrimSpace(b.String()), tt.status)
			}
			if tt.status != 200 {
				return
			}
			var got struct {
				Params   url.Values `json:"params"`
				FormBody string     `json:"form_body"`
				FormLang string     `json:"form_lang"`
				Body     string     `json:"body"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			if len(got.Params) != len(tt.wantParams) {
				t.Errorf("params %v, want %v", got.Params, tt.wantParams)
			}
			for k := range tt.wantParams {
				if got.Params.Get(k) != tt.wantParams.Get(k) {
					t.Errorf("param %s = %q, want %q", k, got.Params.Get(k), tt.wantParams.Get(k))
				}
			}
			if got.FormBody != tt.wantParams.Get("Body") {
				t.Errorf("r.FormValue(Body) = %q", got.FormBody)
			}
			if strings.Contains(tt.path, "lang=ug") && got.FormLang != "ug" {
				t.Errorf("r.FormValue(lang) = %q", got.FormLang)
			}
			if got.Body != tt.body {
				t.Errorf("r.Body afterwards = %q, want %q", got.Body, tt.body)
			}
		})
	}
}

func TestVerifyRequestTrailingSlash(t *testing.T) {
	form := url.Values{"Body": {"hi"}}
	req := httptest.NewRequest(http.MethodPost, "/sms", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(SignatureHeader, Signature(vecToken, "https://hotline.example.cn/sms", form))
	if _, err := VerifyRequest(vecToken, "https://hotline.example.cn/", req); err != nil {
		t.Fatalf("VerifyRequest: %v", err)
	}
}
