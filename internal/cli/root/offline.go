package root

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/zupy/zupy-cli/internal/api"
	"github.com/zupy/zupy-cli/internal/cli/cmdutil"
	"github.com/zupy/zupy-cli/internal/config"
)

// localEmulatorOrigin is where `zupy emulator start` listens by default;
// tests point it elsewhere.
var localEmulatorOrigin = "http://127.0.0.1:8790"

// localEmulatorProbeTimeout bounds the look at localEmulatorOrigin: a
// loopback answer comes in microseconds.
const localEmulatorProbeTimeout = 300 * time.Millisecond

// hintLocalEmulator turns the hint of a network error met with no base URL
// set (so Zupy's production API was asked) into the setting that points zupy
// at the local emulator, when one answers at the default address: the usual
// first-hour slip is an emulator started and zupy never told about it.
// Only a loopback address is asked, and only after such an error.
func hintLocalEmulator(ctx context.Context, f *cmdutil.Factory, err error) error {
	var netErr *api.NetworkError
	if !errors.As(err, &netErr) {
		return err
	}
	v, serr := f.Resolve.Configured()
	if serr != nil || v.Source != config.SourceDefault || !localEmulatorAnswers(context.WithoutCancel(ctx)) {
		return err
	}
	set := "zupy config set base_url " + localEmulatorOrigin + "/v1"
	if p := f.Profile(); p != config.DefaultProfile {
		set = "zupy --profile " + p + " config set base_url " + localEmulatorOrigin + "/v1"
	}
	return cmdutil.WithHint(err, fmt.Sprintf("No base URL is set, so zupy asked %s; an emulator answers at %s/v1: point zupy at it with `%s` (or ZUPY_BASE_URL)",
		v.Value, localEmulatorOrigin, set))
}

// localEmulatorAnswers reports whether an emulator answers GET
// /_emulator/clock at localEmulatorOrigin.
func localEmulatorAnswers(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, localEmulatorProbeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, localEmulatorOrigin+"/_emulator/clock", nil)
	if err != nil {
		return false
	}
	// No proxy: the question is about this machine.
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	res, err := client.Do(req)
	if err != nil {
		return false
	}
	defer res.Body.Close()
	var clock struct {
		Now time.Time `json:"now"`
	}
	return res.StatusCode == http.StatusOK && json.NewDecoder(io.LimitReader(res.Body, 4096)).Decode(&clock) == nil && !clock.Now.IsZero()
}
