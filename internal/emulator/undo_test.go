package emulator

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zupy/zupy-cli/internal/wire"
)

// rotated creates a key (body as createKey) and rotates it with grace
// seconds by session, returning both.
func (h *harness) rotated(sess string, body map[string]any, grace int64) (old, next wire.Key) {
	h.t.Helper()
	old = h.createKey(sess, body)
	r := h.rotate(sess, old.KeyID, map[string]any{"grace_period_seconds": grace})
	expect(h.t, r, http.StatusCreated)
	r.decode(h.t, &next)
	return old, next
}

func (h *harness) undo(auth, successorID string) resp {
	h.t.Helper()
	return h.request("POST", "/v1/api-keys/"+successorID+"/rotation/undo", auth, nil)
}

func (h *harness) selfUndo(apiKey string) resp {
	h.t.Helper()
	return h.request("POST", "/v1/api-keys/self/rotation/undo", apiKey, nil)
}

// checkUndone checks an undo's answer: the predecessor old restored
// (rotated_to null, its expiry from before the rotation, active) and next
// revoked.
func checkUndone(t *testing.T, r resp, old, next wire.Key) wire.Key {
	t.Helper()
	expect(t, r, http.StatusOK)
	var k wire.Key
	r.decode(t, &k)
	if k.KeyID != old.KeyID || k.RotatedTo != nil || !k.ExpiresAt.Equal(old.ExpiresAt) || k.Status != wire.StatusActive || k.RevokedAt != nil || k.APIKey != "" {
		t.Fatalf("restored key %+v, want %s active until %v, rotated_to null", k, old.KeyID, old.ExpiresAt)
	}
	rs := k.RevokedSuccessor
	if rs == nil || rs.KeyID != next.KeyID || rs.Status != wire.StatusRevoked || rs.RevokedAt.IsZero() || rs.RevokedAt.Nanosecond() != 0 {
		t.Fatalf("revoked_successor %+v, want %s revoked", rs, next.KeyID)
	}
	return k
}

// The whole undo by session: the successor refused at once (the key cache
// sees the revocation), the predecessor valid until its own expiry rather
// than the end of the grace, audited and published.
func TestUndoRotationBySessionRestoresThePredecessor(t *testing.T) {
	h := newHarness(t)
	events := h.openEvents(t)
	sess := h.login()
	exp := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	old, next := h.rotated(sess, map[string]any{"expires_at": exp.Format(time.RFC3339)}, 600)
	// Both in the key cache before the undo.
	expect(t, h.request("GET", "/v1/auth/verify", old.APIKey, nil), http.StatusOK)
	expect(t, h.request("GET", "/v1/auth/verify", next.APIKey, nil), http.StatusOK)

	checkUndone(t, h.undo(sess, next.KeyID), old, next)

	e := expect(t, h.request("GET", "/v1/auth/verify", next.APIKey, nil), http.StatusUnauthorized, wire.CodeAuthentication)
	if e.Details[wire.DetailErrorCode] != wire.ErrAPIKeyRevoked {
		t.Fatalf("successor after undo: %+v, want API_KEY_REVOKED", e)
	}
	if n := h.getKey(sess, next.KeyID); n.Status != wire.StatusRevoked || n.RevokedAt == nil || n.RotatedFrom == nil || *n.RotatedFrom != old.KeyID {
		t.Fatalf("successor after undo %+v", n)
	}
	if o := h.getKey(sess, old.KeyID); o.RotatedTo != nil || !o.ExpiresAt.Equal(exp) {
		t.Fatalf("predecessor after undo %+v", o)
	}
	h.advance(601) // past the grace the rotation gave
	expect(t, h.request("GET", "/v1/auth/verify", old.APIKey, nil), http.StatusOK)
	h.advance(2 * 3600) // past its own expiry
	expect(t, h.request("GET", "/v1/auth/verify", old.APIKey, nil), http.StatusUnauthorized, wire.CodeAuthentication, wire.MsgAPIKeyExpired)

	all, err := h.srv.store.AuditEvents(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	last := all[len(all)-1]
	if last.Action != "key.rotation_undone" || last.KeyID != old.KeyID || !strings.HasPrefix(last.Actor, "session:") || last.Detail != "successor="+next.KeyID {
		t.Fatalf("audit %+v", last)
	}
	for {
		ev := events.next(true)
		if ev.Type == EventKeyUndone {
			if ev.KeyID != old.KeyID || ev.Successor != next.KeyID {
				t.Fatalf("event %+v", ev)
			}
			break
		}
	}
}

// The self route: the successor undoes its own rotation, never the
// predecessor (a leaked old key must not bring itself back), and only with
// keys:rotate.
func TestSelfUndoRotationIsTheSuccessorsAlone(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	old := h.createKey(sess, map[string]any{"permissions": []string{"keys:rotate", "loyalty:read"}})
	r := h.request("POST", "/v1/api-keys/self/rotate", old.APIKey, map[string]any{"grace_period_seconds": 600})
	expect(t, r, http.StatusCreated)
	var next wire.Key
	r.decode(t, &next)
	h.secrets = append(h.secrets, next.APIKey)

	expect(t, h.selfUndo(old.APIKey), http.StatusNotFound, wire.CodeNotFound, wire.MsgKeyNotFound)
	if o := h.getKey(sess, old.KeyID); o.RotatedTo == nil || *o.RotatedTo != next.KeyID {
		t.Fatalf("the predecessor's refused undo changed it: %+v", o)
	}
	expect(t, h.selfUndo(sess), http.StatusUnauthorized, wire.CodeAuthentication, wire.MsgInvalidAPIKeyFormat)
	expect(t, h.request("POST", "/v1/api-keys/self/rotation/undo", next.APIKey, map[string]any{"successor": next.KeyID}), http.StatusBadRequest, wire.CodeValidation)

	checkUndone(t, h.selfUndo(next.APIKey), old, next)
	all, _ := h.srv.store.AuditEvents(t.Context())
	if last := all[len(all)-1]; last.Action != "key.rotation_undone" || last.Actor != "key:"+next.KeyID {
		t.Fatalf("audit %+v", last)
	}
	expect(t, h.request("GET", "/v1/auth/verify", next.APIKey, nil), http.StatusUnauthorized)
	expect(t, h.request("GET", "/v1/auth/verify", old.APIKey, nil), http.StatusOK)
	// An original key is no successor either.
	expect(t, h.selfUndo(old.APIKey), http.StatusNotFound, wire.CodeNotFound, wire.MsgKeyNotFound)

	// Without keys:rotate, 403 like the other self routes.
	_, plain := h.rotated(sess, map[string]any{"permissions": []string{"loyalty:read"}}, 600)
	e := expect(t, h.selfUndo(plain.APIKey), http.StatusForbidden, wire.CodePermission)
	if e.Details[wire.DetailRequiredPermission] != "keys:rotate" {
		t.Fatalf("details %v", e.Details)
	}
}

// A predecessor in the middle of a chain (rotated, and its own rotation the
// one asked about) is not the successor: the self route answers 404 for it
// too, while the session route says why.
func TestUndoOfASuccessorRotatedAgainIsRefused(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	selfRotate := func(k wire.Key) wire.Key {
		t.Helper()
		r := h.request("POST", "/v1/api-keys/self/rotate", k.APIKey, map[string]any{"grace_period_seconds": 600})
		expect(t, r, http.StatusCreated)
		var n wire.Key
		r.decode(t, &n)
		h.secrets = append(h.secrets, n.APIKey)
		return n
	}
	first := h.createKey(sess, map[string]any{"permissions": []string{"keys:rotate"}})
	mid := selfRotate(first)
	last := selfRotate(mid)
	expect(t, h.selfUndo(mid.APIKey), http.StatusNotFound, wire.CodeNotFound, wire.MsgKeyNotFound)
	expect(t, h.undo(sess, mid.KeyID), http.StatusConflict, wire.CodeConflict, wire.MsgRotationSuccessorRotated)
	// Undone from the newest back, both work.
	checkUndone(t, h.selfUndo(last.APIKey), mid, last)
	checkUndone(t, h.selfUndo(mid.APIKey), first, mid)
}

func TestUndoAfterThePredecessorExpiredOrWasRevokedIsRefused(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	old, next := h.rotated(sess, nil, 60)
	h.advance(61)
	e := expect(t, h.undo(sess, next.KeyID), http.StatusConflict, wire.CodeConflict, wire.MsgRotationNotUndoable)
	if e.Details[wire.DetailErrorCode] != wire.ErrRotationNotUndoable {
		t.Fatalf("details %v", e.Details)
	}
	if n := h.getKey(sess, next.KeyID); n.Status != wire.StatusActive {
		t.Fatalf("a refused undo changed the successor: %+v", n)
	}
	if o := h.getKey(sess, old.KeyID); o.RotatedTo == nil || o.Status != wire.StatusExpired {
		t.Fatalf("a refused undo changed the predecessor: %+v", o)
	}
	// Grace 0 revoked the predecessor at once; a revoked one stays revoked.
	_, now := h.rotated(sess, nil, 0)
	expect(t, h.undo(sess, now.KeyID), http.StatusConflict, wire.CodeConflict, wire.MsgRotationNotUndoable)
	gone, next2 := h.rotated(sess, nil, 600)
	expect(t, h.request("DELETE", "/v1/api-keys/"+gone.KeyID, sess, nil), http.StatusOK)
	expect(t, h.undo(sess, next2.KeyID), http.StatusConflict, wire.CodeConflict, wire.MsgRotationNotUndoable)
}

func TestUndoTwiceOrOfARevokedSuccessorIsAConflict(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	old, next := h.rotated(sess, nil, 600)
	checkUndone(t, h.undo(sess, next.KeyID), old, next)
	e := expect(t, h.undo(sess, next.KeyID), http.StatusConflict, wire.CodeConflict, wire.MsgRotationAlreadyUndone)
	if e.Details[wire.DetailErrorCode] != wire.ErrRotationAlreadyUndone {
		t.Fatalf("details %v", e.Details)
	}
	// Still so once the predecessor has been rotated to another successor.
	expect(t, h.rotate(sess, old.KeyID, map[string]any{"grace_period_seconds": 600}), http.StatusCreated)
	expect(t, h.undo(sess, next.KeyID), http.StatusConflict, wire.CodeConflict, wire.MsgRotationAlreadyUndone)

	// A successor revoked by DELETE: its rotation cannot be undone.
	_, revoked := h.rotated(sess, nil, 600)
	expect(t, h.request("DELETE", "/v1/api-keys/"+revoked.KeyID, sess, nil), http.StatusOK)
	e = expect(t, h.undo(sess, revoked.KeyID), http.StatusConflict, wire.CodeConflict, wire.MsgRotationSuccessorRevoked)
	if e.Details[wire.DetailErrorCode] != wire.ErrKeyRevoked {
		t.Fatalf("details %v", e.Details)
	}
}

func TestUndoOfAKeyThatIsNoSuccessorOrAnotherPartnersIsNotFound(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	old, next := h.rotated(sess, nil, 600)
	for _, id := range []string{old.KeyID, "key_000000000000", "not-an-id"} {
		expect(t, h.undo(sess, id), http.StatusNotFound, wire.CodeNotFound, wire.MsgKeyNotFound)
	}
	expect(t, h.undo(old.APIKey, next.KeyID), http.StatusUnauthorized, wire.CodeAuthentication, wire.MsgInvalidSessionToken)
	// Another partner, on the same data.
	h2, other := h.otherPartner()
	expect(t, h2.undo(other, next.KeyID), http.StatusNotFound, wire.CodeNotFound, wire.MsgKeyNotFound)
	expect(t, h2.request("GET", "/v1/auth/verify", next.APIKey, nil), http.StatusOK)
}

func TestConcurrentUndosExactlyOneWins(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	old, next := h.rotated(sess, nil, 600)
	const n = 8
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { statuses[i] = h.undo(sess, next.KeyID).status })
	}
	wg.Wait()
	won := 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			won++
		case http.StatusConflict:
		default:
			t.Errorf("status %d", s)
		}
	}
	if won != 1 {
		t.Fatalf("%d undos won, want 1 (%v)", won, statuses)
	}
	all, _ := h.srv.store.AuditEvents(t.Context())
	if c := countActions(all, "key.rotation_undone"); c != 1 {
		t.Fatalf("%d key.rotation_undone events, want 1", c)
	}
	if o := h.getKey(sess, old.KeyID); o.RotatedTo != nil || !o.ExpiresAt.Equal(old.ExpiresAt) {
		t.Fatalf("predecessor %+v", o)
	}
}

// After an undo the predecessor can be rotated again, and each successor's
// last_rotation stays its own rotation.
func TestUndoneKeyCanBeRotatedAgain(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	old, first := h.rotated(sess, nil, 600)
	checkUndone(t, h.undo(sess, first.KeyID), old, first)
	h.advance(120)
	r := h.rotate(sess, old.KeyID, map[string]any{"grace_period_seconds": 600})
	expect(t, r, http.StatusCreated)
	var second wire.Key
	r.decode(t, &second)
	if second.PreviousKey == nil || !second.PreviousKey.ExpiresAt.Equal(second.CreatedAt.Add(600*time.Second)) {
		t.Fatalf("second rotation %+v", second.PreviousKey)
	}
	f := h.getKey(sess, first.KeyID)
	if f.LastRotation == nil || !f.LastRotation.At.Equal(first.CreatedAt) {
		t.Fatalf("first successor's last_rotation %+v, want its own at %v", f.LastRotation, first.CreatedAt)
	}
	o := h.getKey(sess, old.KeyID)
	if o.LastRotation == nil || !o.LastRotation.At.Equal(second.CreatedAt) || o.RotatedTo == nil || *o.RotatedTo != second.KeyID {
		t.Fatalf("predecessor %+v, last_rotation %+v", o, o.LastRotation)
	}
	checkUndone(t, h.undo(sess, second.KeyID), old, second)
	if o := h.getKey(sess, old.KeyID); o.LastRotation != nil {
		t.Fatalf("a key whose every rotation was undone shows last_rotation %+v", o.LastRotation)
	}
}

// The expiry from before the rotation is stored with the key: an emulator
// restarted on the same data undoes as well, and the undo is still there
// after another restart.
func TestUndoSurvivesARestart(t *testing.T) {
	h := newHarness(t)
	sess := h.login()
	old, next := h.rotated(sess, nil, 600)
	h.restart()
	checkUndone(t, h.undo(sess, next.KeyID), old, next)
	h.restart()
	expect(t, h.request("GET", "/v1/auth/verify", next.APIKey, nil), http.StatusUnauthorized)
	expect(t, h.request("GET", "/v1/auth/verify", old.APIKey, nil), http.StatusOK)
	if o := h.getKey(sess, old.KeyID); o.RotatedTo != nil || !o.ExpiresAt.Equal(old.ExpiresAt) {
		t.Fatalf("predecessor after restart %+v", o)
	}
	expect(t, h.undo(sess, next.KeyID), http.StatusConflict, wire.CodeConflict, wire.MsgRotationAlreadyUndone)
}
