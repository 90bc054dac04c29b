package emulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/zupy/zupy-cli/internal/apikey"
	"github.com/zupy/zupy-cli/internal/emulator/store"
	"github.com/zupy/zupy-cli/internal/ratelimit"
	"github.com/zupy/zupy-cli/internal/scope"
	"github.com/zupy/zupy-cli/internal/wire"
)

// keyStatus is a key's status at now.
func keyStatus(k store.Key, now time.Time) string {
	switch {
	case !k.RevokedAt.IsZero():
		return wire.StatusRevoked
	case !now.Before(k.ExpiresAt):
		return wire.StatusExpired
	}
	return wire.StatusActive
}

// optTime is t for the wire, nil when zero; whole seconds, as every time
// shown (rows written before last_used_at was stamped carry nanoseconds).
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = stamp(t)
	return &t
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// wireKey is the key object of k at now.
func wireKey(k store.Key, now time.Time) wire.Key {
	return wire.Key{
		KeyID: k.ID, Name: k.Name, Description: k.Description, Permissions: nonNil(k.Permissions), RateLimit: k.RateLimit,
		Environment: k.Environment, IPRestrictions: nonNil(k.IPRestrictions), CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt,
		LastUsedAt: optTime(k.LastUsedAt), UsageCount: k.UsageCount, Status: keyStatus(k, now), RevokedAt: optTime(k.RevokedAt),
		RotatedFrom: optString(k.RotatedFrom), RotatedTo: optString(k.RotatedTo), KeyHint: k.KeyHint,
	}
}

// rotationOf names k's last rotation (the one that replaced it, else the
// one that created it) by the predecessor whose key.rotated event records it
// and the successor it made; "" when k took part in none. A rotation undone
// replaced nothing: the restored key's rotated_to is empty again.
func rotationOf(k store.Key) (predecessor, successor string) {
	switch {
	case k.RotatedTo != "":
		return k.ID, k.RotatedTo
	case k.RotatedFrom != "":
		return k.RotatedFrom, k.ID
	}
	return "", ""
}

// wireRotation is the last_rotation object of a key.rotated event.
func wireRotation(e store.AuditEvent) *wire.Rotation {
	r := &wire.Rotation{At: e.At, By: wire.RotatedBySession}
	if id, ok := strings.CutPrefix(e.Actor, "key:"); ok {
		r.By, r.KeyID = wire.RotatedByKey, id
	}
	return r
}

// wireKeys is the key objects of keys at now, each with its last rotation.
func (s *Server) wireKeys(ctx context.Context, keys []store.Key, now time.Time) ([]wire.Key, error) {
	var ids []string
	for _, k := range keys {
		if id, _ := rotationOf(k); id != "" {
			ids = append(ids, id)
		}
	}
	events, err := s.store.RotationEvents(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]wire.Key, len(keys))
	for i, k := range keys {
		out[i] = wireKey(k, now)
		if _, next := rotationOf(k); next != "" {
			if e, ok := events[next]; ok {
				out[i].LastRotation = wireRotation(e)
			}
		}
	}
	return out, nil
}

// writeKey answers the key object of k.
func (s *Server) writeKey(ctx context.Context, w http.ResponseWriter, k store.Key) error {
	out, err := s.wireKeys(ctx, []store.Key{k}, s.clock.Now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out[0])
	return nil
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// keyBody is the body of POST /api-keys and PATCH /api-keys/{id}: pointers
// tell present fields from absent ones; expires_at is a string so that a bad
// time is a validation error naming the field.
type keyBody struct {
	Name           *string   `json:"name"`
	Description    *string   `json:"description"`
	Permissions    *[]string `json:"permissions"`
	RateLimit      *int      `json:"rate_limit"`
	Environment    *string   `json:"environment"`
	IPRestrictions *[]string `json:"ip_restrictions"`
	ExpiresAt      *string   `json:"expires_at"`
}

// updateBody is the body of PATCH /api-keys/{id}: the settings of keyBody,
// or instead of permissions the scopes to add and to remove, applied to the
// key's current list in the transaction that writes it, so concurrent
// edits of one key never lose a scope.
type updateBody struct {
	keyBody
	AddPermissions    *[]string `json:"add_permissions"`
	RemovePermissions *[]string `json:"remove_permissions"`
}

// scopeEdit validates the scopes listed under field (add_permissions or
// remove_permissions): at least one, each from the catalog.
func scopeEdit(field string, names *[]string) ([]string, error) {
	if names == nil {
		return nil, nil
	}
	if len(*names) == 0 {
		return nil, validation(field, "must name at least one scope")
	}
	out, err := scope.Normalize(*names)
	if err != nil {
		return nil, validation(field, err.Error())
	}
	return out, nil
}

// editScopes adds add to held (in order, skipping those held) and then
// removes remove; a key left without a scope is refused.
func editScopes(held, add, remove []string) ([]string, error) {
	out := slices.Clone(held)
	for _, a := range add {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	out = slices.DeleteFunc(out, func(p string) bool { return slices.Contains(remove, p) })
	if len(out) == 0 {
		return nil, validation("remove_permissions", "would leave the key without any scope")
	}
	return out, nil
}

// applySettings validates the present fields of b and applies them to k,
// with the rules of docs/api.md#routes shared with the client.
func applySettings(k *store.Key, b keyBody, now time.Time) error {
	if b.Name != nil {
		if err := apikey.ValidateName(*b.Name); err != nil {
			return fieldError(err, "name")
		}
		k.Name = *b.Name
	}
	if b.Description != nil {
		if err := apikey.ValidateDescription(*b.Description); err != nil {
			return fieldError(err, "description")
		}
		k.Description = *b.Description
	}
	if b.Permissions != nil {
		perms, err := scope.Normalize(*b.Permissions)
		if err != nil {
			return validation("permissions", err.Error())
		}
		k.Permissions = perms
	}
	if b.RateLimit != nil {
		if err := apikey.ValidateRateLimit(*b.RateLimit); err != nil {
			return fieldError(err, "rate_limit")
		}
		k.RateLimit = *b.RateLimit
	}
	if b.IPRestrictions != nil {
		ips, err := apikey.ParseIPRestrictions(*b.IPRestrictions)
		if err != nil {
			return fieldError(err, "ip_restrictions")
		}
		k.IPRestrictions = ips
	}
	if b.ExpiresAt != nil {
		t, err := parseExpiry(*b.ExpiresAt, now)
		if err != nil {
			return err
		}
		k.ExpiresAt = t
	}
	return nil
}

// parseExpiry parses an RFC 3339 expires_at, which must lie after now.
func parseExpiry(s string, now time.Time) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, validation("expires_at", "must be an RFC 3339 time like 2026-12-31T23:59:59Z")
	}
	t = t.UTC().Truncate(time.Second)
	if err := apikey.ValidateExpiry(t, now); err != nil {
		return time.Time{}, fieldError(err, "expires_at")
	}
	if t.After(clockHorizon) {
		return time.Time{}, validation("expires_at", "must not be after "+clockHorizon.Format(time.RFC3339))
	}
	return t, nil
}

// fieldError turns an apikey.FieldError into a validation answer.
func fieldError(err error, field string) error {
	var fe *apikey.FieldError
	if errors.As(err, &fe) {
		return validation(fe.Field, fe.Message)
	}
	return validation(field, err.Error())
}

// ownedKey loads key id of partner, inside q; another partner's key, a
// malformed id and a missing key are all 404.
func ownedKey(ctx context.Context, q interface {
	KeyByID(context.Context, string) (store.Key, error)
}, partnerID, id string) (store.Key, error) {
	if !apikey.ValidID(id) {
		return store.Key{}, errKeyNotFound
	}
	k, err := q.KeyByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && k.PartnerID != partnerID {
		return store.Key{}, errKeyNotFound
	}
	return k, err
}

// freshKey reads key id with the usage not yet flushed merged in.
func (s *Server) freshKey(ctx context.Context, partnerID, id string) (store.Key, error) {
	keys, err := s.usage.reading(func() ([]store.Key, error) {
		k, err := ownedKey(ctx, s.store, partnerID, id)
		return []store.Key{k}, err
	})
	if err != nil {
		return store.Key{}, err
	}
	return keys[0], nil
}

func (s *Server) audit(ctx context.Context, tx *store.Tx, at time.Time, partnerID, actor, action, keyID, detail string) error {
	return tx.InsertAudit(ctx, store.AuditEvent{At: at, PartnerID: partnerID, Actor: actor, Action: action, KeyID: keyID, Detail: detail})
}

// handleCreateKey is POST /api-keys.
func (s *Server) handleCreateKey(w http.ResponseWriter, r *http.Request, p principal) error {
	var b keyBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	if b.Name == nil {
		return validation("name", "is required")
	}
	if b.Permissions == nil {
		return validation("permissions", "at least one scope is required")
	}
	now := stamp(s.clock.Now())
	env := apikey.Production
	if b.Environment != nil {
		var err error
		if env, err = apikey.ParseEnvironment(*b.Environment); err != nil {
			return validation("environment", err.Error())
		}
	}
	k := store.Key{PartnerID: p.partner.ID, Environment: string(env), RateLimit: apikey.DefaultRateLimit,
		IPRestrictions: []string{}, CreatedAt: now, ExpiresAt: now.Add(apikey.DefaultLifetime)}
	if err := applySettings(&k, b, now); err != nil {
		return err
	}
	secret, err := s.mintKey(&k)
	if err != nil {
		return err
	}
	if k.LineageID, err = randomID("lin_"); err != nil {
		return err
	}
	ctx := r.Context()
	err = s.store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.InsertKey(ctx, k); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, p.partner.ID, "session:"+p.session.ID, "key.created", k.ID, "environment="+k.Environment)
	})
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "key created", slog.String("key_id", k.ID), slog.String("environment", k.Environment))
	s.publish(Event{Type: EventKeyCreated, KeyID: k.ID, PartnerID: k.PartnerID})
	out := wireKey(k, s.clock.Now())
	out.APIKey = secret
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// mintKey gives k a new id, secret hash and hint, and returns the secret.
func (s *Server) mintKey(k *store.Key) (string, error) {
	secret, err := apikey.Generate(apikey.Environment(k.Environment))
	if err != nil {
		return "", fmt.Errorf("generate key: %w", err)
	}
	if k.ID, err = apikey.GenerateID(); err != nil {
		return "", fmt.Errorf("generate key id: %w", err)
	}
	k.SecretHash, k.KeyHint = s.store.Hash(secret), apikey.Mask(secret)
	return secret, nil
}

// handleListKeys is GET /api-keys?environment=&status=&limit=&cursor=
// (status defaults to active; "all" lists every key), newest first, a page
// at a time (docs/api.md "Pages").
func (s *Server) handleListKeys(w http.ResponseWriter, r *http.Request, p principal) error {
	q, err := parseQuery(r, "environment", "status", "limit", "cursor")
	if err != nil {
		return err
	}
	var env string
	if v := q.Get("environment"); v != "" {
		e, err := apikey.ParseEnvironment(v)
		if err != nil {
			return validation("environment", err.Error())
		}
		env = string(e)
	}
	status := q.Get("status")
	switch status {
	case "":
		status = wire.StatusActive
	case wire.StatusActive, wire.StatusExpired, wire.StatusRevoked, "all":
	default:
		return validation("status", fmt.Sprintf("invalid status %q: must be active, expired, revoked or all", status))
	}
	now := s.clock.Now()
	limit, cur, err := pageParams(q, now)
	if err != nil {
		return err
	}
	if status == "all" {
		status = ""
	}
	var last store.KeyPosition
	var more bool
	keys, err := s.usage.reading(func() ([]store.Key, error) {
		var keys []store.Key
		var err error
		keys, last, more, err = s.store.KeysPage(r.Context(), p.partner.ID, store.KeyFilter{Environment: env, Status: status, At: cur.at}, cur.after, limit)
		return keys, err
	})
	if err != nil {
		return err
	}
	data, err := s.wireKeys(r.Context(), keys, now)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.KeyList{Data: data, NextCursor: nextCursor(cur, last, more)})
	return nil
}

// handleGetKey is GET /api-keys/{key_id}.
func (s *Server) handleGetKey(w http.ResponseWriter, r *http.Request, p principal) error {
	ctx := r.Context()
	k, err := s.freshKey(ctx, p.partner.ID, r.PathValue("key_id"))
	if err != nil {
		return err
	}
	return s.writeKey(ctx, w, k)
}

// handleUpdateKey is PATCH /api-keys/{key_id}: only the fields present
// change, validated as on create. The environment cannot change; a revoked
// key cannot be updated (409); a rotated key's expiry cannot be moved later.
func (s *Server) handleUpdateKey(w http.ResponseWriter, r *http.Request, p principal) error {
	var ub updateBody
	if err := decodeJSON(w, r, &ub); err != nil {
		return err
	}
	b := ub.keyBody
	if b.Environment != nil {
		return validation("environment", "cannot be changed; create a new key in the other environment")
	}
	add, err := scopeEdit("add_permissions", ub.AddPermissions)
	if err != nil {
		return err
	}
	remove, err := scopeEdit("remove_permissions", ub.RemovePermissions)
	if err != nil {
		return err
	}
	if b.Permissions != nil && (add != nil || remove != nil) {
		field := "add_permissions"
		if add == nil {
			field = "remove_permissions"
		}
		return validation(field, "cannot be combined with permissions")
	}
	ctx := r.Context()
	id := r.PathValue("key_id")
	now := stamp(s.clock.Now())
	var hash string
	err = s.store.Update(ctx, func(tx *store.Tx) error {
		k, err := ownedKey(ctx, tx, p.partner.ID, id)
		if err != nil {
			return err
		}
		if !k.RevokedAt.IsZero() {
			return errRotateRevoked
		}
		oldExpiry := k.ExpiresAt
		if err := applySettings(&k, b, now); err != nil {
			return err
		}
		if add != nil || remove != nil {
			if k.Permissions, err = editScopes(k.Permissions, add, remove); err != nil {
				return err
			}
		}
		if k.RotatedTo != "" && k.ExpiresAt.After(oldExpiry) {
			return validation("expires_at", "a rotated key's expiry cannot be extended")
		}
		hash = k.SecretHash
		if err := tx.UpdateKeySettings(ctx, k); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, p.partner.ID, "session:"+p.session.ID, "key.updated", k.ID, "fields="+strings.Join(presentFields(ub), ","))
	})
	if err != nil {
		return err
	}
	s.keys.invalidate(hash)
	s.log.InfoContext(ctx, "key updated", slog.String("key_id", id))
	s.publish(Event{Type: EventKeyUpdated, KeyID: id, PartnerID: p.partner.ID})
	k, err := s.freshKey(ctx, p.partner.ID, id)
	if err != nil {
		return err
	}
	return s.writeKey(ctx, w, k)
}

func presentFields(b updateBody) []string {
	var f []string
	for _, p := range []struct {
		name    string
		present bool
	}{{"name", b.Name != nil}, {"description", b.Description != nil}, {"permissions", b.Permissions != nil},
		{"rate_limit", b.RateLimit != nil}, {"ip_restrictions", b.IPRestrictions != nil}, {"expires_at", b.ExpiresAt != nil},
		{"add_permissions", b.AddPermissions != nil}, {"remove_permissions", b.RemovePermissions != nil}} {
		if p.present {
			f = append(f, p.name)
		}
	}
	return f
}

// handleRevokeKey is DELETE /api-keys/{key_id}: revokes the key (effective
// on the very next request) and answers its object. Revoking a revoked key
// is idempotent: 200 with the object unchanged.
func (s *Server) handleRevokeKey(w http.ResponseWriter, r *http.Request, p principal) error {
	ctx := r.Context()
	id := r.PathValue("key_id")
	exact := s.clock.Now()
	now := stamp(exact)
	var hash string
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		k, err := ownedKey(ctx, tx, p.partner.ID, id)
		if err != nil {
			return err
		}
		hash = k.SecretHash
		// revoked_at is kept to the nanosecond (shown in whole seconds), so
		// that a walk of the key list can tell a revocation made just after
		// it began from one made just before (docs/api.md "Pages").
		revoked, err := tx.RevokeKey(ctx, id, exact)
		if err != nil || !revoked {
			return err
		}
		return s.audit(ctx, tx, now, p.partner.ID, "session:"+p.session.ID, "key.revoked", id, "")
	})
	if err != nil {
		return err
	}
	s.keys.invalidate(hash)
	s.log.InfoContext(ctx, "key revoked", slog.String("key_id", id))
	s.publish(Event{Type: EventKeyRevoked, KeyID: id, PartnerID: p.partner.ID})
	k, err := s.freshKey(ctx, p.partner.ID, id)
	if err != nil {
		return err
	}
	return s.writeKey(ctx, w, k)
}

// rotateBody is the body of POST /api-keys/{key_id}/rotate. An absent grace
// period means the default of 24 hours; 0 revokes the old key at once.
type rotateBody struct {
	GracePeriodSeconds *int64  `json:"grace_period_seconds"`
	ExpiresAt          *string `json:"expires_at"`
}

// selfRotateBody is the body of POST /api-keys/self/rotate: the grace period
// only. A key rotating itself cannot choose its successor's expiry:
// expires_at is an unknown field there, and the successor keeps the old
// key's expires_at (docs/api.md#routes), so a leaked keys:rotate key can renew
// its secret but never its lifetime.
type selfRotateBody struct {
	GracePeriodSeconds *int64 `json:"grace_period_seconds"`
}

// handleRotateKey is POST /api-keys/{key_id}/rotate.
func (s *Server) handleRotateKey(w http.ResponseWriter, r *http.Request, p principal) error {
	var b rotateBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	return s.rotate(w, r, b, p.partner.ID, r.PathValue("key_id"), "session:"+p.session.ID, false)
}

// handleSelfRotate is POST /api-keys/self/rotate, authenticated by the key
// being rotated, which must hold keys:rotate (checked by the pipeline).
func (s *Server) handleSelfRotate(w http.ResponseWriter, r *http.Request, k *cachedKey, _ ratelimit.Decision) error {
	var b selfRotateBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	return s.rotate(w, r, rotateBody{GracePeriodSeconds: b.GracePeriodSeconds}, k.PartnerID, k.ID, "key:"+k.ID, true)
}

// rotate creates the successor of key id (same name, scopes, rate limit,
// environment, IP list, description, lineage, and lifetime unless expires_at
// is given; a self rotation keeps the old key's expires_at instead) and makes the old key expire at min(its expiry, now + grace),
// or revokes it when grace is 0. One transaction; the old key is claimed
// with a conditional update, so of concurrent rotations exactly one wins and
// the others get 409.
func (s *Server) rotate(w http.ResponseWriter, r *http.Request, b rotateBody, partnerID, id, actor string, self bool) error {
	grace := apikey.DefaultGrace
	if b.GracePeriodSeconds != nil {
		g := *b.GracePeriodSeconds
		if g < 0 || g > int64(apikey.MaxGrace/time.Second) {
			return validation("grace_period_seconds", fmt.Sprintf("must be between 0 and %d seconds (168h)", int64(apikey.MaxGrace/time.Second)))
		}
		grace = time.Duration(g) * time.Second
	}
	nowExact := s.clock.Now()
	now := stamp(nowExact)
	var explicitExpiry time.Time
	if b.ExpiresAt != nil {
		t, err := parseExpiry(*b.ExpiresAt, now)
		if err != nil {
			return err
		}
		explicitExpiry = t
	}
	ctx := r.Context()
	var old, next store.Key
	var secret string
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		var err error
		if old, err = ownedKey(ctx, tx, partnerID, id); err != nil {
			return err
		}
		switch {
		case old.RotatedTo != "":
			return errAlreadyRotated
		case !old.RevokedAt.IsZero():
			return errRotateRevoked
		case !nowExact.Before(old.ExpiresAt):
			return errRotateExpired
		}
		next = old
		next.RotatedFrom, next.RotatedTo, next.RevokedAt = old.ID, "", time.Time{}
		next.LastUsedAt, next.UsageCount, next.CreatedAt = time.Time{}, 0, now
		// The old key's lifetime, but not past the horizon that expires_at
		// is held to (a time past 2262 would wrap around in the store),
		// unless the default lifetime reaches further.
		next.ExpiresAt = now.Add(old.ExpiresAt.Sub(old.CreatedAt))
		if limit := maxTime(clockHorizon, now.Add(apikey.DefaultLifetime)); next.ExpiresAt.After(limit) {
			next.ExpiresAt = limit
		}
		if !explicitExpiry.IsZero() {
			next.ExpiresAt = explicitExpiry
		}
		if self {
			next.ExpiresAt = old.ExpiresAt
		}
		if secret, err = s.mintKey(&next); err != nil {
			return err
		}
		if err := tx.InsertKey(ctx, next); err != nil {
			return err
		}
		old.ExpiresAt = minTime(old.ExpiresAt, now.Add(grace))
		if grace == 0 {
			old.RevokedAt = nowExact // to the nanosecond, as on revoke
		}
		won, err := tx.MarkRotated(ctx, old.ID, next.ID, old.ExpiresAt, old.RevokedAt)
		if err != nil {
			return err
		}
		if !won {
			return errAlreadyRotated
		}
		old.RotatedTo = next.ID
		return s.audit(ctx, tx, now, partnerID, actor, "key.rotated", old.ID,
			fmt.Sprintf("successor=%s grace_seconds=%d", next.ID, int64(grace/time.Second)))
	})
	if err != nil {
		return err
	}
	s.keys.invalidate(old.SecretHash)
	s.log.InfoContext(ctx, "key rotated", slog.String("key_id", old.ID), slog.String("successor", next.ID), slog.Duration("grace", grace))
	s.publish(Event{Type: EventKeyRotated, KeyID: old.ID, Successor: next.ID, PartnerID: partnerID})
	now = s.clock.Now()
	out := wireKey(next, now)
	out.APIKey = secret
	out.PreviousKey = &wire.PreviousKey{KeyID: old.ID, ExpiresAt: old.ExpiresAt, Status: keyStatus(old, now)}
	out.LastRotation = wireRotation(store.AuditEvent{At: stamp(nowExact), Actor: actor})
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
