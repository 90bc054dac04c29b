//go:build !unix && !windows

package credentials

import (
	"context"
	"os"
	"sync"
)

// processLock serialises writers within this process. Platforms without
// flock or LockFileEx (plan9, wasm) get no cross-process lock.
var processLock sync.Mutex

func lockFile(ctx context.Context, _ string) (unlock func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	processLock.Lock()
	return processLock.Unlock, nil
}

func syncDir(string) error { return nil }

func replaceFile(from, to string) error { return os.Rename(from, to) }
