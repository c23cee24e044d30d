// Package contract is the single source of the names shared by the
// components (components/...) and the Lambda functions they deploy
// (functions/...): function directory names, environment variable names
// and their defaults, error and action names. A component writing a value
// and a function reading it both use the constant declared here, so the two
// sides cannot drift apart.
//
// The package is a leaf: it imports nothing from this module (a test keeps
// it so), and holds only constants.
package contract
