package emulator

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/zupy/zupy-cli/internal/emulator/store"
	"github.com/zupy/zupy-cli/internal/ratelimit"
	"github.com/zupy/zupy-cli/internal/wire"
)

// The refusals of an undo (docs/api.md, POST /api-keys/{key_id}/rotation/undo).
var (
	errUndoPreviousGone     = errorf(http.StatusConflict, wire.CodeConflict, wire.ErrRotationNotUndoable, wire.MsgRotationNotUndoable)
	errUndoAlreadyUndone    = errorf(http.StatusConflict, wire.CodeConflict, wire.ErrRotationAlreadyUndone, wire.MsgRotationAlreadyUndone)
	errUndoNotRecorded      = errorf(http.StatusConflict, wire.CodeConflict, wire.ErrRotationNotRecorded, wire.MsgRotationNotRecorded)
	errUndoSuccessorRevoked = errorf(http.StatusConflict, wire.CodeConflict, wire.ErrKeyRevoked, wire.MsgRotationSuccessorRevoked)
	errUndoSuccessorRotated = errorf(http.StatusConflict, wire.CodeConflict, wire.ErrKeyAlreadyRotated, wire.MsgRotationSuccessorRotated)
)

// undoBody is the body of an undo: nothing (an empty body or {}); any field
// is refused as unknown.
type undoBody struct{}

// handleUndoRotation is POST /api-keys/{key_id}/rotation/undo, key_id being
// the successor whose rotation is undone.
func (s *Server) handleUndoRotation(w http.ResponseWriter, r *http.Request, p principal) error {
	if err := decodeJSON(w, r, &undoBody{}); err != nil {
		return err
	}
	return s.undoRotation(w, r, p.partner.ID, r.PathValue("key_id"), "session:"+p.session.ID, false)
}

// handleSelfUndoRotation is POST /api-keys/self/rotation/undo, authenticated
// by the successor itself, which must hold keys:rotate (checked by the
// pipeline). Only the successor: a key that was rotated (the predecessor,
// whose secret may be the one that leaked) is answered as a key that is no
// successor, 404, so an old key can never bring itself back.
func (s *Server) handleSelfUndoRotation(w http.ResponseWriter, r *http.Request, k *cachedKey, _ ratelimit.Decision) error {
	if err := decodeJSON(w, r, &undoBody{}); err != nil {
		return err
	}
	return s.undoRotation(w, r, k.PartnerID, k.ID, "key:"+k.ID, true)
}

// undoRotation undoes the rotation that made successor id, in one
// transaction: the successor revoked, the predecessor's expiry from before
// the rotation restored and its rotated_to cleared, so it can be rotated
// again. Allowed only while the predecessor is valid (not revoked, not past
// its grace). The changes are conditional updates (store.UndoRotation), so
// of concurrent undos exactly one wins and the others get 409.
func (s *Server) undoRotation(w http.ResponseWriter, r *http.Request, partnerID, id, actor string, self bool) error {
	ctx := r.Context()
	exact := s.clock.Now()
	now := stamp(exact)
	var prev, next store.Key
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		var err error
		if next, prev, err = undoable(ctx, tx, partnerID, id, exact, self); err != nil {
			return err
		}
		// revoked_at to the nanosecond, as on revoke (docs/api.md "Pages").
		won, err := tx.UndoRotation(ctx, prev.ID, next.ID, exact)
		if err != nil {
			return err
		}
		if !won {
			return errUndoAlreadyUndone
		}
		prev.ExpiresAt, prev.RotatedTo, prev.PreRotationExpiresAt = prev.PreRotationExpiresAt, "", time.Time{}
		next.RevokedAt = exact
		return s.audit(ctx, tx, now, partnerID, actor, "key.rotation_undone", prev.ID, "successor="+next.ID)
	})
	if err != nil {
		return err
	}
	// Both before the answer: the successor's next request is refused, the
	// predecessor's sees its restored expiry (docs/api.md "How the emulator
	// stores things").
	s.keys.invalidate(next.SecretHash)
	s.keys.invalidate(prev.SecretHash)
	s.log.InfoContext(ctx, "key rotation undone", slog.String("key_id", prev.ID), slog.String("revoked_successor", next.ID))
	s.publish(Event{Type: EventKeyUndone, KeyID: prev.ID, Successor: next.ID, PartnerID: partnerID})
	k, err := s.freshKey(ctx, partnerID, prev.ID)
	if err != nil {
		return err
	}
	at := s.clock.Now()
	out, err := s.wireKeys(ctx, []store.Key{k}, at)
	if err != nil {
		return err
	}
	out[0].RevokedSuccessor = &wire.RevokedSuccessor{KeyID: next.ID, RevokedAt: now, Status: keyStatus(next, at)}
	writeJSON(w, http.StatusOK, out[0])
	return nil
}

// undoable reads the successor id and its predecessor and says why the
// rotation between them cannot be undone at now, if it cannot. A key that is
// not a successor (or, for the self route, that was itself rotated) is
// unknown: 404, as another partner's key is.
func undoable(ctx context.Context, tx *store.Tx, partnerID, id string, now time.Time, self bool) (next, prev store.Key, err error) {
	if next, err = ownedKey(ctx, tx, partnerID, id); err != nil {
		return next, prev, err
	}
	if next.RotatedFrom == "" || self && next.RotatedTo != "" {
		return next, prev, errKeyNotFound
	}
	if prev, err = ownedKey(ctx, tx, partnerID, next.RotatedFrom); err != nil {
		return next, prev, err
	}
	switch {
	case prev.RotatedTo != next.ID:
		// Undone already (rotated_to cleared), and maybe rotated again since.
		return next, prev, errUndoAlreadyUndone
	case !next.RevokedAt.IsZero():
		return next, prev, errUndoSuccessorRevoked
	case next.RotatedTo != "":
		return next, prev, errUndoSuccessorRotated
	case !prev.RevokedAt.IsZero(), !now.Before(prev.ExpiresAt):
		return next, prev, errUndoPreviousGone
	case prev.PreRotationExpiresAt.IsZero():
		return next, prev, errUndoNotRecorded
	}
	return next, prev, nil
}
