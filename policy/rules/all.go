package rules

// All returns every rule of the pack, in a stable order.
func All() []Rule {
	var out []Rule
	out = append(out, encryptionRules()...)
	out = append(out, networkRules()...)
	out = append(out, edgeRules()...)
	out = append(out, databaseRules()...)
	out = append(out, resilienceRules()...)
	out = append(out, iamRules()...)
	return out
}
