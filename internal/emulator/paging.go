package emulator

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/zupy/zupy-cli/internal/emulator/store"
	"github.com/zupy/zupy-cli/internal/wire"
)

// keyCursor is where a walk of the key list stands (docs/api.md "Pages"):
// when the walk began (the first page's time, by which keys are chosen and
// their status judged) and the last key answered. It travels as an opaque
// ?cursor=.
type keyCursor struct {
	at    time.Time
	after store.KeyPosition
}

const cursorVersion = "k1"

func (c keyCursor) String() string {
	raw := fmt.Sprintf("%s.%d.%d.%d", cursorVersion, c.at.UnixNano(), c.after.CreatedAt.UnixNano(), c.after.Row)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func parseCursor(s string) (keyCursor, error) {
	bad := validation("cursor", "is not a cursor this server gave (use next_cursor as it came)")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return keyCursor{}, bad
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 4 || parts[0] != cursorVersion {
		return keyCursor{}, bad
	}
	var n [3]int64
	for i, p := range parts[1:] {
		if n[i], err = strconv.ParseInt(p, 10, 64); err != nil || n[i] <= 0 {
			return keyCursor{}, bad
		}
	}
	return keyCursor{at: time.Unix(0, n[0]).UTC(), after: store.KeyPosition{CreatedAt: time.Unix(0, n[1]).UTC(), Row: n[2]}}, nil
}

// pageParams reads ?limit= (1–1000, default 100) and ?cursor= (absent: a
// new walk beginning at now).
func pageParams(q url.Values, now time.Time) (int, keyCursor, error) {
	limit := wire.DefaultPageLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > wire.MaxPageLimit {
			return 0, keyCursor{}, validation("limit", fmt.Sprintf("must be a whole number from 1 to %d", wire.MaxPageLimit))
		}
		limit = n
	}
	if v := q.Get("cursor"); v != "" {
		c, err := parseCursor(v)
		return limit, c, err
	}
	return limit, keyCursor{at: now}, nil
}

// nextCursor is the next_cursor of a page of walk c that ended at last:
// nil when no key follows.
func nextCursor(c keyCursor, last store.KeyPosition, more bool) *string {
	if !more {
		return nil
	}
	s := keyCursor{at: c.at, after: last}.String()
	return &s
}
