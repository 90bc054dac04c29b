package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestClientDoesNotFollowRedirectsWithTheToken(t *testing.T) {
	var leaked string
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked = r.Header.Get("Authorization")
		w.Write([]byte(`{}`))
	}))
	defer elsewhere.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/v1/auth/session", http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()

	c := New(Options{BaseURL: redirector.URL + "/v1"})
	_, _, err := c.Session(context.Background(), "zup_sess_redirecttestredirecttestredirecttest12")
	if leaked != "" {
		t.Fatalf("the token followed the redirect to another server")
	}
	apiErr, ok := err.(*Error)
	if !ok || apiErr.Status != http.StatusTemporaryRedirect {
		t.Fatalf("err = %v, want an *Error with status 307", err)
	}
}
