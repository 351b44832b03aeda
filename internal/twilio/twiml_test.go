package twilio

import (
	"encoding/xml"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

const decl = `<?xml version="1.0" encoding="UTF-8"?>`

// canonical renders an XML document as a token list with sorted attributes,
// so that <a x="1" y="2"/> equals <a y="2" x="1"></a>.
func canonical(t *testing.T, doc string) string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	var b strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return b.String()
		}
		if err != nil {
			t.Fatalf("parse %q: %v", doc, err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			attrs := make([]string, 0, len(tok.Attr))
			for _, a := range tok.Attr {
				attrs = append(attrs, a.Name.Local+"="+a.Value)
			}
			slices.Sort(attrs)
			b.WriteString("<" + tok.Name.Local + " " + strings.Join(attrs, " ") + ">")
		case xml.EndElement:
			b.WriteString("</" + tok.Name.Local + ">")
		case xml.CharData:
			b.WriteString("[" + string(tok) + "]")
		case xml.ProcInst:
			b.WriteString("<?" + tok.Target + " " + string(tok.Inst) + "?>")
		}
	}
}

func TestTwiML(t *testing.T) {
	tests := []struct {
		name  string
		resp  Response
		want  string // verified twilio-go output or a hand-written equivalent
		exact bool   // byte-for-byte, not only the same parsed document
	}{
		{
			name:  "message (verified twilio-go)",
			resp:  Response{Verbs: []Verb{Message{Body: "您好 / Salam"}}},
			want:  decl + `<Response><Message>您好 / Salam</Message></Response>`,
			exact: true,
		},
		{
			name: "gather with say, then redirect (verified twilio-go)",
			resp: Response{Verbs: []Verb{
				&Gather{Input: "dtmf", Action: "/ivr/menu", Timeout: 5, NumDigits: 1, Children: []Nested{Say{Text: "按1继续", Language: "cmn-CN"}}},
				&Redirect{URL: "/ivr/start"},
			}},
			want:  decl + `<Response><Gather input="dtmf" action="/ivr/menu" timeout="5" numDigits="1"><Say language="cmn-CN">按1继续</Say></Gather><Redirect>/ivr/start</Redirect></Response>`,
			exact: true,
		},
		{
			name: "record (verified twilio-go)",
			resp: Response{Verbs: []Verb{Record{Action: "/ivr/rec", PlayBeep: new(true), FinishOnKey: "#", MaxLength: 60}}},
			want: decl + `<Response><Record action="/ivr/rec" playBeep="true" finishOnKey="#" maxLength="60"/></Response>`,
		},
		{
			name:  "empty",
			resp:  Response{},
			want:  decl + `<Response></Response>`,
			exact: true,
		},
		{
			name: "every verb and attribute",
			resp: Response{Verbs: []Verb{
				Say{Text: "Salam", Language: "tr-TR", Voice: "Polly.Filiz"},
				Play{URL: "https://cdn.example.cn/ug/welcome.mp3", Loop: 2},
				Gather{Input: "dtmf speech", Action: "/ivr/menu?lang=ug", Method: "POST", Timeout: 7, NumDigits: 1,
					FinishOnKey: "*", Language: "cmn-CN", ActionOnEmptyResult: true,
					Children: []Nested{Play{URL: "https://cdn.example.cn/ug/menu.mp3"}, Pause{Length: 2}, &Say{Text: "请按键"}}},
				Record{Action: "/ivr/rec", Method: "POST", Timeout: 3, PlayBeep: new(false), FinishOnKey: "#*",
					MaxLength: 120, RecordingStatusCallback: "/ivr/rec/status", Trim: "trim-silence"},
				Redirect{URL: "/ivr/start", Method: "GET"},
				Pause{},
				Hangup{},
			}},
			want: decl + `<Response><Say language="tr-TR" voice="Polly.Filiz">Salam</Say>` +
				`<Play loop="2">https://cdn.example.cn/ug/welcome.mp3</Play>` +
				`<Gather input="dtmf speech" action="/ivr/menu?lang=ug" method="POST" timeout="7" numDigits="1" finishOnKey="*" language="cmn-CN" actionOnEmptyResult="true">` +
				`<Play>https://cdn.example.cn/ug/menu.mp3</Play><Pause length="2"/><Say>请按键</Say></Gather>` +
				`<Record action="/ivr/rec" method="POST" timeout="3" playBeep="false" finishOnKey="#*" maxLength="120" recordingStatusCallback="/ivr/rec/status" trim="trim-silence"/>` +
				`<Redirect method="GET">/ivr/start</Redirect><Pause/><Hangup/></Response>`,
		},
		{
			name: "text is escaped",
			resp: Response{Verbs: []Verb{
				Message{Body: `1 < 2 & "引号" ئۇيغۇرچە </Message>`},
				Redirect{URL: "/ivr?a=1&b=2"},
			}},
			want:  decl + `<Response><Message>1 &lt; 2 &amp; &#34;引号&#34; ئۇيغۇرچە &lt;/Message&gt;</Message><Redirect>/ivr?a=1&amp;b=2</Redirect></Response>`,
			exact: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(tt.resp.Bytes())
			if tt.exact && got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if c, w := canonical(t, got), canonical(t, tt.want); c != w {
				t.Errorf("parsed documents differ:\ngot  %s\nwant %s", c, w)
			}
		})
	}
}

func TestTwiMLRoundTrip(t *testing.T) {
	texts := []string{"<b>&amp;</b>", "您好，请说明您的问题。", "ياخشىمۇسىز، مەسىلىڭىزنى سۆزلەڭ", "བཀྲ་ཤིས་བདེ་ལེགས།", "ᠰᠠᠢᠨ ᠪᠠᠢᠨ᠎ᠠ ᠤᠤ", "line1\nline2\ttab"}
	for _, text := range texts {
		doc := (&Response{Verbs: []Verb{Say{Text: text}}}).Bytes()
		var got struct {
			Say string `xml:"Say"`
		}
		if err := xml.Unmarshal(doc, &got); err != nil {
			t.Fatalf("unmarshal %s: %v", doc, err)
		}
		if got.Say != text {
			t.Errorf("round trip of %q gave %q", text, got.Say)
		}
	}
	// Characters XML cannot carry are replaced, not left to break the document.
	doc := (&Response{Verbs: []Verb{Message{Body: "a\x00b"}}}).Bytes()
	if want := decl + "<Response><Message>a\uFFFDb</Message></Response>"; string(doc) != want {
		t.Errorf("got %s, want %s", doc, want)
	}
}

func TestResponseServeHTTP(t *testing.T) {
	w := httptest.NewRecorder()
	(&Response{Verbs: []Verb{Message{Body: "ok"}}}).ServeHTTP(w, httptest.NewRequest("POST", "/sms", nil))
	if ct := w.Header().Get("Content-Type"); ct != "text/xml; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if want := decl + "<Response><Message>ok</Message></Response>"; w.Body.String() != want {
		t.Errorf("body %s, want %s", w.Body, want)
	}
}
