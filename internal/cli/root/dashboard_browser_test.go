package root_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/cli/root"
	"github.com/zupy/zupy-cli/internal/clitest"
	"github.com/zupy/zupy-cli/internal/ui"
)

// The dashboard in a real browser: Debian's chromium, headless, driven by
// chromedp. `make deps` installs chromium; without it this test fails in CI
// and skips elsewhere, saying how to get it (clitest.RequireTool).

// chromiumPath finds the browser.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return clitest.RequireTool(t, "chromium", "chromium")
}

// cliRunner runs zupy commands in-process against one emulator, with their
// own config directory and a file-backed keyring.
type cliRunner struct {
	t   *testing.T
	env map[string]string
}

func (c *cliRunner) run(ctx context.Context, stdin string, args ...string) (stdout, stderr string) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	f := cmdutil.New(ui.Test(strings.NewReader(stdin), &out, &errOut), func(k string) string { return c.env[k] })
	f.Keyring = &clitest.FileKeyring{Path: c.env["ZUPY_TEST_KEYRING_FILE"]}
	if code := root.Run(ctx, f, args); code != 0 {
		c.t.Fatalf("zupy %s: exit %d\n%s", strings.Join(args, " "), code, errOut.String())
	}
	return out.String(), errOut.String()
}

// startEmulator runs `zupy emulator start` in-process and returns its base
// URL and the dashboard URL it printed; stop ends it (as SIGINT would).
func startEmulator(t *testing.T) (base, dashboard string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	f := cmdutil.New(ui.Test(strings.NewReader(""), outW, errW), func(string) string { return "" })
	done := make(chan int, 1)
	go func() {
		code := root.Run(ctx, f, []string{"emulator", "start", "--addr", "127.0.0.1:0", "--in-memory"})
		outW.Close()
		errW.Close()
		done <- code
	}()
	dashCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(errR)
		sent := false
		for sc.Scan() {
			if url, ok := strings.CutPrefix(sc.Text(), "Dashboard: "); ok && !sent {
				dashCh <- url
				sent = true
			}
		}
		close(dashCh)
	}()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("emulator start: %v", err)
	}
	go io.Copy(io.Discard, outR)
	base = strings.TrimSpace(line)
	dashboard, ok := <-dashCh
	if !ok {
		cancel()
		t.Fatal("emulator start printed no dashboard URL on stderr")
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if code := <-done; code != 0 {
				t.Errorf("emulator start: exit %d after cancel (an open dashboard held up the drain?)", code)
			}
		})
	}
	t.Cleanup(stop)
	return base, dashboard, stop
}

func TestDashboardInABrowser(t *testing.T) {
	chromium := chromiumPath(t)
	base, dashboard, stopEmulator := startEmulator(t)
	origin := strings.TrimSuffix(base, "/v1")
	if dashboard != origin+"/_emulator/ui/" {
		t.Fatalf("dashboard URL %q, want %s/_emulator/ui/", dashboard, origin)
	}
	work := t.TempDir()
	cli := &cliRunner{t: t, env: map[string]string{
		"ZUPY_BASE_URL":          base,
		"HOME":                   work,
		"ZUPY_CONFIG_DIR":        filepath.Join(work, "config"),
		"ZUPY_TEST_KEYRING_FILE": filepath.Join(work, "keyring.json"),
	}}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // CI runs as root
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("host-resolver-rules", "MAP evil.test 127.0.0.1"),
		chromedp.UserDataDir(filepath.Join(work, "chromium")),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	// The first call starts the browser and must have no timeout of its own.
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx := context.Background()

	// Each step is bounded so that a hang fails instead of stalling the
	// suite; the bound is not a timing assertion.
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		defer cancel()
		v, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	eval := func(expr string, await bool) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		defer cancel()
		var opts []chromedp.EvaluateOption
		if await {
			opts = append(opts, chromedp.EvalAwaitPromise)
		}
		v, err := chromedp.Run(sctx, chromedp.Evaluate[string](expr, opts...))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return v
	}
	run("open the dashboard",
		chromedp.Navigate(dashboard),
		chromedp.WaitVisible(chromedp.CSS(`body[data-loaded]`)),
		chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="live"]`)),
	)
	// A marker that a reload would wipe: every later step must find it.
	eval(`window.__noReload = "still here"`, false)

	// A code requested through the CLI shows up in the outbox, no reload.
	out, _ := cli.run(ctx, "", "login", "--email", "dev@example.com", "--request-only", "-o", "json")
	var challenge struct {
		VerificationID string `json:"verification_id"`
	}
	if err := json.Unmarshal([]byte(out), &challenge); err != nil {
		t.Fatalf("login --request-only: %v: %s", err, out)
	}
	code, _ := cli.run(ctx, "", "emulator", "otp", "--destination", "dev@example.com")
	code = strings.TrimSpace(code)
	run("see the code in the outbox", chromedp.WaitVisible(chromedp.CSS(`#outbox tbody tr[data-code="`+code+`"] td.code`)))
	shown, marker := text(`#outbox tbody tr td.code`), eval(`window.__noReload`, false)
	if shown != code || marker != "still here" {
		t.Fatalf("outbox shows %q (marker %q), want the code without a reload", shown, marker)
	}

	// A key created and used (zupy ping --count 3): its usage count and its
	// lineage's bar move. The code that logged in is shown as used.
	cli.run(ctx, code+"\n", "login", "--verification-id", challenge.VerificationID, "--code-stdin")
	run("see the code marked used", chromedp.WaitVisible(chromedp.CSS(`#outbox tbody tr[data-code="`+code+`"] td[data-used="true"] .badge.used`)))
	secret, _ := cli.run(ctx, "", "keys", "create", "--name", "browser key", "--scopes", "loyalty:read", "--rate-limit", "10", "--expires-in", "12h")
	secret = strings.TrimSpace(secret)
	keyOut, _ := cli.run(ctx, "", "keys", "list", "-o", "json")
	var keys []struct {
		KeyID string `json:"key_id"`
	}
	if err := json.Unmarshal([]byte(keyOut), &keys); err != nil || len(keys) != 1 {
		t.Fatalf("keys list: %v: %s", err, keyOut)
	}
	keyID := keys[0].KeyID
	row := `#keys tr[data-key-id="` + keyID + `"]`
	run("see the key", chromedp.WaitVisible(chromedp.CSS(row+` td[data-status="active"]`)))
	cli.env["ZUPY_API_KEY"] = secret
	cli.run(ctx, "", "ping", "--count", "3")
	delete(cli.env, "ZUPY_API_KEY")
	run("see the usage move",
		chromedp.WaitVisible(chromedp.CSS(row+` td.uses[data-uses="3"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#limits li[data-used="3"] .bar[aria-valuenow="3"]`)),
	)
	uses, barNow := text(row+` td.uses`), eval(`document.querySelector("#limits .bar").getAttribute("aria-valuenow")`, false)
	if uses != "3" || barNow != "3" {
		t.Fatalf("usage %q, bar %q: want 3 and 3", uses, barNow)
	}
	// The key's usage chart: the three verifications, then live, a fourth.
	run("open the key's usage chart",
		chromedp.Click(chromedp.CSS(row+` button[data-usage="`+keyID+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#usage-chart .col .ok`)),
	)
	if got := text(`#usage-summary`); !strings.HasPrefix(got, "3 requests: 3 2xx") {
		t.Fatalf("usage summary %q, want 3 requests", got)
	}
	cli.env["ZUPY_API_KEY"] = secret
	cli.run(ctx, "", "ping", "--count", "1")
	delete(cli.env, "ZUPY_API_KEY")
	waitFor4 := `new Promise((ok) => { const f = () => document.querySelector("#usage-summary").textContent.startsWith("4 requests") ? ok("4") : setTimeout(f, 100); f(); })`
	if got := eval(waitFor4, true); got != "4" {
		t.Fatalf("the chart did not follow the event stream: %q", got)
	}
	html := eval(`document.documentElement.outerHTML`, false)
	if !strings.HasPrefix(secret, "zup_live_sk_") || strings.Contains(html, secret) {
		t.Fatal("the page shows the key's secret (or keys create printed no secret)")
	}

	// A rotated key with many scopes and an allow-list: the widest rows the
	// keys table draws (rotation from and to, grace), for the fit at 1280 px.
	wideOut, _ := cli.run(ctx, "", "keys", "create", "--name", "Caixa da loja central 1", "--scopes",
		"loyalty:read,loyalty:write,coupons:validate,coupons:redeem,customer:read", "--allow-ip", "203.0.113.10,198.51.100.0/24", "-o", "json")
	var wide struct {
		KeyID string `json:"key_id"`
	}
	if err := json.Unmarshal([]byte(wideOut), &wide); err != nil {
		t.Fatalf("keys create: %v: %s", err, wideOut)
	}
	cli.run(ctx, "", "keys", "rotate", wide.KeyID, "--no-verify", "--grace", "2h")
	run("see the rotated key", chromedp.WaitVisible(chromedp.CSS(`#keys tr[data-key-id="`+wide.KeyID+`"] .badge.grace`)))

	// Screenshots at 375 px and 1280 px, not blank.
	for _, width := range []int64{375, 1280} {
		run(fmt.Sprintf("viewport of %d px", width),
			chromedp.EmulateViewport(width, 900),
			chromedp.WaitVisible(chromedp.CSS(`#outbox tbody tr`)),
		)
		sctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		shot, err := chromedp.Run(sctx, chromedp.FullScreenshot(100)) // 100: a PNG
		cancel()
		if err != nil {
			t.Fatalf("screenshot at %d px: %v", width, err)
		}
		path := filepath.Join(t.TempDir(), fmt.Sprintf("dashboard-%d.png", width))
		if err := os.WriteFile(path, shot, 0o600); err != nil {
			t.Fatal(err)
		}
		if dir := os.Getenv("ZUPY_SCREENSHOT_DIR"); dir != "" {
			_ = os.WriteFile(filepath.Join(dir, filepath.Base(path)), shot, 0o600)
		}
		checkNotBlank(t, path, shot, width)
	}
	run("fit 375 px", chromedp.EmulateViewport(375, 900))
	if eval(`String(document.documentElement.scrollWidth > window.innerWidth)`, false) != "false" {
		t.Error("at 375 px the page scrolls sideways (only the tables' own regions may)")
	}
	run("back to wide", chromedp.EmulateViewport(1280, 900))
	// At 1280 px nothing scrolls sideways, not even a table's own region.
	if got := eval(`String(document.documentElement.scrollWidth > window.innerWidth || [...document.querySelectorAll(".scroll")].some((r) => r.scrollWidth > r.clientWidth))`, false); got != "false" {
		t.Error("at 1280 px the page or a table scrolls sideways")
	}

	// "Advance 1 day": the 12-hour key is marked expired.
	run("advance the clock a day",
		chromedp.Click(chromedp.CSS(`button[data-advance="86400"]`)),
		chromedp.WaitVisible(chromedp.CSS(row+` td[data-status="expired"]`)),
		// The rate panel says so too: an expired (or revoked) lineage
		// admits nothing, whatever its window holds.
		chromedp.WaitVisible(chromedp.CSS(`#limits li[data-status="expired"] .badge.expired`)),
	)
	if eval(`window.__noReload`, false) != "still here" {
		t.Fatal("advancing the clock reloaded the page")
	}

	// A page of another origin cannot drive the emulator: its POSTs (a
	// simple no-cors one, and a JSON one that needs a preflight) change
	// nothing.
	foreign := foreignPage(t, origin)
	run("open a page of another origin", chromedp.Navigate(foreign))
	eval(`window.__attack()`, true)
	var after struct {
		Keys []struct {
			KeyID string `json:"key_id"`
		} `json:"keys"`
		Now time.Time `json:"now"`
	}
	getJSON(t, origin+"/_emulator/ui/state", &after)
	if len(after.Keys) != 3 {
		t.Fatalf("a page of another origin reset the emulator (keys: %+v)", after.Keys)
	}
	if after.Now.After(time.Now().Add(30 * 24 * time.Hour)) {
		t.Fatalf("a page of another origin moved the clock to %s", after.Now)
	}
	// And the same POST, as the server sees it, is refused outright.
	req, _ := http.NewRequest("POST", origin+"/_emulator/reset", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://evil.test")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("POST /_emulator/reset from Origin http://evil.test: %d, want 403", res.StatusCode)
	}

	// Reset, by keyboard, asks first: Escape keeps everything, confirming
	// empties the keys and the outbox.
	run("reopen the dashboard",
		chromedp.Navigate(dashboard),
		chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="live"]`)),
		chromedp.WaitVisible(chromedp.CSS(row)),
		chromedp.Focus(chromedp.CSS(`#reset-open`)),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS(`#reset-dialog[open]`)),
		chromedp.KeyEvent(kb.Escape),
		chromedp.WaitNotPresent(chromedp.CSS(`#reset-dialog[open]`)),
	)
	if eval(`document.activeElement.id`, false) != "reset-open" {
		t.Error("closing the reset dialog did not return the focus to its button")
	}
	getJSON(t, origin+"/_emulator/ui/state", &after)
	if len(after.Keys) != 3 {
		t.Fatal("Escape in the reset dialog reset the emulator")
	}
	run("confirm a reset",
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS(`#reset-dialog[open]`)),
		chromedp.Focus(chromedp.CSS(`#reset-confirm`)),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS(`#keys-empty`)),
		chromedp.WaitVisible(chromedp.CSS(`#outbox-empty`)),
	)

	// The emulator stops although a dashboard's stream is still open.
	stopEmulator()
}

// foreignPage serves, on another port and under the name evil.test (mapped
// to loopback in the browser), a page whose __attack() posts to the
// emulator's reset and clock routes.
func foreignPage(t *testing.T, emulator string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	page := `<!doctype html><title>elsewhere</title><script>
window.__attack = async function () {
  const target = ` + "`" + emulator + "`" + `;
  const tries = [
    fetch(target + "/_emulator/reset", {method: "POST", mode: "no-cors", body: "{}"}),
    fetch(target + "/_emulator/clock", {method: "POST", mode: "no-cors", body: '{"advance_seconds": 31536000}'}),
    fetch(target + "/_emulator/reset", {method: "POST", headers: {"Content-Type": "application/json"}, body: "{}"}),
    fetch(target + "/_emulator/clock", {method: "POST", headers: {"Content-Type": "application/json"}, body: '{"advance_seconds": 31536000}'}),
  ];
  const results = await Promise.allSettled(tries);
  return results.map(r => r.status).join(",");
};
</script>`
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return "http://evil.test:" + port + "/"
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// checkNotBlank fails unless the screenshot has the page's width and holds
// many colours over a good part of its area (text, badges, a bar), not one
// flat fill.
func checkNotBlank(t *testing.T, path string, shot []byte, width int64) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b := img.Bounds()
	if int64(b.Dx()) != width {
		t.Errorf("%s: %d px wide, want %d", path, b.Dx(), width)
	}
	colours := map[uint32]int{}
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[(r>>11)<<10|(g>>11)<<5|bl>>11]++
		}
	}
	most := 0
	total := 0
	for _, n := range colours {
		total += n
		most = max(most, n)
	}
	if len(colours) < 20 || most > total*97/100 {
		t.Fatalf("%s looks blank: %d colours, the commonest covers %d of %d samples", path, len(colours), most, total)
	}
}
