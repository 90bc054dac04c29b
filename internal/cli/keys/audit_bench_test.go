package keys

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/emulator"
	"github.com/zupy/zupy-cli/internal/emulator/store"
)

// BenchmarkAuditTenThousandKeys measures `keys audit -o json` over a
// partner of 10,000 keys, each with an hour of traffic (ten minutes of
// requests, two scopes held and one used, a client address), served by the
// real emulator on SQLite in a temp dir over loopback: the key list's pages
// and the usage summary's, then the checks. The rows are written straight
// to the store before the emulator serves them. It reports audit_s (the
// goal: under 2 s). Run it with -benchtime=1x: the session's request budget
// is a minute's.
func BenchmarkAuditTenThousandKeys(b *testing.B) {
	const nKeys = 10_000
	ctx := context.Background()
	dir := b.TempDir()
	srv, err := emulator.Open(ctx, emulator.Config{DataDir: dir}) // the demo partner
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(ctx, store.Options{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	partner, err := st.FirstPartner(ctx)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	err = st.Update(ctx, func(tx *store.Tx) error {
		var minutes []store.UsageMinute
		var ips []store.UsageIP
		for i := range nKeys {
			id := fmt.Sprintf("key_%012d", i)
			k := store.Key{ID: id, SecretHash: fmt.Sprintf("hash%d", i), PartnerID: partner.ID, LineageID: fmt.Sprintf("lin_%d", i),
				Name: "scale", Permissions: []string{"loyalty:read", "customer:read"}, RateLimit: 100, Environment: "production",
				IPRestrictions: []string{}, KeyHint: "zup_live_sk_…0000",
				CreatedAt: now.Add(-time.Duration(40*24*60*60+i) * time.Second), ExpiresAt: now.Add(time.Duration(i%400) * 24 * time.Hour)}
			if err := tx.InsertKey(ctx, k); err != nil {
				return err
			}
			if i%10 == 0 {
				continue // a tenth unused
			}
			for m := range 10 {
				minutes = append(minutes, store.UsageMinute{KeyID: id, Start: now.Add(-time.Duration(m+1) * time.Minute).Truncate(time.Minute),
					Counts: store.UsageCounts{Requests: 5, OK: 4, RateLimited: int64(i % 2)}, Scopes: map[string]int64{"loyalty:read": 4}})
			}
			ips = append(ips, store.UsageIP{KeyID: id, IP: "203.0.113.7", Requests: 50, LastSeen: now.Add(-time.Minute)})
		}
		return tx.AddUsageStats(ctx, minutes, ips)
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	srv, err = emulator.Open(ctx, emulator.Config{DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	b.Cleanup(func() { hs.Close(); srv.Close() })
	token := benchLogin(b, hs.URL+"/v1")

	f, out, _ := clitest.Factory(map[string]string{"ZUPY_BASE_URL": hs.URL + "/v1", "ZUPY_SESSION_TOKEN": token}, "")
	opts := &AuditOptions{IO: f.IOStreams, Now: time.Now, Client: f.Client, Resolver: f.Resolve.Credentials, Output: "json",
		Since: 30 * 24 * time.Hour, MaxAge: 90 * 24 * time.Hour, ExitCode: 1}
	var took time.Duration
	b.ResetTimer()
	for b.Loop() {
		out.Reset()
		start := time.Now()
		if err := auditRun(ctx, opts); err != nil {
			b.Fatal(err)
		}
		took = time.Since(start)
	}
	b.StopTimer()
	if out.Len() < nKeys*100 {
		b.Fatalf("the audit printed %d bytes for %d keys", out.Len(), nKeys)
	}
	b.ReportMetric(took.Seconds(), "audit_s")
	b.ReportMetric(0, "ns/op")
	b.Logf("keys audit over %d keys with usage: %s (%d bytes of JSON)", nKeys, took.Round(time.Millisecond), out.Len())
}

// benchLogin logs the demo partner in through the real OTP routes.
func benchLogin(b *testing.B, base string) string {
	ctx := context.Background()
	c := api.New(api.Options{BaseURL: base})
	ch, _, err := c.RequestOTP(ctx, api.OTPRequest{Channel: "email", Destination: emulator.DefaultPartnerEmail}, false)
	if err != nil {
		b.Fatal(err)
	}
	box, _, err := c.Outbox(ctx, emulator.DefaultPartnerEmail)
	if err != nil || len(box.Messages) == 0 {
		b.Fatalf("outbox: %v", err)
	}
	login, _, err := c.VerifyOTP(ctx, api.OTPVerifyRequest{VerificationID: ch.VerificationID, Code: box.Messages[len(box.Messages)-1].Code})
	if err != nil {
		b.Fatal(err)
	}
	return login.SessionToken
}
