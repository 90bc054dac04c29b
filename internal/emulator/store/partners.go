package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Partner is a partner account.
type Partner struct {
	ID        string
	Name      string
	Email     string
	WhatsApp  string
	CreatedAt time.Time
}

const partnerColumns = `id, name, email, whatsapp, created_at`

func scanPartner(row rowScanner) (Partner, error) {
	var p Partner
	var created sql.NullInt64
	err := row.Scan(&p.ID, &p.Name, &p.Email, &p.WhatsApp, &created)
	p.CreatedAt = fromNanos(created)
	return p, err
}

// InsertPartner adds a partner.
func (q Queries) InsertPartner(ctx context.Context, p Partner) error {
	_, err := q.q.ExecContext(ctx, `INSERT INTO partners (`+partnerColumns+`) VALUES (?, ?, ?, ?, ?)`,
		p.ID, p.Name, p.Email, p.WhatsApp, nanos(p.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert partner: %w", err)
	}
	return nil
}

// PartnerByID returns a partner, or ErrNotFound.
func (q Queries) PartnerByID(ctx context.Context, id string) (Partner, error) {
	p, err := scanPartner(q.q.QueryRowContext(ctx, `SELECT `+partnerColumns+` FROM partners WHERE id = ?`, id))
	if err != nil {
		return Partner{}, fmt.Errorf("partner %s: %w", id, notFound(err))
	}
	return p, nil
}

// PartnerByContact returns the partner whose e-mail (channel "email") or
// WhatsApp number (otherwise) is dest, or ErrNotFound.
func (q Queries) PartnerByContact(ctx context.Context, channel, dest string) (Partner, error) {
	column := "whatsapp"
	if channel == "email" {
		column = "email"
	}
	p, err := scanPartner(q.q.QueryRowContext(ctx, `SELECT `+partnerColumns+` FROM partners WHERE `+column+` = ?`, dest))
	if err != nil {
		return Partner{}, fmt.Errorf("partner by %s: %w", channel, notFound(err))
	}
	return p, nil
}

// FirstPartner returns the oldest partner, or ErrNotFound.
func (q Queries) FirstPartner(ctx context.Context) (Partner, error) {
	p, err := scanPartner(q.q.QueryRowContext(ctx, `SELECT `+partnerColumns+` FROM partners ORDER BY created_at, id LIMIT 1`))
	if err != nil {
		return Partner{}, fmt.Errorf("first partner: %w", notFound(err))
	}
	return p, nil
}
