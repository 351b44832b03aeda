package twilio

import (
	"encoding/xml"
	"net/http"
)

// Verb is a TwiML verb that can appear in a Response: *Message, *Say,
// *Play, *Gather, *Record, *Redirect, *Pause or *Hangup (values work too).
type Verb interface{ verb() }

// Nested is a verb allowed inside <Gather>: Say, Play or Pause.
type Nested interface {
	Verb
	nested()
}

// Response is a TwiML document. Its verbs run in order.
type Response struct {
	XMLName xml.Name `xml:"Response"`
	Verbs   []Verb
}

// Message replies with an SMS.
type Message struct {
	XMLName xml.Name `xml:"Message"`
	Body    string   `xml:",chardata"`
}

// Say reads Text with text-to-speech. Language is BCP-47 ("cmn-CN"); an
// invalid combination of Voice and Language is an error at Twilio, and no
// TTS speaks Uyghur, Tibetan or Mongolian: use Play for those.
type Say struct {
	XMLName  xml.Name `xml:"Say"`
	Text     string   `xml:",chardata"`
	Language string   `xml:"language,attr,omitempty"`
	Voice    string   `xml:"voice,attr,omitempty"`
}

// Play plays the audio at URL, Loop times (0: once; Twilio reads
// loop="0" as forever, which we never want by accident).
type Play struct {
	XMLName xml.Name `xml:"Play"`
	URL     string   `xml:",chardata"`
	Loop    int      `xml:"loop,attr,omitempty"`
}

// Gather collects DTMF digits or speech while its children play, then
// requests Action with Digits (or SpeechResult and Confidence). Zero fields
// take Twilio's defaults: action the current URL, method POST, timeout 5s,
// finishOnKey '#', input dtmf. Put a Redirect after it: without input,
// execution falls through.
type Gather struct {
	XMLName             xml.Name `xml:"Gather"`
	Input               string   `xml:"input,attr,omitempty"` // "dtmf", "speech" or "dtmf speech"
	Action              string   `xml:"action,attr,omitempty"`
	Method              string   `xml:"method,attr,omitempty"`
	Timeout             int      `xml:"timeout,attr,omitempty"` // seconds
	NumDigits           int      `xml:"numDigits,attr,omitempty"`
	FinishOnKey         string   `xml:"finishOnKey,attr,omitempty"`
	Language            string   `xml:"language,attr,omitempty"` // for speech input
	ActionOnEmptyResult bool     `xml:"actionOnEmptyResult,attr,omitempty"`
	Children            []Nested
}

// Record records the caller, then requests Action with RecordingUrl,
// RecordingSid, RecordingDuration and Digits (the key that ended it).
// Recording needs a consent notice first. PlayBeep nil means Twilio's
// default (true); Trim is "trim-silence" or "do-not-trim".
type Record struct {
	XMLName                 xml.Name `xml:"Record"`
	Action                  string   `xml:"action,attr,omitempty"`
	Method                  string   `xml:"method,attr,omitempty"`
	Timeout                 int      `xml:"timeout,attr,omitempty"` // seconds of silence that end it
	PlayBeep                *bool    `xml:"playBeep,attr,omitempty"`
	FinishOnKey             string   `xml:"finishOnKey,attr,omitempty"`
	MaxLength               int      `xml:"maxLength,attr,omitempty"` // seconds
	RecordingStatusCallback string   `xml:"recordingStatusCallback,attr,omitempty"`
	Trim                    string   `xml:"trim,attr,omitempty"`
}

// Redirect continues the call with the TwiML at URL.
type Redirect struct {
	XMLName xml.Name `xml:"Redirect"`
	Method  string   `xml:"method,attr,omitempty"`
	URL     string   `xml:",chardata"`
}

// Pause waits Length seconds (Twilio's default: 1).
type Pause struct {
	XMLName xml.Name `xml:"Pause"`
	Length  int      `xml:"length,attr,omitempty"`
}

// Hangup ends the call.
type Hangup struct {
	XMLName xml.Name `xml:"Hangup"`
}

func (Message) verb()  {}
func (Say) verb()      {}
func (Play) verb()     {}
func (Gather) verb()   {}
func (Record) verb()   {}
func (Redirect) verb() {}
func (Pause) verb()    {}
func (Hangup) verb()   {}

func (Say) nested()   {}
func (Play) nested()  {}
func (Pause) nested() {}

// Bytes returns the document with its XML declaration. Text is escaped;
// characters XML cannot carry become U+FFFD.
func (r *Response) Bytes() []byte {
	out, err := xml.Marshal(r)
	if err != nil {
		// Every Verb is one of this package's types, which always marshal.
		panic("twilio: marshal TwiML: " + err.Error())
	}
	return append([]byte(xml.Header[:len(xml.Header)-1]), out...)
}

// ServeHTTP writes the document as a webhook's answer.
func (r *Response) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Write(r.Bytes())
}
