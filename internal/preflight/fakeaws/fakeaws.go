// Package fakeaws is a local AWS endpoint for the preflight tests: it
// answers exactly the read-only calls `fincheck preflight` makes, in each
// service's own protocol (query/XML for STS and EC2, JSON 1.1 for
// Organizations and Service Quotas, REST-JSON for Backup, RAM and
// GuardDuty), from a World describing one account. Requests are routed by
// the service name in their SigV4 credential scope, as AWS does. Every call
// is recorded; any other call fails the test. Only tests import it.
package fakeaws

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
)

// World is what the fake AWS endpoint answers: the state of one account as
// the real APIs would describe it.
type World struct {
	Account      string
	OrgID        string // "" = not in an organization
	CrossAccount bool
	OptIn        map[string]bool
	Invitation   bool   // a pending RAM invitation from the bunker
	ShareActive  bool   // an active RAM share from the bunker
	SharedVault  string // the vault ARN associated with the share
	VaultType    string // the vault DescribeBackupVault finds ("" = none)
	Detectors    []string
	PrefixListID string // "" = the region has none
	VPCs, VPCMax int
	EIPs, EIPMax int
	// Bunker is the bunker account (sender and owner of the RAM share).
	Bunker string
	// Trails are the CloudTrail trails DescribeTrails lists.
	Trails []Trail
}

// Trail is one CloudTrail trail.
type Trail struct {
	Name, HomeRegion          string
	MultiRegion, Organization bool
	Logging                   bool
	// StatusDenied makes GetTrailStatus fail (an organization trail seen
	// from a member account).
	StatusDenied bool
}

// Server is the fake endpoint; URL is its base address.
type Server struct {
	URL   string
	t     testing.TB
	w     World
	mu    sync.Mutex
	calls []string
}

const cloudFrontOriginFacing = "com.amazonaws.global.cloudfront.origin-facing"

var scopeRE = regexp.MustCompile(`Credential=[^/]+/[0-9]+/[^/]+/([^/]+)/aws4_request`)

// New starts the endpoint for the test's duration.
func New(t testing.TB, w World) *Server {
	f := &Server{t: t, w: w}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Calls are the calls made so far ("<service> <operation>"), sorted.
func (f *Server) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := append([]string{}, f.calls...)
	sort.Strings(out)
	return out
}

// ServeHTTP answers one call.
func (f *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := scopeRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		http.Error(w, "unsigned request", http.StatusForbidden)
		return
	}
	body, _ := io.ReadAll(r.Body)
	service, op := m[1], ""
	switch service {
	case "sts", "ec2":
		form, _ := url.ParseQuery(string(body))
		op = form.Get("Action")
	case "organizations", "servicequotas", "cloudtrail":
		op = r.Header.Get("X-Amz-Target")
		op = op[strings.LastIndex(op, ".")+1:]
	default:
		op = r.Method + " " + r.URL.Path
	}
	call := service + " " + op
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
	f.answer(w, r, call, body)
}

func writeXML(w http.ResponseWriter, s string) {
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprint(w, s)
}

func writeJSON(w http.ResponseWriter, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *Server) answer(w http.ResponseWriter, r *http.Request, call string, body []byte) {
	const ec2NS = `xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"`
	const json11 = "application/x-amz-json-1.1"
	const rest = "application/json"
	wd := f.w
	switch call {
	case "sts GetCallerIdentity":
		writeXML(w, fmt.Sprintf(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:sts::%s:assumed-role/fintech-deployer/preflight</Arn><UserId>AROAEXAMPLE:preflight</UserId><Account>%s</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, wd.Account, wd.Account))
	case "organizations DescribeOrganization":
		if wd.OrgID == "" {
			w.Header().Set("Content-Type", json11)
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"AWSOrganizationsNotInUseException","Message":"Your account is not a member of an organization."}`)
			return
		}
		writeJSON(w, json11, map[string]any{"Organization": map[string]any{
			"Id": wd.OrgID, "Arn": "arn:aws:organizations::999999999999:organization/" + wd.OrgID,
			"MasterAccountId": "999999999999", "FeatureSet": "ALL",
		}})
	case "backup GET /global-settings":
		writeJSON(w, rest, map[string]any{"GlobalSettings": map[string]string{
			"isCrossAccountBackupEnabled": fmt.Sprint(wd.CrossAccount), "isMpaEnabled": "false", "isDelegatedAdministratorEnabled": "false",
		}, "LastUpdateTime": 1.7e9})
	case "backup GET /account-settings":
		writeJSON(w, rest, map[string]any{"ResourceTypeOptInPreference": wd.OptIn, "ResourceTypeManagementPreference": map[string]bool{"DynamoDB": true}})
	case "ram POST /getresourceshareinvitations":
		inv := []any{}
		if wd.Invitation {
			inv = append(inv, map[string]any{
				"resourceShareInvitationArn": "arn:aws:ram:ap-northeast-1:" + wd.Bunker + ":resource-share-invitation/1",
				"resourceShareName":          "fintech-bunker-restore",
				"resourceShareArn":           "arn:aws:ram:ap-northeast-1:" + wd.Bunker + ":resource-share/abc",
				"senderAccountId":            wd.Bunker, "receiverAccountId": wd.Account, "status": "PENDING",
			})
		}
		writeJSON(w, rest, map[string]any{"resourceShareInvitations": inv})
	case "ram POST /getresourceshares":
		var in struct{ ResourceOwner string }
		_ = json.Unmarshal(body, &in)
		if in.ResourceOwner != "OTHER-ACCOUNTS" {
			f.t.Errorf("GetResourceShares with resourceOwner %q", in.ResourceOwner)
		}
		shares := []any{}
		if wd.ShareActive {
			shares = append(shares, map[string]any{
				"resourceShareArn": "arn:aws:ram:ap-northeast-1:" + wd.Bunker + ":resource-share/abc",
				"name":             "fintech-bunker-restore", "owningAccountId": wd.Bunker,
				"allowExternalPrincipals": false, "status": "ACTIVE", "featureSet": "STANDARD",
			})
		}
		writeJSON(w, rest, map[string]any{"resourceShares": shares})
	case "ram POST /getresourceshareassociations":
		assoc := []any{}
		if wd.SharedVault != "" {
			assoc = append(assoc, map[string]any{
				"resourceShareArn": "arn:aws:ram:ap-northeast-1:" + wd.Bunker + ":resource-share/abc",
				"associatedEntity": wd.SharedVault, "associationType": "RESOURCE", "status": "ASSOCIATED",
			})
		}
		writeJSON(w, rest, map[string]any{"resourceShareAssociations": assoc})
	case "cloudtrail DescribeTrails":
		list := []any{}
		for _, tr := range wd.Trails {
			list = append(list, map[string]any{
				"Name": tr.Name, "TrailARN": "arn:aws:cloudtrail:" + tr.HomeRegion + ":" + wd.Account + ":trail/" + tr.Name,
				"HomeRegion": tr.HomeRegion, "IsMultiRegionTrail": tr.MultiRegion, "IsOrganizationTrail": tr.Organization,
				"S3BucketName": "trail-logs", "IncludeGlobalServiceEvents": true, "LogFileValidationEnabled": true,
			})
		}
		writeJSON(w, json11, map[string]any{"trailList": list})
	case "cloudtrail GetTrailStatus":
		var in struct{ Name string }
		_ = json.Unmarshal(body, &in)
		for _, tr := range wd.Trails {
			if strings.HasSuffix(in.Name, ":trail/"+tr.Name) {
				if tr.StatusDenied {
					w.Header().Set("Content-Type", json11)
					w.WriteHeader(http.StatusBadRequest)
					fmt.Fprint(w, `{"__type":"TrailNotFoundException","Message":"Unknown trail for this account"}`)
					return
				}
				writeJSON(w, json11, map[string]any{"IsLogging": tr.Logging, "LatestDeliveryTime": 1.7e9})
				return
			}
		}
		f.t.Errorf("GetTrailStatus for unknown trail %q", in.Name)
		http.Error(w, "unknown trail", http.StatusBadRequest)
	case "guardduty GET /detector":
		writeJSON(w, rest, map[string]any{"detectorIds": append([]string{}, wd.Detectors...)})
	case "ec2 DescribeManagedPrefixLists":
		items := ""
		if wd.PrefixListID != "" {
			items = fmt.Sprintf(`<item><prefixListId>%s</prefixListId><addressFamily>IPv4</addressFamily><state>create-complete</state><prefixListName>%s</prefixListName><ownerId>AWS</ownerId></item>`, wd.PrefixListID, cloudFrontOriginFacing)
		}
		writeXML(w, fmt.Sprintf(`<DescribeManagedPrefixListsResponse %s><requestId>r2</requestId><prefixListSet>%s</prefixListSet></DescribeManagedPrefixListsResponse>`, ec2NS, items))
	case "ec2 DescribeVpcs":
		items := ""
		for i := 0; i < wd.VPCs; i++ {
			items += fmt.Sprintf(`<item><vpcId>vpc-%08d</vpcId><state>available</state><cidrBlock>172.31.0.0/16</cidrBlock></item>`, i)
		}
		writeXML(w, fmt.Sprintf(`<DescribeVpcsResponse %s><requestId>r3</requestId><vpcSet>%s</vpcSet></DescribeVpcsResponse>`, ec2NS, items))
	case "ec2 DescribeAddresses":
		items := ""
		for i := 0; i < wd.EIPs; i++ {
			items += fmt.Sprintf(`<item><publicIp>203.0.113.%d</publicIp><allocationId>eipalloc-%08d</allocationId><domain>vpc</domain></item>`, i+1, i)
		}
		writeXML(w, fmt.Sprintf(`<DescribeAddressesResponse %s><requestId>r4</requestId><addressesSet>%s</addressesSet></DescribeAddressesResponse>`, ec2NS, items))
	case "servicequotas GetServiceQuota":
		var in struct{ ServiceCode, QuotaCode string }
		_ = json.Unmarshal(body, &in)
		value := map[string]int{"L-F678F1CE": wd.VPCMax, "L-0263D0A3": wd.EIPMax}[in.QuotaCode]
		writeJSON(w, json11, map[string]any{"Quota": map[string]any{
			"ServiceCode": in.ServiceCode, "QuotaCode": in.QuotaCode, "Value": value, "Adjustable": true, "GlobalQuota": false,
		}})
	default:
		if strings.HasPrefix(call, "backup GET /backup-vaults/") {
			name := strings.TrimPrefix(r.URL.Path, "/backup-vaults/")
			if wd.VaultType == "" {
				w.Header().Set("Content-Type", rest)
				w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException")
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, `{"Code":"ResourceNotFoundException","Message":"Backup vault %s does not exist"}`, name)
				return
			}
			owner := r.URL.Query().Get("backupVaultAccountId")
			if owner == "" {
				owner = wd.Account
			}
			writeJSON(w, rest, map[string]any{
				"BackupVaultName": name, "BackupVaultArn": "arn:aws:backup:ap-northeast-1:" + owner + ":backup-vault:" + name,
				"VaultType": wd.VaultType, "VaultState": "AVAILABLE", "NumberOfRecoveryPoints": 12, "Locked": true,
				"MinRetentionDays": 35, "MaxRetentionDays": 400,
			})
			return
		}
		f.t.Errorf("unexpected call %s", call)
		http.Error(w, "unexpected call "+call, http.StatusNotImplemented)
	}
}
