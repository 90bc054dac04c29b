package credentials

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

func TestKeyringKeepsSecretsUnderServiceZupyAndAccountName(t *testing.T) {
	b := newFakeBackend()
	s := NewKeyring(b, time.Second)
	ctx := context.Background()
	if err := s.Set(ctx, SessionAccount("default"), "zup_sess_abc"); err != nil {
		t.Fatal(err)
	}
	if got := b.entries[[2]string{"zupy", "default/session"}]; got != "zup_sess_abc" {
		t.Fatalf("backend entry zupy/default/session = %q, want the secret", got)
	}
	got, err := s.Get(ctx, "default/session")
	if err != nil || got != "zup_sess_abc" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if s.Location() != "keyring" {
		t.Fatalf("Location = %q", s.Location())
	}
}

func TestKeyringMissingEntryIsErrNotFound(t *testing.T) {
	s := NewKeyring(newFakeBackend(), time.Second)
	_, err := s.Get(context.Background(), "default/session")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing entry: %v, want ErrNotFound", err)
	}
	var ue *UnavailableError
	if errors.As(err, &ue) {
		t.Fatalf("a missing entry must not read as an unavailable keyring: %v", err)
	}
}

func TestKeyringDeleteOfMissingEntryIsNotAnError(t *testing.T) {
	s := NewKeyring(newFakeBackend(), time.Second)
	if err := s.Delete(context.Background(), "default/session"); err != nil {
		t.Fatalf("Delete of a missing entry: %v", err)
	}
}

func TestKeyringBackendFailuresAreUnavailableWithHint(t *testing.T) {
	dbusMissing := errors.New("The name org.freedesktop.secrets was not provided by any .service files")
	dial := fmt.Errorf("dial unix /run/user/0/bus: %w", syscall.ENOENT)
	for _, backendErr := range []error{dbusMissing, dial, keyring.ErrUnsupportedPlatform} {
		for _, op := range []string{"get", "set", "delete"} {
			t.Run(op+"/"+backendErr.Error(), func(t *testing.T) {
				b := newFakeBackend()
				b.err = backendErr
				s := NewKeyring(b, time.Second)
				ctx := context.Background()
				var err error
				switch op {
				case "get":
					_, err = s.Get(ctx, "work/session")
				case "set":
					err = s.Set(ctx, "work/session", "zup_sess_x")
				case "delete":
					err = s.Delete(ctx, "work/session")
				}
				var ue *UnavailableError
				if !errors.As(err, &ue) {
					t.Fatalf("err = %#v, want *UnavailableError", err)
				}
				if ue.Timeout || ue.Op != op || ue.Account != "work/session" {
					t.Fatalf("UnavailableError = %+v", ue)
				}
				if !errors.Is(err, backendErr) {
					t.Fatalf("the backend error is lost: %v", err)
				}
				if !strings.Contains(err.Error(), backendErr.Error()) || !strings.Contains(err.Error(), "work/session") {
					t.Fatalf("Error() = %q, want it to say why and for which account", err)
				}
				if strings.Contains(ue.Hint(), "--insecure-storage") {
					t.Errorf("Hint() = %q offers --insecure-storage without OfferFlag", ue.Hint())
				}
				ue.OfferFlag = true
				hint := ue.Hint()
				for _, want := range []string{"ZUPY_SESSION_TOKEN", "--insecure-storage", "zupy config set credential_store file", "credentials.yaml"} {
					if !strings.Contains(hint, want) {
						t.Errorf("Hint() = %q, missing %q", hint, want)
					}
				}
				// A session is not replaced by a key: the hint names the
				// session's variable only.
				if strings.Contains(hint, "ZUPY_API_KEY") {
					t.Errorf("Hint() = %q names ZUPY_API_KEY for a session", hint)
				}
				ue.Command = func(args string) string { return "zupy " + args + " --profile work" }
				if hint := ue.Hint(); !strings.Contains(hint, "`zupy config set credential_store file --profile work`") {
					t.Errorf("Hint() = %q does not use Command", hint)
				}
			})
		}
	}
}

func TestUnavailableHintNamesTheFileTheCLIOffers(t *testing.T) {
	ue := &UnavailableError{Op: "set", Account: "default/session", Err: errors.New("x"), FilePath: "/home/ana/.config/zupy/credentials.yaml"}
	if !strings.Contains(ue.Hint(), "/home/ana/.config/zupy/credentials.yaml") {
		t.Fatalf("Hint() = %q", ue.Hint())
	}
	if strings.Contains(ue.Hint(), "\n") {
		t.Fatalf("Hint() must be one line: %q", ue.Hint())
	}
}

func TestKeyringSecretTooBigIsNotUnavailable(t *testing.T) {
	b := newFakeBackend()
	b.err = keyring.ErrSetDataTooBig
	err := NewKeyring(b, time.Second).Set(context.Background(), "default/session", "zup_sess_x")
	var ue *UnavailableError
	if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "too big") {
		t.Fatalf("err = %v, want a plain too-big error", err)
	}
}

func TestKeyringTimeoutCutsOffAHungCall(t *testing.T) {
	b := newBlockingBackend()
	defer close(b.release)
	s := NewKeyring(b, 50*time.Millisecond)
	_, err := s.Get(context.Background(), "default/session")
	var ue *UnavailableError
	if !errors.As(err, &ue) || !ue.Timeout {
		t.Fatalf("err = %#v, want *UnavailableError with Timeout", err)
	}
	if want := "the OS keyring did not answer within 50ms"; !strings.Contains(err.Error(), want) {
		t.Fatalf("Error() = %q, want %q", err, want)
	}
	if !strings.Contains(ue.Hint(), "unlock") {
		t.Fatalf("a timeout's hint should mention unlocking: %q", ue.Hint())
	}
}

func TestTimeoutMessageSaysSecondsAsTheCLIConfiguresThem(t *testing.T) {
	for d, want := range map[time.Duration]string{
		HeadlessTimeout:    "did not answer within 3s",
		InteractiveTimeout: "did not answer within 60s",
	} {
		ue := &UnavailableError{Op: "get", Account: "default/session", Timeout: true, After: d}
		if !strings.Contains(ue.Error(), want) {
			t.Errorf("Error() = %q, want %q", ue.Error(), want)
		}
	}
}

func TestKeyringZeroTimeoutMeansHeadlessTimeout(t *testing.T) {
	if got := NewKeyring(newFakeBackend(), 0).(*keyringStore).timeout; got != HeadlessTimeout {
		t.Fatalf("timeout = %v, want %v", got, HeadlessTimeout)
	}
}

func TestKeyringFailsFastAfterATimeout(t *testing.T) {
	b := newBlockingBackend()
	defer close(b.release)
	s := NewKeyring(b, 50*time.Millisecond)
	ctx := context.Background()
	_, first := s.Get(ctx, "default/session")
	err := s.Delete(ctx, "default/key/key_1")
	var ue *UnavailableError
	if !errors.As(first, &ue) || !errors.As(err, &ue) || !ue.Timeout || ue.Op != "delete" {
		t.Fatalf("first = %v, second = %v; want both timeouts", first, err)
	}
	if n := b.calls.Load(); n != 1 {
		t.Fatalf("backend called %d times; after a timeout later calls must not wait again", n)
	}
}

func TestKeyringTimedOutCallsReleaseTheirGoroutines(t *testing.T) {
	const calls = 20
	before := runtime.NumGoroutine()
	b := newBlockingBackend()
	for i := range calls {
		// A fresh store each time: one store stops calling after a timeout.
		_, err := NewKeyring(b, 10*time.Millisecond).Get(context.Background(), fmt.Sprintf("p%d/session", i))
		var ue *UnavailableError
		if !errors.As(err, &ue) || !ue.Timeout {
			t.Fatalf("call %d: %v, want a timeout", i, err)
		}
	}
	// Goroutines left by earlier tests may exit meanwhile, hence the slack.
	if n := runtime.NumGoroutine(); n < before+calls/2 {
		t.Fatalf("%d goroutines while %d calls hang, started with %d: the test does not measure what it should", n, calls, before)
	}
	close(b.release) // the backend finally answers: nobody is listening any more
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines remain after the hung calls returned, started with %d: a late answer blocks its goroutine", runtime.NumGoroutine(), before)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestKeyringHonoursContextCancellation(t *testing.T) {
	b := newBlockingBackend()
	defer close(b.release)
	s := NewKeyring(b, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := s.Get(ctx, "default/session"); errc <- err }()
	<-b.entered
	cancel()
	err := <-errc
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	var ue *UnavailableError
	if errors.As(err, &ue) {
		t.Fatalf("a cancelled call is the user's doing, not an unavailable keyring: %v", err)
	}
}

func TestKeyringDoesNotCallBackendWithCancelledContext(t *testing.T) {
	b := newFakeBackend()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := NewKeyring(b, time.Second).Set(ctx, "default/session", "zup_sess_x")
	if !errors.Is(err, context.Canceled) || b.calls.Load() != 0 {
		t.Fatalf("err = %v, backend calls = %d", err, b.calls.Load())
	}
}

// echoingBackend fails Set with an error that quotes the password, as a
// careless backend might.
type echoingBackend struct{ fakeBackend }

func (e *echoingBackend) Set(service, user, password string) error {
	return fmt.Errorf("dbus: CreateItem(%s, %s, secret=%s) failed", service, user, password)
}

func TestKeyringErrorsNeverContainTheSecret(t *testing.T) {
	const secret = "zup_sess_TOPSECRETtopsecretTOPSECRET0123"
	check := func(name string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error", name)
		}
		msg := err.Error()
		var ue *UnavailableError
		if errors.As(err, &ue) {
			msg += "\n" + ue.Hint()
		}
		if strings.Contains(msg, secret) || strings.Contains(msg, secret[len(secret)-12:]) {
			t.Fatalf("%s: error shows the secret: %q", name, msg)
		}
	}
	err := NewKeyring(&echoingBackend{}, time.Second).Set(context.Background(), "default/session", secret)
	check("backend error", err)
	if !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("expected the echoed secret to be redacted: %q", err)
	}

	b := newBlockingBackend()
	defer close(b.release)
	check("timeout", NewKeyring(b, 10*time.Millisecond).Set(context.Background(), "default/session", secret))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	check("cancelled", NewKeyring(newFakeBackend(), time.Second).Set(ctx, "default/session", secret))
}

type panickingBackend struct{ fakeBackend }

func (*panickingBackend) Get(string, string) (string, error) {
	panic("interface conversion: bad signal")
}

func TestKeyringBackendPanicIsUnavailableNotACrash(t *testing.T) {
	_, err := NewKeyring(&panickingBackend{}, time.Second).Get(context.Background(), "default/session")
	var ue *UnavailableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("err = %v", err)
	}
}

func TestStoresRefuseAnEmptySecret(t *testing.T) {
	for name, s := range storesUnderTest(t) {
		if err := s.Set(context.Background(), "default/session", ""); err == nil {
			t.Errorf("%s: storing an empty secret succeeded", name)
		}
	}
}

func TestUnavailableExplainsCommonSecretServiceFailures(t *testing.T) {
	for raw, want := range map[string]string{
		"The name org.freedesktop.secrets was not provided by any .service files":        "no Secret Service",
		"failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'": "keyring is locked",
	} {
		b := newFakeBackend()
		b.err = errors.New(raw)
		_, err := NewKeyring(b, time.Second).Get(context.Background(), "default/session")
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), raw) {
			t.Errorf("Error() = %v, want %q and the raw message", err, want)
		}
	}
}
