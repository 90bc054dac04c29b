package api

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestFileBodyIsStreamedWithItsLengthAndOpenedAgainForARetry(t *testing.T) {
	calls := 0
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
		calls++
		if r.ContentLength != 11 {
			t.Errorf("Content-Length %d, want 11", r.ContentLength)
		}
		if calls == 1 {
			reply(w, http.StatusServiceUnavailable, "")
			return
		}
		reply(w, http.StatusOK, `{}`)
	})
	opened := 0
	body := &FileBody{Size: 11, Open: func() (io.ReadCloser, error) {
		opened++
		// More than Size: a file that grew since it was measured.
		return io.NopCloser(strings.NewReader(`{"a":"bcd"}` + "grown")), nil
	}}
	if _, err := f.client.Raw(context.Background(), Request{Method: http.MethodGet, Path: "/x", Body: body}); err != nil {
		t.Fatal(err)
	}
	reqs := f.rec.all()
	if len(reqs) != 2 || opened != 2 {
		t.Fatalf("%d requests, file opened %d times: want 2 and 2", len(reqs), opened)
	}
	for _, r := range reqs {
		if string(r.Body) != `{"a":"bcd"}` {
			t.Errorf("body %q, want the file's first 11 bytes", r.Body)
		}
	}
}
