package contract

// Function directory names (functions/<name>): the components build the
// package ./functions/<name>, key their function maps and archives by the
// name and name the deployed function after it; the function reports the
// same name in its logs. The restore account's functions are in restore.go.
const (
	// FunctionIsolate moves the subnets named by a GuardDuty finding onto
	// the quarantine network ACL (components/isolationresponder).
	FunctionIsolate = "isolate"
	// FunctionRelease restores the network ACL associations recorded for
	// an incident (components/isolationresponder).
	FunctionRelease = "release"
)
