package emulator

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/zupy/zupy-cli/internal/contact"
	"github.com/zupy/zupy-cli/internal/wire"
)

// outboxCapacity bounds the messages kept; the oldest go first.
const outboxCapacity = 1000

// outbox holds the OTP messages the emulator "sent", codes included. It lives
// in memory only, never in SQLite, so the data directory holds no secret in
// clear; a restart empties it (the codes are then unusable anyway, having no
// clear copy). Each message is also printed to the Messages writer, the
// stand-in for the phone and the mailbox. Never to the Logger.
type outbox struct {
	mu       sync.Mutex
	messages []wire.OutboxMessage
	out      io.Writer
	// used marks the messages whose code logged someone in (by index into
	// messages), for the dashboard: a used code is no longer the one to type.
	used map[int]bool
}

// markUsed marks the newest message still unexpired at now whose code is
// code as used. Codes are random: two live messages with one code are a
// one-in-a-million chance, and then the newer is marked.
func (o *outbox) markUsed(code string, now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.messages) - 1; i >= 0; i-- {
		m := o.messages[i]
		if m.Code == code && now.Before(m.SentAt.Add(otpTTL(contact.Channel(m.Channel)))) {
			if o.used == nil {
				o.used = map[int]bool{}
			}
			o.used[i] = true
			return
		}
	}
}

// listUsed is list("") with, for each message, whether its code was used.
func (o *outbox) listUsed() ([]wire.OutboxMessage, []bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	used := make([]bool, len(o.messages))
	for i := range o.messages {
		used[i] = o.used[i]
	}
	return append([]wire.OutboxMessage{}, o.messages...), used
}

func newOutbox(out io.Writer) *outbox {
	if out == nil {
		out = io.Discard
	}
	return &outbox{out: out}
}

// deliver records and prints one message.
func (o *outbox) deliver(ch contact.Channel, dest, code string, ttl time.Duration, at time.Time) {
	text := messageText(ch, dest, code, ttl)
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.messages) == outboxCapacity {
		o.messages = append(o.messages[:0], o.messages[1:]...)
		shifted := map[int]bool{}
		for i := range o.used {
			if i > 0 {
				shifted[i-1] = true
			}
		}
		o.used = shifted
	}
	o.messages = append(o.messages, wire.OutboxMessage{Channel: string(ch), Destination: dest, Code: code, Text: text, SentAt: at})
	banner := "WhatsApp message to " + dest
	if ch == contact.Email {
		banner = "E-mail to " + dest
	}
	fmt.Fprintf(o.out, "── %s ──\n%s\n\n", banner, text)
}

// list returns the messages, oldest first, to dest only when it is not empty.
func (o *outbox) list(dest string) []wire.OutboxMessage {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := []wire.OutboxMessage{}
	for _, m := range o.messages {
		if dest == "" || m.Destination == dest {
			out = append(out, m)
		}
	}
	return out
}

func (o *outbox) clear() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.messages, o.used = nil, nil
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
