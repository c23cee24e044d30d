// Package restore is the logic of the restore account's recovery workflow
// functions: restorepick (which recovery point to restore), restoreverify
// (is the restored cluster what we asked for) and restoremetrics (the RPO
// and RTO a restore achieved, as CloudWatch metrics named in
// functions/contract). It runs over small interfaces so it is tested
// without AWS.
//
// Both functions are invoked by the Step Functions state machine of
// components/restoreworkflow and need no environment variables beyond the
// standard AWS ones (AWS_REGION; AWS_ENDPOINT_URL for tests against an
// emulator): everything they check arrives in the event, so one deployment
// serves any vault, key and subnet group the workflow is configured with.
//
// Every error is typed so that the state machine (through the Lambda error
// type, the Go type name) can tell them apart: *InputError (malformed
// event), *RecoveryPointError (no usable recovery point),
// *VerificationError (the restored cluster failed a check) and *AWSError (an
// AWS API call failed; it wraps the SDK error with the operation). The
// state machine retries AWSError and, a few times, VerificationError (a
// freshly restored cluster may need minutes before the Data API answers);
// the others go straight to its failure notification.
package restore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// InputError is a malformed event. The Lambda error type is "InputError".
type InputError struct{ Msg string }

func (e *InputError) Error() string { return "invalid input: " + e.Msg }

// RecoveryPoint error codes.
const (
	CodeNoRecoveryPoint   = "NoRecoveryPoint"
	CodeWrongVault        = "WrongVault"
	CodeNotCompleted      = "NotCompleted"
	CodeWrongResourceType = "WrongResourceType"
)

// RecoveryPointError says why no recovery point can be restored. The
// Lambda error type is "RecoveryPointError".
type RecoveryPointError struct {
	Code string
	Msg  string
}

func (e *RecoveryPointError) Error() string { return e.Code + ": " + e.Msg }

// VerificationError lists the checks the restored cluster failed. The
// Lambda error type is "VerificationError".
type VerificationError struct {
	Cluster string
	Failed  []Check
}

func (e *VerificationError) Error() string {
	var parts []string
	for _, c := range e.Failed {
		parts = append(parts, c.Name+": "+c.Detail)
	}
	return fmt.Sprintf("cluster %s failed verification: %s", e.Cluster, strings.Join(parts, "; "))
}

// AWSError is a failed AWS API call (throttling, a transient fault, access
// denied). The Lambda error type is "AWSError"; the state machine retries it.
type AWSError struct {
	Op  string
	Err error
}

func (e *AWSError) Error() string { return e.Op + ": " + e.Err.Error() }

// Unwrap returns the API error.
func (e *AWSError) Unwrap() error { return e.Err }

func awsErr(err error, format string, a ...any) error {
	return &AWSError{Op: fmt.Sprintf(format, a...), Err: err}
}

// decodeStrict decodes one JSON object into v, refusing unknown fields and
// trailing data, so a typo in the state machine's payload fails loudly.
func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &InputError{Msg: fmt.Sprintf("event is not the expected JSON object: %v", err)}
	}
	if dec.More() {
		return &InputError{Msg: "event has trailing data after the JSON object"}
	}
	return nil
}

var (
	vaultArnRE   = regexp.MustCompile(`^arn:aws:backup:[a-z0-9-]+:([0-9]{12}):backup-vault:([A-Za-z0-9_-]{2,50})$`)
	anyArnRE     = regexp.MustCompile(`^arn:aws:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:\S+$`)
	kmsKeyArnRE  = regexp.MustCompile(`^arn:aws:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$`)
	secretArnRE  = regexp.MustCompile(`^arn:aws:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:\S+$`)
	identifierRE = regexp.MustCompile(`^[A-Za-z](?:[A-Za-z0-9]|-(?:[A-Za-z0-9]))*$`)
	nameRE       = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,255}$`)
)

// VaultRef is a parsed backup vault ARN.
type VaultRef struct {
	Arn       string
	AccountID string
	Name      string
}

// ParseVaultArn parses arn:<partition>:backup:<region>:<account>:backup-vault:<name>.
func ParseVaultArn(arn string) (VaultRef, error) {
	m := vaultArnRE.FindStringSubmatch(arn)
	if m == nil {
		return VaultRef{}, &InputError{Msg: fmt.Sprintf("vaultArn %q is not a backup vault ARN (arn:aws:backup:<region>:<account>:backup-vault:<name>)", arn)}
	}
	return VaultRef{Arn: arn, AccountID: m[1], Name: m[2]}, nil
}

// asType is errors.As with a generic target.
func asType[T error](err error, target *T) bool { return errors.As(err, target) }
