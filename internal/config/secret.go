package config

import (
	"fmt"
	"io"
)

// Secret is a configuration value that must never be printed, logged or
// written in plain outputs: every fmt verb and its JSON form show
// "[secret]". Only Reveal returns the value, for the one place that hands it
// to Pulumi as a secret output.
//
// The value is held in a closure, not a string field: fmt bypasses Format
// when it reports a bad verb on an enclosing struct (e.g. %s of a Config)
// and would print a string field, but it prints a func as an address.
type Secret struct{ value func() string }

// newSecret holds v.
func newSecret(v string) Secret { return Secret{value: func() string { return v }} }

const redacted = "[secret]"

// Reveal returns the value.
func (s Secret) Reveal() string {
	if s.value == nil {
		return ""
	}
	return s.value()
}

// Format writes "[secret]" for every verb (%v, %+v, %#v, %s, %q, %x, ...).
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// String is "[secret]".
func (s Secret) String() string { return redacted }

// MarshalJSON writes "[secret]".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
