package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// clearLine returns the cursor to the start of the line and erases it.
const clearLine = "\r\x1b[K"

// liveLine coordinates what is drawn in place on stderr: a spinner never
// draws while a progress bar or a countdown owns the line.
type liveLine struct {
	mu    sync.Mutex
	owned bool
}

// Bar draws filled of total as a bar of width cells: "█████░░░░░".
func Bar(filled, total, width int) string {
	if width <= 0 {
		return ""
	}
	n := 0
	if total > 0 {
		n = min(max(filled, 0), total) * width / total
		if filled > 0 && n == 0 {
			n = 1 // something left shows as something
		}
	}
	return strings.Repeat("█", n) + strings.Repeat("░", width-n)
}

// UsageBar is a rate-limit budget: the requests remaining of limit, as a bar
// coloured by how much is left, and the numbers.
func UsageBar(cs *ColorScheme, remaining, limit int) string {
	bar := Bar(remaining, limit, 20)
	style := cs.Success
	switch {
	case limit > 0 && remaining*10 <= limit:
		style = cs.Failure
	case limit > 0 && remaining*2 <= limit:
		style = cs.Warning
	}
	return fmt.Sprintf("%s %d of %d left", style(bar), remaining, limit)
}

// Progress is a progress bar drawn in place on stderr while a terminal shows
// it; elsewhere it draws nothing. Finish erases it.
type Progress struct {
	s     *IOStreams
	label string
	total int
	on    bool
}

// NewProgress starts a progress bar of total steps.
func (s *IOStreams) NewProgress(label string, total int) *Progress {
	p := &Progress{s: s, label: label, total: total, on: s.stderrTTY}
	if p.on {
		s.live.mu.Lock()
		s.live.owned = true
		s.live.mu.Unlock()
		p.Set(0, "")
	}
	return p
}

// Set draws done of total steps, with a note after the count.
func (p *Progress) Set(done int, note string) {
	if !p.on {
		return
	}
	cs := p.s.ErrColorScheme()
	line := fmt.Sprintf("%s %s %d/%d", p.label, cs.Accent(Bar(done, p.total, 30)), done, p.total)
	if note != "" {
		line += "  " + cs.Muted(note)
	}
	fmt.Fprint(p.s.ErrOut, clearLine+line)
}

// Finish erases the bar and gives the line back.
func (p *Progress) Finish() {
	if !p.on {
		return
	}
	fmt.Fprint(p.s.ErrOut, clearLine)
	p.s.live.mu.Lock()
	p.s.live.owned = false
	p.s.live.mu.Unlock()
	p.on = false
}

// spinnerFrames are drawn one every spinnerTick.
var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

const spinnerTick = 100 * time.Millisecond

// SpinnerDelay is how long a call runs before the spinner shows: quick calls
// never flash one.
const SpinnerDelay = 300 * time.Millisecond

// Busy shows a spinner on stderr while a call takes longer than
// SpinnerDelay, when stderr is a terminal and nothing else is drawn there;
// the function it returns stops and erases it. Piped, it does nothing.
func (s *IOStreams) Busy() (done func()) {
	if !s.stderrTTY {
		return func() {}
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTimer(SpinnerDelay)
		defer t.Stop()
		select {
		case <-stop:
			return
		case <-t.C:
		}
		s.live.mu.Lock()
		if s.live.owned {
			s.live.mu.Unlock()
			return
		}
		s.live.owned = true
		s.live.mu.Unlock()
		defer func() {
			fmt.Fprint(s.ErrOut, clearLine)
			s.live.mu.Lock()
			s.live.owned = false
			s.live.mu.Unlock()
		}()
		tick := time.NewTicker(spinnerTick)
		defer tick.Stop()
		cs := s.ErrColorScheme()
		for i := 0; ; i++ {
			fmt.Fprint(s.ErrOut, clearLine+cs.Accent(spinnerFrames[i%len(spinnerFrames)])+" "+cs.Muted("waiting for the API…"))
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-finished
		})
	}
}

// Countdown waits d, showing on stderr "label 37s" counting down each second
// on a terminal, or one line saying how long otherwise. sleep waits (tests
// inject one that returns at once); it stops early when ctx is done.
func (s *IOStreams) Countdown(ctx context.Context, label string, d time.Duration, sleep func(context.Context, time.Duration) error) error {
	if !s.stderrTTY {
		fmt.Fprintf(s.ErrOut, "%s %s\n", label, FormatSeconds(d))
		return sleep(ctx, d)
	}
	s.live.mu.Lock()
	s.live.owned = true
	s.live.mu.Unlock()
	defer func() {
		fmt.Fprint(s.ErrOut, clearLine)
		s.live.mu.Lock()
		s.live.owned = false
		s.live.mu.Unlock()
	}()
	cs := s.ErrColorScheme()
	for left := d; left > 0; {
		fmt.Fprint(s.ErrOut, clearLine+cs.Warning(label)+" "+cs.Bold(FormatSeconds(left)))
		step := min(left, time.Second)
		if left%time.Second != 0 {
			step = left % time.Second
		}
		if err := sleep(ctx, step); err != nil {
			return err
		}
		left -= step
	}
	return nil
}

// FormatSeconds is a wait as people read it: "37s", "1m05s"; below a second,
// "1s" (a wait is never shown as 0s).
func FormatSeconds(d time.Duration) string {
	sec := int((d + time.Second - 1) / time.Second)
	if sec < 1 {
		sec = 1
	}
	if sec < 60 {
		return fmt.Sprintf("%ds", sec)
	}
	return fmt.Sprintf("%dm%02ds", sec/60, sec%60)
}
