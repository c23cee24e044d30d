package rules

// FISC controls per topic (see fisc.go for the catalog and its sources).
var (
	// Stored data: encryption at rest.
	ctlEncryptionAtRest = []string{"実3", "実13"}
	// Key protection and key operations (rotation, no open principals).
	ctlKeyManagement = []string{"実13", "実30"}
	// Network: unauthorised access from outside, minimal exposure.
	ctlNetwork = []string{"実14", "実15"}
	// Access records and their monitoring.
	ctlLogging = []string{"実10", "実16"}
	// Access rights: least privilege.
	ctlAccessControl = []string{"実25", "実27"}
	// Backup of data files and a backup site.
	ctlBackup = []string{"実39", "実74"}
	// Detection of and response to cyber attacks and malicious programs.
	ctlDetection = []string{"実14-1", "実16", "実19", "実21"}
	// Supported software receives security fixes against malicious programs.
	ctlSoftware = []string{"実20"}
	// Capacity and load monitoring.
	ctlCapacity = []string{"実101"}
)
