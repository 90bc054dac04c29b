package emulator

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/zupy/zupy-cli/internal/contact"
	"github.com/zupy/zupy-cli/internal/wire"
)

// outboxCapacity bounds the messages kept, and undeliveredCapacity the
// requests for unknown addresses; the oldest go first.
const (
	outboxCapacity      = 1000
	undeliveredCapacity = 100
)

// outbox holds the OTP messages the emulator "sent", codes included. It lives
// in memory only, never in SQLite, so the data directory holds no secret in
// clear; a restart empties it (the codes are then unusable anyway, having no
// clear copy). Each message is also printed to the Messages writer, the
// stand-in for the phone and the mailbox. Never to the Logger.
//
// It also keeps the codes asked for addresses no partner has (nothing is
// sent there), so that the emulator can say so where the API must not.
type outbox struct {
	mu          sync.Mutex
	messages    []outboxEntry
	undelivered []wire.UndeliveredOTP
	out         io.Writer
}

// outboxEntry is a message and what became of its code.
type outboxEntry struct {
	msg            wire.OutboxMessage
	verificationID string
	used           bool
}

func newOutbox(out io.Writer) *outbox {
	if out == nil {
		out = io.Discard
	}
	return &outbox{out: out}
}

// deliver records and prints one message, the code of verificationID.
func (o *outbox) deliver(ch contact.Channel, dest, code, verificationID string, ttl time.Duration, at time.Time) {
	text := messageText(ch, dest, code, ttl)
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.messages) == outboxCapacity {
		o.messages = append(o.messages[:0], o.messages[1:]...)
	}
	o.messages = append(o.messages, outboxEntry{verificationID: verificationID,
		msg: wire.OutboxMessage{Channel: string(ch), Destination: dest, Code: code, Text: text, SentAt: at, ExpiresAt: at.Add(ttl)}})
	banner := "WhatsApp message to " + dest
	if ch == contact.Email {
		banner = "E-mail to " + dest
	}
	fmt.Fprintf(o.out, "── %s ──\n%s\n\n", banner, text)
}

// refuse records a code asked for dest, which no partner has, and prints
// why nothing was sent where the messages go.
func (o *outbox) refuse(ch contact.Channel, dest, reason string, at time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.undelivered) == undeliveredCapacity {
		o.undelivered = append(o.undelivered[:0], o.undelivered[1:]...)
	}
	o.undelivered = append(o.undelivered, wire.UndeliveredOTP{Channel: string(ch), Destination: dest, RequestedAt: at, Reason: reason})
	fmt.Fprintf(o.out, "── Not sent: %s ──\n%s\n\n", dest, reason)
}

// markUsed records that the code of verificationID opened a session.
func (o *outbox) markUsed(verificationID string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.messages) - 1; i >= 0; i-- {
		if o.messages[i].verificationID == verificationID {
			o.messages[i].used = true
			return
		}
	}
}

// list returns the messages, oldest first, to dest only when it is not
// empty, each with its code's status at now; and the undelivered requests
// to dest.
func (o *outbox) list(dest string, now time.Time) wire.Outbox {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := wire.Outbox{Messages: []wire.OutboxMessage{}, Undelivered: []wire.UndeliveredOTP{}}
	latest := map[string]int{} // destination → index of its newest message
	for i, e := range o.messages {
		latest[e.msg.Destination] = i
	}
	for i, e := range o.messages {
		if dest != "" && e.msg.Destination != dest {
			continue
		}
		m := e.msg
		switch {
		case e.used:
			m.Status = wire.OTPUsed
		case latest[m.Destination] != i:
			m.Status = wire.OTPSuperseded
		case !now.Before(m.ExpiresAt):
			m.Status = wire.OTPExpired
		default:
			m.Status = wire.OTPValid
		}
		out.Messages = append(out.Messages, m)
	}
	for _, u := range o.undelivered {
		if dest == "" || u.Destination == dest {
			out.Undelivered = append(out.Undelivered, u)
		}
	}
	return out
}

func (o *outbox) clear() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.messages, o.undelivered = nil, nil
}

// messageText is the message in the wording of Zupy's WhatsApp message and
// e-mail (zupy-public-docs §4).
func messageText(ch contact.Channel, dest, code string, ttl time.Duration) string {
	body := fmt.Sprintf("Your verification code: %s\nThis code expires in %d minutes.\nDo not share this code with anyone.", code, int(ttl/time.Minute))
	if ch == contact.Email {
		return "From: noreply@zupy.com\nTo: " + dest + "\nSubject: Zupy Developer Verification\n\n" + body
	}
	return "Zupy Developer Verification\n" + body
}
