package ping

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/ui"
)

func TestNewCmdPingParsing(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		perms    []string
		count    int
		interval time.Duration
		wait     bool
		usage    string
	}{
		{args: nil, count: 1},
		{args: []string{"--permission", "loyalty:read", "--permission", "coupons:validate,loyalty:read"}, perms: []string{"loyalty:read", "coupons:validate"}, count: 1},
		{args: []string{"--count", "20", "--interval", "100ms", "--wait"}, count: 20, interval: 100 * time.Millisecond, wait: true},
		{args: []string{"--permission", "loyalty:fly"}, usage: `unknown scope "loyalty:fly"`},
		{args: []string{"--count", "0"}, usage: "invalid --count 0"},
		{args: []string{"--interval", "1s"}, usage: "--interval needs --count"},
		{args: []string{"--count", "2", "--interval", "-1s"}, usage: "must not be negative"},
	} {
		f := cmdutil.New(ui.Test(nil, &bytes.Buffer{}, &bytes.Buffer{}), func(string) string { return "" })
		var got *PingOptions
		cmd := NewCmdPing(f, func(o *PingOptions) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		err := cmd.Execute()
		if tc.usage != "" {
			if cmdutil.ExitCode(err) != cmdutil.ExitUsage || !strings.Contains(err.Error(), tc.usage) {
				t.Errorf("%v: err = %v, want usage error %q", tc.args, err, tc.usage)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if !slices.Equal(got.Permissions, tc.perms) || got.Count != tc.count || got.Interval != tc.interval || got.Wait != tc.wait {
			t.Errorf("%v: got %+v", tc.args, got)
		}
	}
}

func TestLatencySummaryUsesNearestRankP95(t *testing.T) {
	var all []attempt
	for i := 20; i >= 1; i-- { // 1ms…20ms, out of order
		all = append(all, attempt{latency: time.Duration(i) * time.Millisecond})
	}
	got := latencies(all)
	want := latencyJSON{Min: 1, Median: 10.5, P95: 19, Max: 20}
	if got != want {
		t.Fatalf("latencies = %+v, want %+v", got, want)
	}
	if one := latencies(all[:1]); one != (latencyJSON{20, 20, 20, 20}) {
		t.Fatalf("one sample = %+v", one)
	}
}

func TestWaitForFollowsTheServer(t *testing.T) {
	date := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		rl   api.RateLimitHeaders
		want time.Duration
	}{
		{api.RateLimitHeaders{RetryAfter: 42 * time.Second, Reset: date.Add(10 * time.Second)}, 42 * time.Second},
		{api.RateLimitHeaders{Reset: date.Add(38 * time.Second)}, 38 * time.Second},
		{api.RateLimitHeaders{}, time.Second},
	} {
		resp := &api.Response{Status: http.StatusTooManyRequests, Date: date, RateLimit: tc.rl}
		if got := waitFor(resp); got != tc.want {
			t.Errorf("waitFor(%+v) = %v, want %v", tc.rl, got, tc.want)
		}
	}
	resp := &api.Response{Date: date, RateLimit: api.RateLimitHeaders{RetryAfter: 38 * time.Second}}
	if got := freesUp(resp); got != "in 38s (at 2026-03-01T12:00:38Z)" {
		t.Errorf("freesUp = %q", got)
	}
}
