package fincheck

import (
	"io"
	"strings"

	"github.com/fintech-resilience/fintech-resilience/policy/graph"
	"github.com/fintech-resilience/fintech-resilience/policy/rules"
)

type sarifLog struct {
	Version string     `json:"version"`
	Schema  string     `json:"$schema"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	DefaultConfiguration map[string]any `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical  `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifLogical struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

func sarifLevel(e rules.Enforcement) string {
	if e == rules.Mandatory {
		return "error"
	}
	return "warning"
}

// writeSARIF writes SARIF 2.1.0: one rule per policy (id = policy name),
// one result per violation located at the file the stack came from.
func writeSARIF(w io.Writer, artifact string, vs []rules.Violation) error {
	log := sarifLog{
		Version: "2.1.0",
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
	}
	driver := sarifDriver{Name: "fincheck", InformationURI: "https://github.com/fintech-resilience/fintech-resilience/blob/main/docs/fisc-check-sheet.md"}
	for _, r := range rules.All() {
		driver.Rules = append(driver.Rules, sarifRule{
			ID:                   r.Name,
			ShortDescription:     sarifText{Text: r.Description},
			FullDescription:      sarifText{Text: r.Description + " (" + r.Practice + "; FISC " + strings.Join(r.Controls, ", ") + ")"},
			DefaultConfiguration: map[string]any{"level": sarifLevel(r.Enforcement)},
			Properties:           map[string]any{"controls": r.Controls, "practice": r.Practice, "tags": []string{"security", "fisc"}},
		})
	}
	results := []sarifResult{}
	for _, v := range vs {
		results = append(results, sarifResult{
			RuleID:  v.Policy,
			Level:   sarifLevel(v.Enforcement),
			Message: sarifText{Text: v.Message + " [" + v.URN + "]"},
			Locations: []sarifLocation{{
				PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: artifact}},
				LogicalLocations: []sarifLogical{{FullyQualifiedName: v.URN, Kind: "resource"}},
			}},
		})
	}
	log.Runs = []sarifRun{{Tool: sarifTool{Driver: driver}, Results: results}}
	return writeJSON(w, log)
}

// writeFor writes a report; artifact is the file SARIF results point at.
func writeFor(w io.Writer, format, stack, artifact string, g *graph.Graph, vs []rules.Violation) error {
	if format == "sarif" {
		return writeSARIF(w, artifact, vs)
	}
	return write(w, format, stack, g, vs)
}
