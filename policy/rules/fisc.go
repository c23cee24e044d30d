package rules

import (
	"sort"
	"strconv"
	"strings"
)

// Control is one FISC security standard control (実務基準).
type Control struct {
	Code    string // e.g. "実3"
	Title   string // Japanese title of the control, as labelled by the sources below
	English string // short English gloss
}

// fiscControls is the catalog of FISC 安全対策基準・解説書 実務基準 controls the
// pack refers to (numbering of the 第10版〜第13版 editions; 実14-1 was added
// in the 第13版).
//
// Sources. Every entry is supported by two public sources:
//
//   - The control number and the topic it covers come from AWS's FISC
//     mappings in aws-samples/baseline-environment-on-aws-for-financial-services-institute
//     (BLEA for FSI), which cite FISC 実務基準 numbers against AWS controls:
//     doc/fsi-lens-for-fisc/security.md, reliability.md,
//     operational_excellence.md and wa-list-table.md (第11版〜第13版),
//     doc/reference-arc-core-banking/fisc-mapping-core-banking.md (第10版/第11版)
//     and doc/governance-base/fiscmapping-ct-guardrails.md (第10版).
//     https://github.com/aws-samples/baseline-environment-on-aws-for-financial-services-institute
//   - The Japanese titles come from the FISC 第13版 index and mapping in
//     hiyasuto/caf_for_fsi (fisc-reference/security-guidelines/02-practice-standards-security-ops.md,
//     mapping/fisc-to-azure-services.md, docs/03-security.md).
//     https://github.com/hiyasuto/caf_for_fsi
//     That repository states that its labels summarise the standard and are not
//     a transcription of the FISC original (a paid publication), so the titles
//     are short labels; check them against the FISC book before quoting them as
//     the official wording. Entries were kept only where that repository and the
//     AWS mapping agree on the topic of the number.
var fiscControls = []Control{
	{Code: "実3", Title: "蓄積データの漏えい防止", English: "Prevent leakage of stored data (encryption at rest)"},
	{Code: "実4", Title: "伝送データの漏えい防止", English: "Prevent leakage of transmitted data (encryption in transit)"},
	{Code: "実10", Title: "アクセス履歴の管理", English: "Manage access records (access and audit logging)"},
	{Code: "実13", Title: "暗号鍵の保護", English: "Protect cryptographic keys"},
	{Code: "実14", Title: "外部ネットワークからの不正侵入防止", English: "Prevent intrusion from external networks"},
	{Code: "実14-1", Title: "サイバー攻撃端緒の検知・監視", English: "Detect and monitor early signs of cyber attacks (第13版)"},
	{Code: "実15", Title: "接続機器の最小化", English: "Minimise devices reachable from external networks"},
	{Code: "実16", Title: "不正アクセスの監視", English: "Monitor for unauthorised access"},
	{Code: "実19", Title: "不正アクセス対応策・復旧策", English: "Response and recovery measures for unauthorised access"},
	{Code: "実20", Title: "不正プログラムへの防御対策", English: "Defend against malware"},
	{Code: "実21", Title: "不正プログラムの検知対策", English: "Detect malware"},
	{Code: "実22", Title: "不正プログラムによる被害時対策", English: "Measures for damage caused by malware"},
	{Code: "実25", Title: "アクセス権限の明確化", English: "Define access rights (least privilege)"},
	{Code: "実27", Title: "アクセス権限の付与・見直し", English: "Grant and review access rights"},
	{Code: "実30", Title: "暗号鍵の運用管理", English: "Operational management of cryptographic keys (rotation, separation of duties)"},
	{Code: "実39", Title: "データファイルのバックアップ", English: "Back up data files"},
	{Code: "実71", Title: "障害時・災害時復旧手順", English: "Recovery procedures for failures and disasters"},
	{Code: "実73", Title: "コンティンジェンシープランの策定", English: "Establish a contingency plan"},
	{Code: "実74", Title: "バックアップサイトの保有", English: "Maintain a backup site (disaster recovery site or region)"},
	{Code: "実101", Title: "負荷状態の監視制御", English: "Monitor and control system load (capacity)"},
}

// FISCControl returns a control by code. Spaces in the code are ignored, so
// "実 3" (the spelling AWS uses) finds "実3".
func FISCControl(code string) (Control, bool) {
	code = strings.Join(strings.Fields(code), "")
	for _, c := range fiscControls {
		if c.Code == code {
			return c, true
		}
	}
	return Control{}, false
}

// FISCControls returns the catalog in order of control number (実14 before
// 実14-1 before 実15). The result is a copy.
func FISCControls() []Control {
	out := make([]Control, len(fiscControls))
	copy(out, fiscControls)
	sort.SliceStable(out, func(i, j int) bool {
		mi, si := fiscOrder(out[i].Code)
		mj, sj := fiscOrder(out[j].Code)
		if mi != mj {
			return mi < mj
		}
		return si < sj
	})
	return out
}

// fiscOrder splits a code such as "実14-1" into its main and sub numbers.
// A code without a sub number has sub number 0.
func fiscOrder(code string) (main, sub int) {
	num := strings.TrimPrefix(code, "実")
	m, s, _ := strings.Cut(num, "-")
	main, _ = strconv.Atoi(m)
	if s != "" {
		sub, _ = strconv.Atoi(s)
	}
	return main, sub
}
