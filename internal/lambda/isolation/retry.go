package isolation

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// ErrPermanent marks an error that retrying cannot fix (adapters wrap such API errors with Permanent).
var ErrPermanent = errors.New("permanent error")

type permanentError struct{ err error }

func (p permanentError) Error() string        { return p.err.Error() }
func (p permanentError) Unwrap() error        { return p.err }
func (p permanentError) Is(target error) bool { return target == ErrPermanent }

// Permanent marks err as not worth retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// RetryPolicy is a bounded exponential backoff.
type RetryPolicy struct {
	MaxAttempts int           // total attempts, >= 1; default 4
	BaseDelay   time.Duration // delay before the 2nd attempt; default 200ms, doubled each time
	MaxDelay    time.Duration // cap; default 3s
	// Sleep waits d or until ctx is done. Default: a timer. Tests inject a recorder.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter maps the computed delay to the one slept. Default: full jitter in [d/2, d].
	Jitter func(d time.Duration) time.Duration
}

// DefaultRetryPolicy is used when a field is zero.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, BaseDelay: 200 * time.Millisecond, MaxDelay: 3 * time.Second}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = d.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = d.MaxDelay
	}
	if p.Sleep == nil {
		p.Sleep = sleepCtx
	}
	if p.Jitter == nil {
		p.Jitter = func(d time.Duration) time.Duration {
			if d <= 1 {
				return d
			}
			return d/2 + rand.N(d/2+1)
		}
	}
	return p
}

// Do runs op until it succeeds, fails permanently (ErrPermanent, ErrClaimConflict,
// ErrApprovalAlreadyStarted, ErrSnapshotExists), ctx ends, or
// MaxAttempts is reached. The last error is returned wrapped with the attempt count.
func (p RetryPolicy) Do(ctx context.Context, what string, op func(context.Context) error) error {
	p = p.withDefaults()
	delay := p.BaseDelay
	var err error
	for attempt := 1; ; attempt++ {
		if cerr := ctx.Err(); cerr != nil {
			if err == nil {
				err = cerr
			}
			return fmt.Errorf("%s: gave up after %d attempt(s): %w", what, attempt-1, err)
		}
		err = op(ctx)
		if err == nil {
			return nil
		}
		if errors.Is(err, ErrPermanent) || errors.Is(err, ErrClaimConflict) ||
			errors.Is(err, ErrApprovalAlreadyStarted) || errors.Is(err, ErrSnapshotExists) ||
			errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("%s: %w", what, err)
		}
		if attempt >= p.MaxAttempts {
			return fmt.Errorf("%s: failed after %d attempts: %w", what, attempt, err)
		}
		if serr := p.Sleep(ctx, p.Jitter(delay)); serr != nil {
			return fmt.Errorf("%s: gave up after %d attempt(s) (%v): %w", what, attempt, serr, err)
		}
		delay = min(delay*2, p.MaxDelay)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
